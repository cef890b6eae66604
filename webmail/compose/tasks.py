"""Thin tasks: the Drafts mirror, what follows a send, learning the SMTP size limit."""

from celery import shared_task

from webmail.compose import limits, mirror, services
from webmail.mail.errors import ConnectError, MailError, TemporaryError
from webmail.mail.smtp import check_smtp_login
from webmail.models import MailAccount

RETRIES = {
    "autoretry_for": (ConnectError, TemporaryError, mirror.DraftBusy),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 8,
    "soft_time_limit": 60,
    "time_limit": 90,
}
WAIT_SECONDS = 15
UNKNOWN_SIZE_SECONDS = 3600


@shared_task(**RETRIES)
def mirror_draft(draft_id: int) -> bool:
    """APPEND the draft's latest version to Drafts and delete the one before."""
    return mirror.mirror_draft(draft_id)


@shared_task(**RETRIES)
def delete_draft_copy(account_id: int, folder: str, uidvalidity: int, uid: int) -> None:
    account = MailAccount.objects.filter(pk=account_id, protocol="imap").first()
    if account is not None:
        mirror.delete_copy(account, folder, uidvalidity, uid)


@shared_task(bind=True, **{**RETRIES, "max_retries": 500})
def follow_up_sent(self, draft_id: int) -> str:
    """Once the outbox is done: flag the original, delete the draft everywhere."""
    outcome = services.follow_up(draft_id)
    if outcome == "waiting":
        raise self.retry(countdown=services.seconds_until_due(draft_id, WAIT_SECONDS))
    return outcome


@shared_task(soft_time_limit=60, time_limit=90)
def learn_smtp_size(account_id: int) -> int | None:
    account = MailAccount.objects.filter(pk=account_id).first()
    if account is None:
        return None
    try:
        size = check_smtp_login(account.smtp_settings()).size_limit
    except MailError:
        # Unknown for now (asked again in an hour): the outbox reports a refusal in words.
        limits.remember_smtp_size(account_id, None, seconds=UNKNOWN_SIZE_SECONDS)
        return None
    limits.remember_smtp_size(account_id, size)
    return size


@shared_task
def settle_all_drafts() -> None:
    """Beat's catch-up: drafts whose follow-up task was lost (a worker restarted
    meanwhile) are cleaned up, or come back as drafts, within minutes."""
    services.settle_drafts()
