"""Mailbox quotas, read with GETQUOTAROOT during a sync and kept in the cache,
so the settings page shows them without ever waiting on a mail server."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from webmail.mail.errors import MailError
from webmail.mail.imap import ImapSession

logger = logging.getLogger(__name__)
WARN_FROM_PERCENT = 90


@dataclass(frozen=True)
class StoredQuota:
    used_bytes: int
    limit_bytes: int
    measured_at: datetime

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used_bytes / self.limit_bytes))

    @property
    def nearly_full(self) -> bool:
        return self.used_bytes * 100 >= self.limit_bytes * WARN_FROM_PERCENT


def quota_key(account_id: int) -> str:
    return f"quota:{account_id}"


def record_quota(account_id: int, session: ImapSession) -> None:
    """Never fails the sync it runs in: a quota is nice to know, not essential."""
    try:
        quota = session.quota()
    except MailError as error:
        logger.info("quota of account %s unavailable: %s", account_id, error)
        return
    value = None
    if quota is not None and quota.limit_kib > 0:
        value = {
            "used": quota.used_kib * 1024,
            "limit": quota.limit_kib * 1024,
            "at": timezone.now().isoformat(),
        }
    try:
        cache.set(quota_key(account_id), value, timeout=None)
    except Exception:
        logger.warning("cache unavailable: quota not stored", exc_info=True)


def stored_quota(account_id: int) -> StoredQuota | None:
    try:
        value = cache.get(quota_key(account_id))
    except Exception:
        logger.warning("cache unavailable: quota not read", exc_info=True)
        return None
    if not value:
        return None
    return StoredQuota(value["used"], value["limit"], datetime.fromisoformat(value["at"]))
