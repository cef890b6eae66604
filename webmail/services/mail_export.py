"""A folder as an .mbox file, produced as it is sent: memory stays that of one batch.

Messages come from Courriel's store when it has them; the rest of an IMAP folder
is fetched from the server in batches over one session opened for the whole
download (a message the server no longer has is left out)."""

import logging
from collections.abc import Iterator
from contextlib import suppress

from django.db.models import Q

from webmail.mail.errors import MailError
from webmail.mail.imap import ImapSession, open_imap
from webmail.mail.mbox import mbox_entry
from webmail.models import Folder, Message
from webmail.raw_store import read_raw

logger = logging.getLogger(__name__)
BATCH_MESSAGES = 50
BATCH_BYTES = 20 * 1024 * 1024
FIELDS = ("pk", "uid", "raw_sha256", "internal_date", "size")


def open_session_for(folder: Folder) -> ImapSession | None:
    """The IMAP session an export of ``folder`` needs (None: all of it is stored
    here). Opened before the first byte is sent, so that an unreachable server
    gives a page that says so; raises MailError."""
    if folder.account.protocol != "imap":
        return None
    if not Message.objects.filter(folder=folder, raw_sha256="").exists():
        return None
    session = open_imap(folder.account.incoming_settings())
    try:
        selected = session.select(folder.name, readonly=True)
    except BaseException:
        session.close()
        raise
    if selected.uidvalidity != folder.uidvalidity:
        session.close()  # another epoch: our UIDs name other messages now
        return None
    return session


class MboxStream:
    """The folder's messages in date order, one mbox entry per chunk. ``close``
    logs out of the server, even when not a byte was asked for (a HEAD request,
    a download cancelled at once): Django calls it when the response ends."""

    def __init__(self, folder: Folder, session: ImapSession | None) -> None:
        self._session = session
        self._chunks = mbox_chunks(folder, session)

    def __iter__(self) -> "MboxStream":
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        self._chunks.close()
        if self._session is not None:
            self._session.close()
            self._session = None


def mbox_chunks(folder: Folder, session: ImapSession | None) -> Iterator[bytes]:
    for batch in batches(folder):
        raws = {message.pk: stored_raw(message) for message in batch}
        missing = [message for message in batch if raws[message.pk] is None]
        fetched = fetch_from_server(session, folder, missing) if session else {}
        for message in batch:
            raw = raws[message.pk] or fetched.get(message.uid)
            if raw is None:
                logger.info("export of folder %s: message %s is gone", folder.pk, message.pk)
                continue
            yield mbox_entry(raw, when=message.internal_date)


def batches(folder: Folder) -> Iterator[list[Message]]:
    """Rows by (internal date, id), a page at a time: no cursor held between pages."""
    rows = Message.objects.filter(folder=folder).only(*FIELDS).order_by("internal_date", "pk")
    after: Q | None = None
    while True:
        page = list((rows.filter(after) if after else rows)[:BATCH_MESSAGES])
        if not page:
            return
        yield from split_by_size(page)
        last = page[-1]
        after = Q(internal_date__gt=last.internal_date) | Q(
            internal_date=last.internal_date, pk__gt=last.pk
        )


def split_by_size(page: list[Message]) -> Iterator[list[Message]]:
    """Big attachments make small batches: at most BATCH_BYTES held at once."""
    batch: list[Message] = []
    total = 0
    for message in page:
        if batch and total + message.size > BATCH_BYTES:
            yield batch
            batch, total = [], 0
        batch.append(message)
        total += message.size
    if batch:
        yield batch


def stored_raw(message: Message) -> bytes | None:
    if not message.raw_sha256:
        return None
    with suppress(FileNotFoundError):
        return read_raw(message.raw_sha256)
    return None


def fetch_from_server(
    session: ImapSession, folder: Folder, messages: list[Message]
) -> dict[int, bytes]:
    """One FETCH for the batch's messages not stored here."""
    if not messages:
        return {}
    try:
        return session.fetch_messages([message.uid for message in messages])
    except MailError:
        # The download has begun: a server lost midway can only shorten it.
        logger.warning("export of folder %s: fetch failed", folder.pk, exc_info=True)
        return {}
