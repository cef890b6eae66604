"""New drafts: blank, or answering, forwarding or reopening a message of the index."""

import email
import email.policy
from email.parser import BytesHeaderParser

from django.utils import formats
from django.utils.translation import gettext as _

from webmail.compose.models import Draft, DraftAttachment, Kind
from webmail.compose.senders import Sender, default_sender, own_addresses
from webmail.mail.compose import MESSAGE_ID, make_message_id, reply_references
from webmail.mail.compose import subject_with_prefix as prefixed
from webmail.mail.mime import ParsedMessage, parse_for_display, part_payloads, safe_filename
from webmail.mail.reply import (
    Original,
    format_addresses,
    forward_header_lines,
    html_to_plain,
    parse_addresses,
    quote_html,
    quote_text,
    reply_recipients,
    text_to_html,
)
from webmail.mail.written_html import clean_written_html
from webmail.models import MailAccount, Message, preferences_for
from webmail.models.preferences import ComposeFormat
from webmail.services.reading import load_raw


def new_draft(
    user, account: MailAccount, sender: Sender | None = None, quoted=("", ""), **fields
) -> Draft:
    sender = sender or default_sender(account)
    draft_format = fields.pop("format", None) or preferences_for(user).compose_format
    draft = Draft(
        user=user,
        account=account,
        identity=sender.identity,
        format=draft_format,
        message_id=make_message_id(sender.mailbox.address.rpartition("@")[2]),
        **fields,
    )
    if not (draft.body_html or draft.body_text):
        set_body(draft, signature_block(sender.signature, sender.signature_html), *quoted)
    draft.save()
    return draft


def signature_block(signature: str, signature_html: str = "") -> dict:
    """The signature as it appears in each format ("-- " line first, RFC 3676 4.3):
    the rich one, cleaned, in HTML when there is one, else the plain one made HTML;
    the page's script swaps it when the person picks another From."""
    rich = clean_written_html(signature_html) if signature_html.strip() else ""
    if not signature.strip() and not rich:
        return {"text": "", "html": ""}
    text = f"-- \n{signature.strip() or html_to_plain(rich).strip()}"
    html = f"<p>-- </p>{rich}" if rich else text_to_html(text)
    return {"text": text, "html": html}


def set_body(draft: Draft, block: dict, quoted_html: str = "", quoted_text: str = "") -> None:
    """The signature goes above the quote (a reply is read top-down)."""
    if draft.format == ComposeFormat.PLAIN:
        parts = [part for part in (block["text"], quoted_text) if part]
        draft.body_text = "\n\n" + "\n\n".join(parts) if parts else ""
    else:
        draft.body_html = "<p><br></p>" + block["html"] + quoted_html


def original_of(parsed: ParsedMessage) -> Original:
    return Original(
        sender=parse_addresses(parsed.sender)[0],
        reply_to=parse_addresses(parsed.reply_to)[0],
        to=parse_addresses(parsed.to)[0],
        cc=parse_addresses(parsed.cc)[0],
        subject=parsed.subject,
        date=formats.date_format(parsed.date, "DATETIME_FORMAT") if parsed.date else "",
    )


def reply_draft(user, message: Message, *, reply_all: bool) -> Draft:
    raw = load_raw(message)
    parsed = parse_for_display(raw)
    original = original_of(parsed)
    to, cc = reply_recipients(original, own_addresses(user), reply_all=reply_all)
    addressed = [m.address for m in (*original.to, *original.cc)]
    sender = default_sender(message.account, addressed)
    who = format_addresses(original.sender) or message.from_email
    if original.date:
        attribution = _("On %(date)s, %(sender)s wrote:") % {"date": original.date, "sender": who}
    else:
        attribution = _("%(sender)s wrote:") % {"sender": who}
    parent_id = parsed.message_id or message.message_id
    draft = new_draft(
        user,
        message.account,
        sender,
        to=format_addresses(to),
        cc=format_addresses(cc),
        subject=prefixed(parsed.subject or message.subject, "Re:"),
        kind=Kind.REPLY,
        original=message,
        in_reply_to=parent_id if MESSAGE_ID.fullmatch(parent_id or "") else "",
        references=" ".join(reply_references(message.references, parent_id)),
        quoted=_quotes(parsed, attribution),
    )
    return draft


