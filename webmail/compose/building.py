"""A draft as a MIME message: what is sent, and what is mirrored in Drafts."""

from dataclasses import dataclass

from webmail.compose.models import Draft
from webmail.compose.senders import draft_sender
from webmail.mail.compose import (
    MESSAGE_ID,
    Attachment,
    Mailbox,
    build_message,
    envelope_recipients,
    make_message_id,
)
from webmail.mail.reply import html_to_plain, parse_addresses
from webmail.mail.written_html import clean_written_html
from webmail.models.preferences import ComposeFormat


@dataclass(frozen=True)
class Recipients:
    to: list[Mailbox]
    cc: list[Mailbox]
    bcc: list[Mailbox]
    invalid: list[str]

    @property
    def everyone(self) -> list[Mailbox]:
        return [*self.to, *self.cc, *self.bcc]


def recipients_of(draft: Draft) -> Recipients:
    parsed = [parse_addresses(value) for value in (draft.to, draft.cc, draft.bcc)]
    invalid = [piece for _valid, bad in parsed for piece in bad]
    return Recipients(parsed[0][0], parsed[1][0], parsed[2][0], invalid)


def bodies_of(draft: Draft) -> tuple[str, str | None]:
    """(plain text, HTML or None). The HTML is sanitized again: what the editor
    gives back is never trusted; the plain alternative is made from that."""
    if draft.format == ComposeFormat.PLAIN:
        return draft.body_text, None
    html = clean_written_html(draft.body_html)
    return html_to_plain(html), html


def build_draft_message(draft: Draft, *, message_id: str | None = None, lenient=False) -> bytes:
    """The message as bytes. ``lenient`` (for the Drafts mirror) leaves out the
    addresses that are not valid yet instead of refusing."""
    sender = draft_sender(draft)
    recipients = recipients_of(draft)
    text, html = bodies_of(draft)
    references = MESSAGE_ID.findall(draft.references)
    in_reply_to = draft.in_reply_to if MESSAGE_ID.fullmatch(draft.in_reply_to or "") else None
    return build_message(
        sender=sender.mailbox,
        to=_usable(recipients.to, lenient),
        cc=_usable(recipients.cc, lenient),
        reply_to=[Mailbox(sender.reply_to)] if sender.reply_to else [],
        subject=" ".join(draft.subject.split()),
        text=text,
        html=html,
        attachments=[
            Attachment(item.filename, bytes(item.content), item.content_type)
            for item in draft.attachments.all()
        ],
        message_id=message_id or make_message_id(sender.mailbox.address.rpartition("@")[2]),
        in_reply_to=in_reply_to,
        references=references,
    )


def draft_copy(draft: Draft) -> bytes:
    """The version filed in Drafts: lenient about unfinished addresses, and with a Bcc
    header (bare addresses) so that reopening it elsewhere keeps the blind copies."""
    raw = build_draft_message(draft, message_id=draft.message_id, lenient=True)
    bcc = [m.address for m in _usable(recipients_of(draft).bcc, True)]
    if not bcc:
        return raw
    return b"Bcc: " + ", ".join(envelope_recipients(bcc)).encode("ascii") + b"\r\n" + raw


def _usable(mailboxes: list[Mailbox], lenient: bool) -> list[Mailbox]:
    if not lenient:
        return mailboxes
    usable = []
    for mailbox in mailboxes:
        try:
            build_message(sender=mailbox, subject="")
        except ValueError:
            continue
        usable.append(mailbox)
    return usable
