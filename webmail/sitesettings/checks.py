"""The environment's initial site settings must make a valid record: a typo in
MAIL_HOSTS_BLOCKED must not silently turn a block into nothing."""

from django.core.checks import Error, register
from django.core.exceptions import ValidationError

from webmail.sitesettings.models import SiteSettings


@register()
def check_initial_site_settings(app_configs, **kwargs):
    try:
        SiteSettings.from_environment().full_clean(
            exclude=["id"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        return [
            Error(
                f"The environment's site settings are invalid: {field}: {' '.join(messages)}",
                hint="See README, 'Site settings (admin)'.",
                id="courriel.E101",
            )
            for field, messages in error.message_dict.items()
        ]
    return []