def _quotes(parsed: ParsedMessage, attribution: str) -> tuple[str, str]:
    """The original quoted for each format, its HTML sanitized again on the way."""
    safe = clean_written_html(parsed.html) if parsed.html is not None else None
    text = parsed.text if parsed.text is not None else ""
    if parsed.text is None and safe is not None:
        text = html_to_plain(safe)
    html = quote_html(safe if safe is not None else text_to_html(text), attribution)
    return html, quote_text(text, attribution)


def forward_draft(user, message: Message, *, as_attachment: bool) -> Draft:
    raw = load_raw(message)
    parsed = parse_for_display(raw)
    subject = prefixed(parsed.subject or message.subject, "Fwd:")
    common = {"subject": subject, "kind": Kind.FORWARD, "original": message}
    sender = default_sender(message.account)
    if as_attachment:
        draft = new_draft(user, message.account, sender, **common)
        name = safe_filename(parsed.subject or message.subject, "message")[:80] + ".eml"
        DraftAttachment.objects.create(
            draft=draft, filename=name, content_type="message/rfc822", size=len(raw), content=raw
        )
    else:
        labels = {"from": _("From"), "date": _("Date"), "subject": _("Subject"), "to": _("To"),
                  "cc": _("Cc")}  # fmt: skip
        lines = [_("---------- Forwarded message ----------")]
        lines += forward_header_lines(original_of(parsed), labels)
        quoted = _forwarded(parsed, lines)
        draft = new_draft(user, message.account, sender, quoted=quoted, **common)
        copy_attachments(draft, raw, parsed)
    return draft


def _forwarded(parsed: ParsedMessage, lines: list[str]) -> tuple[str, str]:
    safe = clean_written_html(parsed.html) if parsed.html is not None else None
    text = parsed.text or ""
    head_html = text_to_html("\n".join(lines))
    body_html = safe if safe is not None else text_to_html(text)
    if parsed.text is None and safe is not None:
        text = html_to_plain(safe)
    return head_html + body_html, "\n".join(lines) + "\n\n" + text


def copy_attachments(draft: Draft, raw: bytes, parsed: ParsedMessage) -> None:
    # One parse for them all (in the walk's order): one per part is quadratic.
    for info, data in part_payloads(raw, [part.index for part in parsed.attachments]).values():
        DraftAttachment.objects.create(
            draft=draft,
            filename=info.filename or "attachment",
            content_type=info.content_type,
            size=len(data),
            content=data,
        )


def reopened_draft(user, message: Message, *, as_new: bool) -> Draft:
    """Edit as new (a fresh message with the same content), or continue a draft of the
    Drafts folder: saving it then replaces that message on the server."""
    if not as_new:
        existing = Draft.objects.filter(
            user=user, account=message.account, server_folder=message.folder.name,
            server_uid=message.uid, server_uidvalidity=message.folder.uidvalidity,
        ).first()  # fmt: skip
        if existing:
            return existing
    raw = load_raw(message)
    parsed = parse_for_display(raw)
    # The header alone: the body may nest deeper than the stdlib's parser recurses.
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    fields = {
        "to": parsed.to,
        "cc": parsed.cc,
        "bcc": str(headers.get("Bcc", "") or "") if not as_new else "",
        "subject": parsed.subject,
        "format": ComposeFormat.HTML if parsed.html is not None else ComposeFormat.PLAIN,
        "body_html": clean_written_html(parsed.html) if parsed.html is not None else "",
        "body_text": parsed.text or "",
    }
    if not as_new:
        fields |= {
            "in_reply_to": str(headers.get("In-Reply-To", "") or "").strip()[:998],
            "references": str(headers.get("References", "") or ""),
            "server_folder": message.folder.name,
            "server_uidvalidity": message.folder.uidvalidity,
            "server_uid": message.uid,
        }
    addressed = [m.address for m in parse_addresses(parsed.sender)[0]]
    draft = new_draft(user, message.account, default_sender(message.account, addressed), **fields)
    copy_attachments(draft, raw, parsed)
    return draft
