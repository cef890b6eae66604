"""The copy of a sent message in the account's Sent folder: over IMAP, or in
Courriel's own store for a POP3 account (its server has no folders).

At least once rather than exactly once: an APPEND whose answer is lost is tried
again, which at worst files two copies. A copy that cannot be filed never makes
its message "failed": it waits, with backoff, and is tried again on its own.
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from webmail.mail.errors import ConnectError, MailError, TemporaryError
from webmail.mail.imap import ImapSession, open_imap
from webmail.models import Folder, MailAccount, Message, SpecialUse
from webmail.outbox.backoff import lease_seconds, retry_delay
from webmail.outbox.models import CopyState, OutboxMessage

logger = logging.getLogger(__name__)

SEEN = "\\Seen"
DEFAULT_SENT_FOLDER = "Sent"
# Providers that file a copy of what their SMTP server sends in Sent themselves:
# appending one more would show every message twice.
SAVES_SENT_ITSELF = ("gmail.com", "googlemail.com")
COPY_ATTEMPTS = 12
BATCH = 200


def saves_sent_itself(account: MailAccount) -> bool:
    hosts = (account.smtp_host.lower().rstrip("."), account.incoming_host.lower().rstrip("."))
    return any(
        host == domain or host.endswith("." + domain)
        for host in hosts
        for domain in SAVES_SENT_ITSELF
    )


def copy_fields(account: MailAccount, now: datetime) -> dict:
    if account.protocol == "imap" and saves_sent_itself(account):
        return {"copy_state": CopyState.SKIPPED}
    return {"copy_state": CopyState.PENDING, "copy_next_at": now}


def copies_due(account_id: int):
    """Copies to file now: of sent messages, and of maybe-sent ones a person chose
    not to send again (see services.dismiss)."""
    return OutboxMessage.objects.filter(
        account_id=account_id,
        copy_state=CopyState.PENDING,
        copy_next_at__lte=timezone.now(),
    )


def _claim_copy(pk: int) -> OutboxMessage | None:
    """Pushing copy_next_at a lease ahead is the claim: a worker that dies leaves it
    due again once the lease is over."""
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=pk, copy_state=CopyState.PENDING, copy_next_at__lte=now
    ).update(
        copy_next_at=now + timedelta(seconds=lease_seconds()), copy_attempts=F("copy_attempts") + 1
    )
    if claimed != 1:
        return None
    return OutboxMessage.objects.only("raw", "sent_at", "copy_attempts").get(pk=pk)


def save_sent_copies(account: MailAccount) -> int:
    """APPEND the Sent copies due for this account, over one IMAP connection."""
    due = list(copies_due(account.pk).order_by("pk").values_list("pk", flat=True)[:BATCH])
    if not due:
        return 0
    if account.protocol == "pop3":
        return _keep_locally(account, due)
    saved = 0
    try:
        with open_imap(account.incoming_settings()) as session:
            folder = _sent_folder(account, session)
            for pk in due:
                saved += _save_copy(session, folder, pk)
    except MailError as error:
        logger.info("outbox: Sent copies of account %s wait: %s", account.pk, error)
        _copies_wait(account.pk, due, error)
    return saved


def _copies_wait(account_id: int, due: list[int], error: MailError) -> None:
    """The IMAP server is out of reach: every copy due waits, with backoff."""
    waiting = copies_due(account_id).filter(pk__in=due)
    attempts = max(waiting.values_list("copy_attempts", flat=True), default=0) + 1
    waiting.filter(copy_attempts__gte=COPY_ATTEMPTS).update(copy_state=CopyState.FAILED)
    waiting.update(
        copy_next_at=timezone.now() + retry_delay(attempts),
        copy_attempts=F("copy_attempts") + 1,
        copy_error=f"{error.code}: {error.detail}"[:1000],
    )


def _save_copy(session: ImapSession, folder: str, pk: int) -> int:
    message = _claim_copy(pk)
    if message is None:
        return 0
    try:
        session.append(folder, bytes(message.raw), flags=[SEEN], when=message.sent_at)
    except MailError as error:
        _copy_failed(message, error)
        if isinstance(error, ConnectError):
            raise
        return 0
    OutboxMessage.objects.filter(pk=pk).update(copy_state=CopyState.SAVED, copy_error="")
    return 1


def _keep_locally(account: MailAccount, due: list[int]) -> int:
    """A POP3 account's Sent copies, in its local Sent folder, in one batch. Once
    only: a copy kept by an attempt that died before recording it is recognised
    by its digest."""
    # The POP3 app builds on the outbox, not the other way round.
    from webmail.pop3.raw_files import LocalStorageError
    from webmail.pop3.services import keep_sent_copies

    claimed = [message for message in map(_claim_copy, due) if message is not None]
    raws = {message.pk: bytes(message.raw) for message in claimed}
    kept = set(
        Message.objects.filter(
            account=account,
            folder__special_use=SpecialUse.SENT,
            raw_sha256__in=[hashlib.sha256(raw).hexdigest() for raw in raws.values()],
        ).values_list("raw_sha256", flat=True)
    )
    missing = {}
    for raw in raws.values():
        missing.setdefault(hashlib.sha256(raw).hexdigest(), raw)  # two rows, same bytes: one copy
    try:
        keep_sent_copies(account, [raw for digest, raw in missing.items() if digest not in kept])
    except (OSError, LocalStorageError) as error:
        for message in claimed:
            _copy_failed(message, TemporaryError("local_storage", str(error)))
        return 0
    OutboxMessage.objects.filter(pk__in=raws).update(copy_state=CopyState.SAVED, copy_error="")
    return len(raws)


def _copy_failed(message: OutboxMessage, error: MailError) -> None:
    gave_up = message.copy_attempts >= COPY_ATTEMPTS
    OutboxMessage.objects.filter(pk=message.pk, copy_state=CopyState.PENDING).update(
        copy_state=CopyState.FAILED if gave_up else CopyState.PENDING,
        copy_next_at=timezone.now() + retry_delay(message.copy_attempts),
        copy_error=f"{error.code}: {error.detail}"[:1000],
    )


def _sent_folder(account: MailAccount, session: ImapSession) -> str:
    known = Folder.objects.filter(account=account, special_use=SpecialUse.SENT).values_list(
        "name", flat=True
    )
    if name := known.first():
        return name
    listed = session.list_folders()
    name = next((f.name for f in listed if f.special_use == "\\Sent"), None)
    if name is None:
        name = DEFAULT_SENT_FOLDER
        if all(f.name != name for f in listed):
            session.create_folder(name)
    return name
