"""Previews for servers without PREVIEW (RFC 8970): most of them (Gmail, Outlook).

Their summaries come without a preview, but name the message's first text part
(``preview_section``); once a folder's new rows are in, the first few hundred octets
of those parts are fetched, newest first, and decoded into previews. A pass cut short
leaves some previews empty: cosmetic, and the rest of the index is complete."""

from webmail.engine import copy_rows
from webmail.engine.message_rows import clean
from webmail.mail.imap import ImapSession
from webmail.mail.imap_types import MessageSummary
from webmail.models import Folder, Message

PREVIEW_BATCH = 500
PREVIEW_CHARS = 300


def wanting_preview(session: ImapSession, summaries: list[MessageSummary]) -> dict[int, str]:
    """UID → the part to preview, for summaries the server gave no preview."""
    if "PREVIEW" in session.capabilities:
        return {}
    return {s.uid: s.preview_section for s in summaries if not s.preview and s.preview_section}


def fill_previews(folder: Folder, session: ImapSession, sections: dict[int, str]) -> int:
    """Fetch and store the previews of ``sections`` (UID → part); returns how many."""
    newest_first = sorted(sections, reverse=True)
    filled = 0
    for start in range(0, len(newest_first), PREVIEW_BATCH):
        chunk = newest_first[start : start + PREVIEW_BATCH]
        previews = session.fetch_previews({uid: sections[uid] for uid in chunk})
        filled += _store(folder, previews)
    return filled


def _store(folder: Folder, previews: dict[int, str]) -> int:
    ids = Message.objects.filter(folder=folder, uid__in=list(previews)).values_list("uid", "pk")
    rows = [(pk, clean(" ".join(previews[uid].split()), PREVIEW_CHARS)) for uid, pk in ids]
    if not rows:
        return 0
    if copy_rows.available():
        copy_rows.update_by_pk(Message, ["id", "preview"], rows, durable=False)
    else:
        Message.objects.bulk_update([Message(pk=pk, preview=p) for pk, p in rows], ["preview"])
    return len(rows)
