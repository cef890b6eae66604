from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security)
def check_credentials_keys(app_configs, **kwargs):
    if not settings.CREDENTIALS_KEYS:
        return [
            Warning(
                "CREDENTIALS_KEY is not set: mail passwords cannot be stored.",
                hint="Generate one with: python manage.py generate_credentials_key",
                id="courriel.W001",
            )
        ]
    errors = []
    for position, key in enumerate(settings.CREDENTIALS_KEYS, start=1):
        try:
            Fernet(key)
        except ValueError:
            errors.append(
                Error(
                    f"CREDENTIALS_KEY number {position} is not a valid Fernet key.",
                    hint="Generate one with: python manage.py generate_credentials_key",
                    id="courriel.E001",
                )
            )
    return errors
