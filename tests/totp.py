"""Compute the code an authenticator app would show, as a person's phone does."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

PERIOD_SECONDS = 30
# A code typed in the last seconds of its period may reach the server in the next
# one (a loaded test machine); a person would wait for the next code, so do we.
SAFETY_SECONDS = 5


def current_code(secret: str, at: float | None = None) -> str:
    if at is None:
        left = PERIOD_SECONDS - time.time() % PERIOD_SECONDS
        if left < SAFETY_SECONDS:
            time.sleep(left + 0.05)
        at = time.time()
    return format_hotp_value(hotp_value(secret, int(at) // PERIOD_SECONDS))
