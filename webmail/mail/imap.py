"""The IMAP gateway: log in, list and watch folders, fetch and change messages.

    with open_imap(settings) as session:
        selected = session.select("INBOX", qresync=(uidvalidity, modseq))
        summaries = session.fetch_summaries(session.uids_since(last_uid))

Built on imapclient, which quotes and encodes every argument. Three paths
imapclient cannot take well go through its imaplib connection directly, always
with arguments made here from integers, constants and encoded names only:
bulk FETCH (read by ``imap_parse``, about 4x faster than imapclient's parser),
SELECT with QRESYNC (no API for it), and LIST/STATUS/GETQUOTAROOT (imapclient
sends GETQUOTAROOT's folder name unquoted). Every failure leaves as a ``webmail.mail.errors`` error.
"""

import contextlib
import functools
import imaplib
import re
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from imapclient import IMAPClient

from webmail.mail import mutf7
from webmail.mail.compose import MESSAGE_ID
from webmail.mail.errors import MailError, ProtocolError
from webmail.mail.folders import special_use_from_attributes, with_fallback_special_uses
from webmail.mail.imap_arguments import (
    PART_SECTION,
    TEXT_SECTION,
    checked_flags,
    checked_name,
    checked_section,
    chunks,
    mailbox,
    positive,
    quoted,
)
from webmail.mail.imap_connect import check_credentials, connect, drop, log_in
from webmail.mail.imap_errors import from_server_text, translated
from webmail.mail.imap_fetch import (
    SUMMARY_ITEMS,
    parse_bodies,
    parse_flag_updates,
    parse_header_fields,
    parse_summaries,
)
from webmail.mail.imap_parse import (
    Data,
    Segment,
    Value,
    group_responses,
    parse_response,
    parse_uid_set,
    uid_set_chunks,
)
from webmail.mail.imap_preview import decode_preview
from webmail.mail.imap_types import (
    DELETED,
    Address,
    Attachment,
    FlagUpdate,
    FolderInfo,
    FolderStatus,
    MessageSummary,
    Quota,
    SelectedFolder,
)
from webmail.mail.types import ServerSettings

__all__ = [
    "Address",
    "Attachment",
    "FlagUpdate",
    "FolderInfo",
    "FolderStatus",
    "ImapSession",
    "MessageSummary",
    "Quota",
    "SelectedFolder",
    "open_imap",
]

