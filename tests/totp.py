"""Compute the code an authenticator app would show, as a person's phone does."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

PERIOD_SECONDS = 30


def current_code(secret: str, at: float | None = None) -> str:
    counter = int(time.time() if at is None else at) // PERIOD_SECONDS
    return format_hotp_value(hotp_value(secret, counter))
