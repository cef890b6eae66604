"""Mail passwords at rest: Fernet with the keys of CREDENTIALS_KEY.

The first key encrypts; every key decrypts, so rotating is "NEW,OLD" followed by
``manage.py rotate_credentials``, then dropping OLD.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsUnreadable(Exception):
    """No configured key opens this secret (a key was removed too early)."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("CREDENTIALS_KEY is not set: mail passwords cannot be stored.")
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIALS_KEYS))


def encrypt(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode() if secret else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("no CREDENTIALS_KEY opens this secret") from None


def rotate(token: str) -> str:
    """The same secret under the first key."""
    return _current().rotate(token.encode()).decode() if token else ""
