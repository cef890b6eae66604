"""How big an attachment, and a whole message, may be."""

from django.core.cache import cache

from webmail.sitesettings import site_settings

SMTP_SIZE_SECONDS = 24 * 3600
# Base64 turns 3 bytes into 4, and breaks lines every 76 characters.
BASE64_GROWTH = 4 / 3 * 78 / 76


def attachment_size_limit() -> int:
    """The site's limit on the attachments of one message, in bytes (a site setting
    the administrator changes in the admin)."""
    return site_settings().attachment_max_bytes


def smtp_size_key(account_id: int) -> str:
    return f"compose:smtp-size:{account_id}"


def known_smtp_size(account_id: int) -> int | None:
    """The SIZE the account's SMTP server announced (RFC 1870), if a task learnt it.
    0 in the cache means "the server states no limit"."""
    value = cache.get(smtp_size_key(account_id))
    return value or None


def remember_smtp_size(account_id: int, size: int | None, seconds: int = SMTP_SIZE_SECONDS) -> None:
    cache.set(smtp_size_key(account_id), size or 0, timeout=seconds)


def smtp_size_is_known(account_id: int) -> bool:
    return cache.get(smtp_size_key(account_id)) is not None


def encoded_size(size: int) -> int:
    return int(size * BASE64_GROWTH) + 200


def attachments_limit_for(account_id: int) -> int:
    """The smaller of the site's limit and what the SMTP server accepts (attachments
    grow by a third in base64, and the text needs some room too)."""
    limit = attachment_size_limit()
    server = known_smtp_size(account_id)
    if server:
        limit = min(limit, int((server - 64 * 1024) / BASE64_GROWTH))
    return max(limit, 0)
