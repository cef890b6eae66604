"""Bodies for search: fetched in the background, newest first, size-capped.

Each raw message goes to storage (by content hash) and its text to the index,
so search covers bodies without anyone opening them."""

from django.conf import settings

from webmail.mail.imap import ImapSession
from webmail.mail.text import extract_text
from webmail.models import Folder, Message
from webmail.models.messages import BodyState
from webmail.raw_store import store_raw

BATCH_SIZE = 50


def pending_bodies(folder: Folder):
    return Message.objects.filter(folder=folder, body_state=BodyState.PENDING).order_by(
        "-internal_date", "-uid"
    )


def index_bodies(folder: Folder, session: ImapSession, *, limit: int | None = None) -> int:
    """Fetch and index up to ``limit`` pending bodies of a folder; returns how many."""
    cap = settings.BODY_INDEX_MAX_BYTES
    pending_bodies(folder).filter(size__gt=cap).update(body_state=BodyState.TOO_LARGE)
    rows = list(pending_bodies(folder).only("pk", "uid")[:limit])
    if not rows:
        return 0
    session.select(folder.name, readonly=True)
    for start in range(0, len(rows), BATCH_SIZE):
        index_batch(session, rows[start : start + BATCH_SIZE])
    return len(rows)


def index_batch(session: ImapSession, rows: list[Message]) -> None:
    raws = session.fetch_messages([row.uid for row in rows])
    indexed = []
    for row in rows:
        raw = raws.get(row.uid)
        if raw is None:  # expunged meanwhile: the next sync removes the row
            continue
        row.raw_sha256 = store_raw(raw)
        row.body_text = extract_text(raw)
        row.body_state = BodyState.INDEXED
        indexed.append(row)
    Message.objects.bulk_update(indexed, ["raw_sha256", "body_text", "body_state"])
