"""The vacation reply: new Inbox mail answered once through the outbox while its
owner is away (RFC 3834).

It runs on the UIDs that ``filters.claim_arrivals`` claimed, after the filters: a
message a filter moved (to Junk, the Trash, a folder) has left the Inbox and is
not answered. Which messages may be answered is decided on their own header
fields (``webmail.mail.auto_reply``); whom to answer again only after ``days``
is decided by a compare-and-set on VacationRecipient, so two passes racing
answer an address once.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from webmail.compose.models import Identity
from webmail.contacts.models import Contact
from webmail.mail.auto_reply import screen
from webmail.mail.compose import (
    MESSAGE_ID,
    Mailbox,
    build_message,
    reply_references,
    subject_with_prefix,
)
from webmail.models import Folder, MailAccount, Message, VacationRecipient, VacationReply
from webmail.models.preferences import preferences_for
from webmail.outbox.services import queue_message
from webmail.preferences_middleware import zone_or_none
from webmail.raw_store import read_raw
from webmail.services.filters import start_marks

logger = logging.getLogger(__name__)

# Reads the header fields of messages of the folder, by UID: {uid: header block}.
HeaderReader = Callable[[list[int]], dict[int, bytes]]
AUTO_REPLIED = ("Auto-Submitted", "auto-replied")  # RFC 3834 section 5


def reply_to_arrivals(folder: Folder, claimed: tuple[int, int] | None, read: HeaderReader) -> int:
    """Answer the claimed new messages still in the Inbox; returns how many were."""
    if claimed is None:
        return 0
    vacation = active_vacation(folder.account_id)
    if vacation is None:
        return 0
    after, through = claimed
    # INTERNALDATE has whole seconds: mail of the second it was switched on counts.
    since = vacation.enabled_at.replace(microsecond=0)
    arrivals = Message.objects.filter(
        folder=folder, uid__gt=after, uid__lte=through, internal_date__gte=since
    )
    zone = person_zone(vacation)
    due = [m for m in arrivals.order_by("uid") if within_dates(vacation, m.internal_date, zone)]
    if not due:
        return 0
    blocks = read([message.uid for message in due])
    own = own_addresses(vacation.account)
    return sum(
        answer(vacation, message, blocks[message.uid], own)
        for message in due
        if message.uid in blocks
    )


def active_vacation(account_id: int) -> VacationReply | None:
    enabled = VacationReply.objects.filter(account_id=account_id, enabled=True)
    return enabled.exclude(enabled_at=None).select_related("account__user").first()


def person_zone(vacation: VacationReply) -> tzinfo:
    zone = zone_or_none(preferences_for(vacation.account.user).time_zone)
    return zone or timezone.get_default_timezone()


def within_dates(vacation: VacationReply, instant: datetime, zone: tzinfo) -> bool:
    """The first and last days are whole days in the person's time zone."""
    day = timezone.localtime(instant, zone).date()
    return (vacation.first_day is None or vacation.first_day <= day) and (
        vacation.last_day is None or day <= vacation.last_day
    )


def own_addresses(account: MailAccount) -> set[str]:
    identities = Identity.objects.filter(account=account).values_list("email", "reply_to")
    return {account.email, *(address for pair in identities for address in pair if address)}


def answer(vacation: VacationReply, message: Message, headers: bytes, own: set[str]) -> bool:
    screening = screen(headers, own)
    if not screening.may_reply:
        logger.info("vacation: message %s not answered (%s)", message.pk, screening.reason)
        return False
    account = vacation.account
    if vacation.contacts_only and not is_contact(account, screening.author):
        return False
    try:
        with transaction.atomic():  # an address claimed but not queued is released
            if not claim_recipient(account, screening.recipient, vacation.days):
                return False
            queue_message(account, build_reply(vacation, message, screening.recipient),
                          recipients=[screening.recipient])  # fmt: skip
    except ValueError:
        logger.info("vacation: no reply can be written to message %s", message.pk)
        return False
    return True


def is_contact(account: MailAccount, address: str) -> bool:
    return Contact.objects.filter(user_id=account.user_id, email__iexact=address).exists()


def claim_recipient(account: MailAccount, address: str, days: int) -> bool:
    """Whether ``address`` may be answered now (it was not within ``days``);
    the answer is recorded in the same stroke."""
    address, now = address.lower(), timezone.now()
    answered = VacationRecipient.objects.filter(account=account, address=address)
    if answered.filter(replied_at__lte=now - timedelta(days=days)).update(replied_at=now):
        return True
    try:
        with transaction.atomic():
            VacationRecipient.objects.create(account=account, address=address, replied_at=now)
    except IntegrityError:  # answered within the days, or by a pass alongside
        return False
    return True


def build_reply(vacation: VacationReply, message: Message, recipient: str) -> bytes:
    account = vacation.account
    parent = message.message_id.strip()
    return build_message(
        sender=Mailbox(account.email, account.display_name),
        to=[Mailbox(recipient)],
        subject=vacation.subject or subject_with_prefix(message.subject),
        text=vacation.text,
        in_reply_to=parent if MESSAGE_ID.fullmatch(parent) else None,
        references=reply_references(message.references, parent),
        extra_headers=[AUTO_REPLIED],
    )


def stored_headers(folder: Folder) -> HeaderReader:
    """A HeaderReader for a POP3 account's folders: their raw messages are here."""

    def read(uids: Sequence[int]) -> dict[int, bytes]:
        rows = Message.objects.filter(folder=folder, uid__in=uids).values_list("uid", "raw_sha256")
        blocks = {}
        for uid, digest in rows:
            try:
                blocks[uid] = read_raw(digest)  # screen() parses its header only
            except (FileNotFoundError, ValueError):
                logger.info("vacation: raw message of UID %s in folder %s is gone", uid, folder.pk)
        return blocks

    return read


def switched(vacation: VacationReply, was_enabled: bool) -> None:
    """Switched on: from now on, with a clean slate of people answered (as Gmail
    does); the Inbox is marked so that only mail from now is new."""
    if vacation.enabled and not was_enabled:
        vacation.enabled_at = timezone.now()
        VacationRecipient.objects.filter(account=vacation.account).delete()
        start_marks(vacation.account)
    vacation.save()