# RFC 2177: a client must re-issue IDLE within 29 minutes or be logged out.
MAX_IDLE_SECONDS = 29 * 60
NOOP_POLL_SECONDS = 1.0
CLOSE_TIMEOUT_SECONDS = 5.0
SUMMARY_BATCH = 2000
# Header field names as sent in HEADER.FIELDS: letters, digits and hyphens only.
HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,76}")
_CHANGE_RESPONSES = frozenset({b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED"})
_APPENDUID = re.compile(rb"\[APPENDUID \d+ ([0-9:,]+)\]", re.IGNORECASE)
_UNSELECTABLE = frozenset({"\\noselect", "\\nonexistent"})


def open_imap(settings: ServerSettings) -> "ImapSession":
    """Connect (implicit TLS, STARTTLS or plain, as ``settings.security`` says),
    log in, and enable QRESYNC (or CONDSTORE) when offered. Use the session as
    a context manager: it logs out on exit.

    Raises ConnectError, TLSError (with the server's certificate when
    verification failed), AuthError or TemporaryError."""
    check_credentials(settings)
    client = connect(settings)
    try:
        capabilities = log_in(client, settings)
        session = ImapSession(client, capabilities)
        with translated():
            session._enable_extensions()
    except BaseException:
        drop(client)
        raise
    return session


def _gateway[**P, R](method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with translated():
            return method(*args, **kwargs)

    return run


class ImapSession:
    """One logged-in connection. Not thread-safe: one session per task.

    Message operations act on the folder chosen with ``select``; those that
    change messages need it selected with ``readonly=False``."""

    def __init__(self, client: IMAPClient, capabilities: frozenset[str]) -> None:
        self._client = client
        # imapclient's imaplib connection: the raw path's only door (see module doc).
        self._imap: imaplib.IMAP4 = client._imap
        self.capabilities = capabilities
        self.enabled: frozenset[str] = frozenset()
        self._selected: tuple[str, bool] | None = None

    def __enter__(self) -> "ImapSession":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """LOGOUT and close the connection; never raises (it may be gone already)."""
        try:
            # A goodbye is not worth the full timeout of a server that went silent.
            self._client.socket().settimeout(CLOSE_TIMEOUT_SECONDS)
            self._client.logout()
        except (imaplib.IMAP4.error, OSError):
            drop(self._client)

    @property
    def selected(self) -> str | None:
        """The folder selected now, if any."""
        return self._selected[0] if self._selected else None

    @property
    def condstore(self) -> bool:
        """True when FETCH reports MODSEQ and CHANGEDSINCE works (RFC 7162)."""
        return "CONDSTORE" in self.enabled

    def _enable_extensions(self) -> None:
        # Dovecot (and RFC 7162) sends HIGHESTMODSEQ and MODSEQ only once enabled.
        wanted = [name for name in ("QRESYNC", "CONDSTORE") if name in self.capabilities]
        if not wanted or "ENABLE" not in self.capabilities:
            return
        try:
            enabled = {item.decode().upper() for item in self._client.enable(wanted[0])}
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error:
            return  # refused: the session works without, syncs just read more
        # QRESYNC implies CONDSTORE (RFC 7162 section 3.2.3).
        self.enabled = frozenset(enabled | ({"CONDSTORE"} if "QRESYNC" in enabled else set()))

    # -- folders ------------------------------------------------------------------------------

    @_gateway
    def list_folders(self) -> list[FolderInfo]:
        """Every folder, with its special use from SPECIAL-USE attributes or,
        for uses no folder carries, from well-known names (see ``folders``)."""
        arguments = ['""', '"*"']
        if {"SPECIAL-USE", "LIST-EXTENDED"} <= self.capabilities:
            # RFC 6154 section 2: such servers may list the attributes only on request.
            arguments += ["RETURN", "(SPECIAL-USE)"]
        responses = self._command("LIST", *arguments).get("LIST", [])
        folders = [_folder_info(parse_response(item)) for item in group_responses(responses)]
        return with_fallback_special_uses(folders)

    @_gateway
    def folder_status(self, name: str) -> FolderStatus:
        """STATUS of a folder that need not be selected (counts and UIDs)."""
        items = "MESSAGES UIDNEXT UIDVALIDITY UNSEEN"
        if "CONDSTORE" in self.capabilities:
            items += " HIGHESTMODSEQ"
        responses = self._command("STATUS", mailbox(name), f"({items})").get("STATUS", [])
        values = [parse_response(item) for item in group_responses(responses)]
        if not values or len(values[-1]) < 2 or not isinstance(values[-1][1], list):
            raise ProtocolError("protocol", f"no STATUS for {name!r}")
        status = _pairs(values[-1][1])
        return FolderStatus(
            uidvalidity=_number(status, b"UIDVALIDITY"),
            uidnext=_number(status, b"UIDNEXT"),
            messages=_number(status, b"MESSAGES"),
            unseen=_number(status, b"UNSEEN"),
            highestmodseq=_number(status, b"HIGHESTMODSEQ", default=None),
        )

    @_gateway
    def create_folder(self, name: str) -> None:
        """CREATE. The name may hold any printable character; control characters
        are refused here (ProtocolError "invalid_name"), others by the server."""
        self._client.create_folder(checked_name(name))

    @_gateway
    def rename_folder(self, old: str, new: str) -> None:
        """RENAME (children follow on servers with hierarchy)."""
        self._client.rename_folder(checked_name(old), checked_name(new))

    @_gateway
    def delete_folder(self, name: str) -> None:
        """DELETE, with every message in it."""
        if self.selected == name:
            self._unselect()
        self._client.delete_folder(checked_name(name))

    # -- selecting and watching ---------------------------------------------------------------

    @_gateway
    def select(
        self, name: str, *, readonly: bool = True, qresync: tuple[int, int] | None = None
    ) -> SelectedFolder:
        """EXAMINE (``readonly``, the default: syncing never changes the server)
        or SELECT a folder. With ``qresync=(uidvalidity, highestmodseq)`` from the
        last sync and a QRESYNC server, the answer also lists the UIDs expunged
        since and the flags changed since (RFC 7162 section 3.2.5)."""
        argument = mailbox(name)
        use_qresync = qresync is not None and "QRESYNC" in self.enabled
        if qresync is not None and use_qresync:
            uidvalidity, modseq = qresync
            argument += f" (QRESYNC ({positive(uidvalidity)} {positive(modseq)}))"
        self._selected = None
        typ, data = self._imap.select(argument, readonly)
        if typ != "OK":
            raise from_server_text(f"select {name!r} failed: {_text(data)}")
        self._selected = (name, readonly)
        return self._selected_folder(name, readonly, use_qresync)

    def _selected_folder(self, name: str, readonly: bool, qresync: bool) -> SelectedFolder:
        responses = self._imap.untagged_responses
        uidvalidity = _last_number(responses, "UIDVALIDITY")
        if uidvalidity is None:
            raise ProtocolError("protocol", f"no UIDVALIDITY for {name!r}")
        uidnext = _last_number(responses, "UIDNEXT")
        highestmodseq = (
            None if "NOMODSEQ" in responses else _last_number(responses, "HIGHESTMODSEQ")
        )
        selected = SelectedFolder(
            name=name,
            uidvalidity=uidvalidity,
            uidnext=uidnext,
            exists=_last_number(responses, "EXISTS") or 0,
            highestmodseq=highestmodseq,
            readonly=readonly,
            qresync=qresync,
            vanished=_vanished(responses.get("VANISHED", []), uidnext),
            changed=tuple(parse_flag_updates(responses.get("FETCH", []))),
        )
        responses.clear()
        return selected

    @_gateway
    def idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds (at most 29 minutes) for the selected
        folder (INBOX if none) to change; True as soon as the server reports new,
        expunged or changed messages. Uses IDLE, or NOOP every second without it."""
        if self._selected is None:
            self.select("INBOX")
        timeout = min(max(timeout, 0.0), MAX_IDLE_SECONDS)
        self._imap.untagged_responses.clear()  # report only what happens from now on
        if "IDLE" in self.capabilities:
            return self._idle(time.monotonic() + timeout)
        return self._poll(time.monotonic() + timeout)

    def _idle(self, deadline: float) -> bool:
        self._client.idle()
        changed = False
        while not changed and (remaining := deadline - time.monotonic()) > 0:
            changed = _reports_change(self._client.idle_check(timeout=remaining))
        _, responses = self._client.idle_done()
        return changed or _reports_change(responses)

    def _poll(self, deadline: float) -> bool:
        while True:
            _, responses = self._client.noop()
            if _reports_change(responses):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(NOOP_POLL_SECONDS, remaining))

    @_gateway
    def noop(self) -> None:
        """NOOP: keeps the connection alive (servers log out idle ones after 30 minutes)."""
        self._client.noop()

    # -- reading messages ---------------------------------------------------------------------

    @_gateway
    def all_uids(self) -> list[int]:
        """Every UID in the selected folder, ascending (UID SEARCH ALL)."""
        return self._uid_search("ALL")

    @_gateway
    def uids_since(self, uid: int) -> list[int]:
        """UIDs greater than ``uid``, ascending: the messages that arrived since."""
        # "n:*" also matches the highest UID when it is below n (RFC 9051 6.4.4).
        return [found for found in self._uid_search(f"UID {positive(uid + 1)}:*") if found > uid]

    @_gateway
    def uids_with_message_id(self, message_id: str) -> list[int]:
        """UIDs in the selected folder whose Message-ID header is ``message_id`` (a
        draft's versions share one). Refused unless it is a well-formed id."""
        if not MESSAGE_ID.fullmatch(message_id or ""):
            raise ProtocolError("invalid_message_id", f"not a Message-ID: {message_id!r}")
        return self._uid_search(f"HEADER Message-ID {quoted(message_id)}")

    @_gateway
    def fetch_summaries(self, uids: Sequence[int]) -> list[MessageSummary]:
        """Summaries of the given UIDs in the selected folder, in UID order; UIDs
        that no longer exist are left out. Never sets \\Seen (BODY.PEEK)."""
        ordered = sorted(set(uids))
        # Parsed batch by batch: a batch's parse tree is ~10x its wire size.
        batches = (ordered[i : i + SUMMARY_BATCH] for i in range(0, len(ordered), SUMMARY_BATCH))
        return [summary for batch in self.fetch_summary_batches(batches) for summary in batch]

    def fetch_summary_batches(
        self, batches: Iterable[Collection[int]]
    ) -> Iterator[list[MessageSummary]]:
        """``fetch_summaries`` of each batch of UIDs in turn, pipelined: the next
        batch's FETCH is sent before this one's response is parsed, so the server
        prepares it meanwhile. Leaving the loop early reads what is still in
        flight, which keeps the session usable."""
        self._require_selected()
        items = f"({self._summary_items()})"
        in_flight: deque[tuple[list[str], set[int]]] = deque()
        # A server may run pipelined FETCHes concurrently (RFC 9051 5.5, Dovecot
        # does): a later batch's responses can come before an earlier one's
        # completion. Responses are therefore matched to batches by UID.
        early: dict[int, MessageSummary] = {}
        with translated():
            try:
                for batch in batches:
                    wanted = set(batch)
                    chunks = uid_set_chunks(wanted) if wanted else ()
                    tags = [self._send("UID", "FETCH", chunk, items) for chunk in chunks]
                    in_flight.append((tags, wanted))
                    if len(in_flight) > 1:
                        yield self._summaries_of(in_flight, early)
                while in_flight:
                    yield self._summaries_of(in_flight, early)
            finally:
                self._drain([tag for tags, _wanted in in_flight for tag in tags])

    def _summary_items(self) -> str:
        items = SUMMARY_ITEMS
        if self.condstore:
            items += " MODSEQ"
        if "PREVIEW" in self.capabilities:
            items += " PREVIEW"
        return items

    def _summaries_of(
        self, in_flight: deque[tuple[list[str], set[int]]], early: dict[int, MessageSummary]
    ) -> list[MessageSummary]:
        """The first batch in flight, read to its completion; responses read for
        the batches after it wait in ``early``."""
        expected = set().union(*(wanted for _tags, wanted in in_flight))
        tags, wanted = in_flight.popleft()
        data: list[Segment | None] = []
        for tag in tags:
            data += self._complete("FETCH", tag).get("FETCH", [])
        if data:
            early.update((summary.uid, summary) for summary in parse_summaries(data, expected))
        return [early.pop(uid) for uid in sorted(wanted) if uid in early]

    @_gateway
    def fetch_previews(
        self, section_by_uid: Mapping[int, str], max_bytes: int = 512
    ) -> dict[int, str]:
        """Plain-text previews from the first ``max_bytes`` of each message's
        ``preview_section``, decoded with that part's own transfer encoding and
        charset. Messages gone from the server are absent from the result."""
        max_bytes = positive(max_bytes)
        uids_by_section: dict[str, list[int]] = {}
        for uid, section in section_by_uid.items():
            uids_by_section.setdefault(checked_section(section, TEXT_SECTION), []).append(uid)
        previews: dict[int, str] = {}
        for section, uids in uids_by_section.items():
            items = f"(BODY.PEEK[{section}]<0.{max_bytes}> BODY.PEEK[{section}.MIME])"
            data = self._uid_fetch(uids, items)
            octets = parse_bodies(data, f"BODY[{section}]<0>".encode())
            headers = parse_bodies(data, f"BODY[{section}.MIME]".encode())
            for uid in uids:
                if uid in octets:
                    previews[uid] = decode_preview(headers.get(uid, b""), octets[uid])
        return previews

    @_gateway
    def fetch_flags(
        self, *, changed_since: int | None = None, uids: Sequence[int] | None = None
    ) -> list[FlagUpdate]:
        """Flags of the given UIDs (all messages when None). With CONDSTORE and
        ``changed_since`` (a HIGHESTMODSEQ), only those changed since; without
        CONDSTORE, ``changed_since`` is ignored and every flag is read."""
        if uids is not None and not uids:
            return []
        items = "(UID FLAGS MODSEQ)" if self.condstore else "(UID FLAGS)"
        modifiers: tuple[str, ...] = ()
        if changed_since is not None and self.condstore:
            modifiers = (f"(CHANGEDSINCE {positive(changed_since)})",)
        data = self._uid_fetch(uids, items, *modifiers)
        updates = parse_flag_updates(data)
        wanted = None if uids is None else set(uids)
        return [update for update in updates if wanted is None or update.uid in wanted]

    @_gateway
    def fetch_message(self, uid: int) -> bytes:
        """The whole message as stored (BODY.PEEK[]: \\Seen stays as it was)."""
        return self._fetch_one(uid, "")

    @_gateway
    def fetch_messages(self, uids: Sequence[int]) -> dict[int, bytes]:
        """Whole messages by UID in one FETCH per chunk (BODY.PEEK[]); UIDs that
        no longer exist are simply missing from the answer."""
        if not uids:
            return {}
        return parse_bodies(self._uid_fetch(list(uids), "(UID BODY.PEEK[])"), b"BODY[]")

    @_gateway
    def fetch_header_fields(self, uids: Sequence[int], names: Sequence[str]) -> dict[int, bytes]:
        """Only the named header fields of each message, as a header block, in one
        FETCH per chunk (BODY.PEEK[HEADER.FIELDS (…)]: \\Seen stays as it was).
        A message with none of them gets an empty block; gone UIDs are absent."""
        if not uids:
            return {}
        if not names or not all(HEADER_NAME.fullmatch(name) for name in names):
            raise ProtocolError("invalid_header_name", f"not header field names: {names!r:.200}")
        items = f"(UID BODY.PEEK[HEADER.FIELDS ({' '.join(names)})])"
        return parse_header_fields(self._uid_fetch(list(uids), items))

    @_gateway
    def fetch_part(self, uid: int, section: str) -> bytes:
        """One body part by section ("2", "1.2", "1.MIME", "TEXT" …), still in
        its transfer encoding."""
        return self._fetch_one(uid, checked_section(section, PART_SECTION))

    def _fetch_one(self, uid: int, section: str) -> bytes:
        data = self._uid_fetch([uid], f"(UID BODY.PEEK[{section}])")
        bodies = parse_bodies(data, f"BODY[{section}]".encode())
        if uid not in bodies:
            raise ProtocolError("nonexistent", f"no message with UID {uid}")
        return bodies[uid]

    # -- changing messages --------------------------------------------------------------------

    @_gateway
    def store_flags(
        self, uids: Sequence[int], *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        """Add and remove flags (system flags such as "\\Seen", or keywords)."""
        self._require_writable()
        added, removed = checked_flags(add), checked_flags(remove)
        if not uids:
            return
        for uid_set in chunks(uids):
            if added:
                self._client.add_flags(uid_set, added, silent=True)
            if removed:
                self._client.remove_flags(uid_set, removed, silent=True)

    @_gateway
    def move(self, uids: Sequence[int], destination: str) -> dict[int, int]:
        """Move messages to another folder: MOVE (RFC 6851), else COPY, \\Deleted
        and UID EXPUNGE of exactly these UIDs (UIDPLUS); never a plain EXPUNGE,
        which would also remove messages other clients marked \\Deleted.
        Returns {old UID: new UID} when the server reports COPYUID."""
        self._require_writable()
        destination = checked_name(destination)
        if "MOVE" not in self.capabilities and "UIDPLUS" not in self.capabilities:
            raise ProtocolError("move_unsupported", "the server has neither MOVE nor UIDPLUS")
        mapping: dict[int, int] = {}
        for uid_set in chunks(uids) if uids else []:
            mapping |= self._move_set(uid_set, destination)
        return mapping

    @_gateway
    def delete_permanently(self, uids: Sequence[int]) -> None:
        """\\Deleted and UID EXPUNGE of exactly these UIDs (UIDPLUS). Without
        UIDPLUS a plain EXPUNGE would also remove what other clients marked."""
        self._require_writable()
        if "UIDPLUS" not in self.capabilities:
            raise ProtocolError("move_unsupported", "the server lacks UIDPLUS")
        for uid_set in chunks(uids) if uids else []:
            self._client.add_flags(uid_set, [DELETED], silent=True)
            self._client.uid_expunge(uid_set)

    def _move_set(self, uid_set: str, destination: str) -> dict[int, int]:
        # COPYUID comes in an untagged OK for MOVE, in the tagged OK for COPY:
        # imaplib files both under the code's name.
        self._imap.untagged_responses.pop("COPYUID", None)
        if "MOVE" in self.capabilities:
            self._client.move(uid_set, destination)
        else:
            self._client.copy(uid_set, destination)
        copied = _copied_uids(self._imap.untagged_responses.pop("COPYUID", []))
        if "MOVE" not in self.capabilities:
            self._client.add_flags(uid_set, [DELETED], silent=True)
            self._client.uid_expunge(uid_set)
        return copied

    @_gateway
    def append(
        self,
        folder: str,
        raw: bytes,
        flags: Iterable[str] = (),
        when: datetime | None = None,
    ) -> int | None:
        """APPEND a message (Sent copies, drafts); returns its UID when the server
        reports it (APPENDUID, RFC 4315). ``when`` should be timezone-aware."""
        response = self._client.append(
            checked_name(folder), raw, flags=checked_flags(flags), msg_time=when
        )
        match = _APPENDUID.search(response or b"")
        return parse_uid_set(match.group(1))[0] if match else None

    @_gateway
    def quota(self, folder: str = "INBOX") -> Quota | None:
        """Storage used and allowed for ``folder``'s quota root (RFC 9208), or None
        when the server has no QUOTA or no storage limit."""
        if "QUOTA" not in self.capabilities:
            return None
        responses = self._command("GETQUOTAROOT", mailbox(folder)).get("QUOTA", [])
        for item in group_responses(responses):
            # "* QUOTA root (STORAGE used limit MESSAGE used limit ...)"
            values = parse_response(item)
            if len(values) > 1 and isinstance(values[1], list):
                found = _storage_quota(values[1])
                if found:
                    return found
        return None

    # -- plumbing -----------------------------------------------------------------------------

    def _command(self, name: str, *arguments: str) -> Mapping[str, Data]:
        """Run a command built only from constants, numbers and
        ``imap_arguments`` values; return its untagged responses by name."""
        self._imap.untagged_responses.clear()
        return self._complete(name, self._send(name, *arguments))

    def _send(self, name: str, *arguments: str) -> str:
        """Send a command (built as ``_command``'s are) without waiting: its tag."""
        return self._imap._command(name, *arguments)

    def _complete(self, name: str, tag: str) -> Mapping[str, Data]:
        """Read up to the completion of the command tagged ``tag`` (commands sent
        after it stay unread); return the untagged responses read, by name."""
        typ, data = self._imap._command_complete(name, tag)
        if typ != "OK":
            raise from_server_text(f"{name} failed: {_text(data)}")
        responses = dict(self._imap.untagged_responses)
        self._imap.untagged_responses.clear()
        return responses

    def _drain(self, tags: list[str]) -> None:
        """Read the completions of commands a caller no longer wants; a broken
        connection leaves them unread (the session is lost anyway)."""
        with contextlib.suppress(imaplib.IMAP4.error, OSError, MailError):
            for tag in tags:
                self._complete("FETCH", tag)
        self._imap.untagged_responses.clear()

    def _uid_fetch(self, uids: Sequence[int] | None, items: str, *modifiers: str) -> Data:
        self._require_selected()
        uid_sets = ["1:*"] if uids is None else list(chunks(uids))
        data: list[Segment | None] = []
        for uid_set in uid_sets:
            data += self._command("UID", "FETCH", uid_set, items, *modifiers).get("FETCH", [])
        return data

    def _uid_search(self, criteria: str) -> list[int]:
        self._require_selected()
        found: list[int] = []
        for line in self._command("UID", "SEARCH", criteria).get("SEARCH", []):
            if isinstance(line, bytes):
                found.extend(int(uid) for uid in line.split() if uid.isdigit())
        return sorted(found)

    def _unselect(self) -> None:
        if "UNSELECT" in self.capabilities:
            self._client.unselect_folder()
        else:
            self._client.close_folder()  # CLOSE expunges only in a read-write folder
        self._selected = None

    def _require_selected(self) -> None:
        if self._selected is None:
            raise ProtocolError("no_folder_selected", "select a folder first")

    def _require_writable(self) -> None:
        self._require_selected()
        if self._selected and self._selected[1]:
            raise ProtocolError("read_only", "select the folder with readonly=False first")


# -- reading responses ---------------------------------------------------------------------------


def _folder_info(values: list[Value]) -> FolderInfo:
    if len(values) < 3 or not isinstance(values[0], list) or not isinstance(values[2], bytes):
        raise ProtocolError("protocol", f"malformed LIST response {values!r:.200}")
    attributes = frozenset(_text_of(item) for item in values[0] if isinstance(item, bytes))
    name = mutf7.decode(values[2])
    if name.upper() == "INBOX":
        name = "INBOX"  # case-insensitive, the only such name (RFC 9051 5.1)
    return FolderInfo(
        name=name,
        raw_name=values[2],
        delimiter=_text_of(values[1]) if isinstance(values[1], bytes) else None,
        flags=attributes,
        special_use=special_use_from_attributes(attributes),
        selectable=not {attribute.lower() for attribute in attributes} & _UNSELECTABLE,
    )


def _storage_quota(resources: list[Value]) -> Quota | None:
    for index in range(0, len(resources) - 2, 3):
        name = resources[index]
        if isinstance(name, bytes) and name.upper() == b"STORAGE":
            return Quota(_int(resources[index + 1]), _int(resources[index + 2]))
    return None


def _pairs(items: list[Value]) -> dict[bytes, Value]:
    return {
        key.upper(): value
        for key, value in zip(items[0::2], items[1::2], strict=False)
        if isinstance(key, bytes)
    }


def _number(pairs: dict[bytes, Value], key: bytes, default: int | None = 0) -> Any:
    value = pairs.get(key)
    return _int(value) if value is not None else default


def _int(value: Value) -> int:
    if isinstance(value, bytes) and value.isdigit():
        return int(value)
    raise ProtocolError("protocol", f"not a number: {value!r:.50}")


def _last_number(responses: Mapping[str, Data], name: str) -> int | None:
    values = [value for value in responses.get(name, []) if isinstance(value, bytes)]
    return _int(values[-1].split()[0]) if values and values[-1].strip() else None


def _vanished(responses: Data, uidnext: int | None) -> tuple[int, ...]:
    """UIDs from "* VANISHED (EARLIER) 41,43:116" (RFC 7162 section 3.2.10)."""
    vanished: set[int] = set()
    for item in responses:
        if isinstance(item, bytes):
            # Expunged UIDs are below UIDNEXT: the bound keeps "1:*" from exhausting memory.
            earlier = item.removeprefix(b"(EARLIER)").strip()
            vanished.update(parse_uid_set(earlier, (uidnext or 2**32) - 1))
    return tuple(sorted(vanished))


def _copied_uids(responses: Data) -> dict[int, int]:
    mapping: dict[int, int] = {}
    for response in responses:
        parts = response.split() if isinstance(response, bytes) else []
        if len(parts) == 3:
            # RFC 4315 section 3: both sets list UIDs in corresponding order.
            mapping |= dict(zip(parse_uid_set(parts[1]), parse_uid_set(parts[2]), strict=False))
    return mapping


def _reports_change(responses: Iterable[tuple[object, ...]]) -> bool:
    return any(
        isinstance(item, bytes) and item.upper() in _CHANGE_RESPONSES
        for response in responses
        for item in response[:2]
    )


def _text(data: Data) -> str:
    return " ".join(_text_of(item) for item in data if isinstance(item, bytes))


def _text_of(value: bytes) -> str:
    return value.decode("utf-8", "replace")
