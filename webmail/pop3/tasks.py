"""Celery tasks for POP3 accounts: thin wrappers that take ids, reload, and call the
engine. Retries are declared; the engine is idempotent, so a retried or duplicated
task does no harm (and the engine's lock makes a concurrent one a no-op)."""

from celery import shared_task
from django.core.cache import cache
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from webmail.mail.errors import ConnectError, TemporaryError
from webmail.models import AccountStatus, MailAccount
from webmail.pop3 import engine
from webmail.sitesettings import site_settings

BODIES_PER_TASK = 500
QUEUED_SECONDS = 15 * 60
# A busy server (IN-USE, LOGIN-DELAY) or an unreachable one is tried again after 5,
# 10, then 20 minutes, without jitter that could bring the first retry within seconds.
FETCH_RETRIES = {
    "autoretry_for": (ConnectError, TemporaryError),
    "retry_backoff": 300,
    "retry_backoff_max": 1800,
    "retry_jitter": False,
    "max_retries": 3,
    "soft_time_limit": 30 * 60,
    "time_limit": 31 * 60,
}


def queued_key(account_id: int) -> str:
    return f"pop3:queued:{account_id}"


def pop3_account(account_id: int) -> MailAccount | None:
    return MailAccount.objects.filter(pk=account_id, protocol="pop3").first()


@shared_task(**FETCH_RETRIES)
def fetch_pop3_account(account_id: int) -> None:
    cache.delete(queued_key(account_id))
    account = pop3_account(account_id)
    if account and engine.fetch_account(account):
        index_pop3_bodies.delay(account_id)


@shared_task(soft_time_limit=10 * 60, time_limit=11 * 60)
def index_pop3_bodies(account_id: int) -> None:
    """Search text for downloaded messages, in slices, read from Courriel's store."""
    account = pop3_account(account_id)
    if account and engine.index_local_bodies(account, BODIES_PER_TASK):
        index_pop3_bodies.delay(account_id)


def pop3_accounts_due(now=None) -> list[int]:
    """Active POP3 accounts whose fetch interval has passed since the last attempt,
    and that no server asked to leave alone for now."""
    now = now or timezone.now()
    site = site_settings()  # the admin's minimum interval beats any shorter one chosen
    candidates = (
        MailAccount.objects.filter(is_active=True, user__is_active=True, protocol="pop3")
        .exclude(status=AccountStatus.AUTH_FAILED)
        .annotate(last=Coalesce(F("pop3_options__last_attempt_at"), F("last_synced_at")))
        .values_list("pk", "last", "sync_interval", "pop3_options__retry_after")
    )
    return [
        pk
        for pk, last, interval, retry_after in candidates
        if (retry_after is None or retry_after <= now)
        and (last is None or (now - last).total_seconds() >= site.sync_interval_for(interval))
    ]


@shared_task
def dispatch_due_pop3_fetches() -> int:
    """Run by beat: queue a fetch for every account that is due, once."""
    queued = 0
    for account_id in pop3_accounts_due():
        if cache.add(queued_key(account_id), 1, timeout=QUEUED_SECONDS):
            fetch_pop3_account.delay(account_id)
            queued += 1
    return queued
