"""A person's signed-in devices: recorded at sign-in, seen at most once a minute,
signed out for real by deleting Django's session row."""

import ipaddress
import logging

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from webmail.sessions_list.models import SignedInSession

logger = logging.getLogger(__name__)
SEEN_EVERY_SECONDS = 60


def client_ip(request) -> str | None:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def describe_request(request) -> dict:
    return {
        "user_agent": request.headers.get("user-agent", "")[:300],
        "ip_address": client_ip(request),
        "last_seen_at": timezone.now(),
    }


def record_sign_in(request, user) -> None:
    """Called right after login(): the session row already exists under its new key."""
    key = request.session.session_key
    if not key or not Session.objects.filter(pk=key).exists():
        return
    SignedInSession.objects.update_or_create(
        session_id=key, defaults={"user": user, **describe_request(request)}
    )


def _first_time_this_minute(key: str) -> bool:
    try:
        return cache.add(f"session-seen:{key}", 1, timeout=SEEN_EVERY_SECONDS)
    except Exception:
        # Without Redis, skip the update rather than write on every request.
        logger.warning("cache unavailable: last-seen not updated", exc_info=True)
        return False


def note_activity(request, user) -> None:
    """At most one write a minute per device: a cache key throttles it."""
    key = request.session.session_key
    if not key or not _first_time_this_minute(key):
        return
    fields = describe_request(request)
    updated = SignedInSession.objects.filter(session_id=key, user=user).update(**fields)
    if not updated:  # signed in before this was recorded, or the key was cycled
        record_sign_in(request, user)


def is_live(row: SignedInSession, user, now) -> bool:
    """Expired sessions, and those a password change invalidated, no longer sign anyone in."""
    if row.session.expire_date <= now:
        return False
    data = row.session.get_decoded()
    return data.get(SESSION_KEY) == str(user.pk) and constant_time_compare(
        data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )


def sessions_of(user) -> list[SignedInSession]:
    now = timezone.now()
    rows = SignedInSession.objects.filter(user=user).select_related("session")
    return [row for row in rows if is_live(row, user, now)]


def sign_out_device(user, pk: int, current_key: str | None) -> bool:
    """False when ``pk`` is not one of this person's other devices."""
    row = SignedInSession.objects.filter(user=user, pk=pk).exclude(session_id=current_key).first()
    if row is None:
        return False
    Session.objects.filter(pk=row.session_id).delete()  # the metadata row cascades
    return True


def unrecorded_sessions_of(user, now) -> list[str]:
    """Sessions signed in before devices were recorded: found by decoding, rarely many."""
    unrecorded = Session.objects.filter(expire_date__gt=now).exclude(
        pk__in=SignedInSession.objects.values("session_id")
    )
    return [
        session.pk
        for session in unrecorded.iterator(chunk_size=500)
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]


def sign_out_everywhere_else(user, current_key: str | None) -> int:
    """Delete every session of ``user`` but this one; returns how many."""
    keys = list(SignedInSession.objects.filter(user=user).values_list("session_id", flat=True))
    keys += unrecorded_sessions_of(user, timezone.now())
    _total, by_model = Session.objects.filter(pk__in=keys).exclude(pk=current_key).delete()
    return by_model.get("sessions.Session", 0)
