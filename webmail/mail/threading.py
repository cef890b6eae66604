"""Conversations: which messages belong together. Plain Python, no Django.

After https://www.jwz.org/doc/threading.html: every Message-ID a message names (its
own, those of its References, its In-Reply-To) is a node; a message links its node to
the nodes it names, and a parent we never received is a node without a message
(JWZ's empty container) that still holds its children together. A conversation is a
connected set of nodes.

Where References disagree about who is whose parent, JWZ keeps the first link it
sees, which depends on the order messages arrive in. We keep the union of every link
instead, so that the index, threaded message by message as mail arrives, ends with
the same conversations whatever the order; cycles in References are then harmless.

The subject fallback is conservative: a reply ("Re: …") that names no parent at all
joins the latest conversation started (by a message naming no parent either) under
the same subject; nothing else ever joins on subject.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# "Re:", "RE :", "Re[2]:", "Réf. :", "AW:", "SV:", "Fwd:"… in any number, and list tags.
REPLY_PREFIX = re.compile(
    r"^\s*(?:re|ré|réf|ref|aw|sv|antw|vs|r)\s*(?:\[\d+\])?\s*\.?\s*:\s*", re.IGNORECASE
)
FORWARD_PREFIX = re.compile(r"^\s*(?:fwd?|tr|wg)\s*:\s*", re.I)
LIST_TAG = re.compile(r"^\s*\[[^\]]{1,40}\]\s*")
MAX_REFERENCES = 100  # a hostile message may name thousands; its nearest ancestors suffice
MAX_KEY_BYTES = 500  # keys are indexed: longer ones are stored as a digest


@dataclass(frozen=True)
class ThreadInput:
    """What threading needs of one message; ``key`` is its row id."""

    key: int
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    subject: str = ""
    date: datetime | None = None


@dataclass
class ThreadPlan:
    """What to store: each new message's conversation, conversations merged into
    another, and what to remember for the messages that come later."""

    thread_of: dict[int, int] = field(default_factory=dict)  # message key → conversation
    merged: dict[int, int] = field(default_factory=dict)  # old conversation → kept one
    links: dict[str, int] = field(default_factory=dict)  # node key → conversation
    subjects: dict[str, int] = field(default_factory=dict)  # subject key → conversation


def message_ids(text: str) -> list[str]:
    """The Message-IDs in a header value, in order; a bare value without brackets
    (seen from broken mailers) counts as one."""
    found = MESSAGE_ID.findall(text or "")
    if found:
        return found
    bare = (text or "").strip()
    # No whitespace inside, as in a bracketed one: keys never hold a line break.
    return [f"<{bare}>"] if bare and len(bare.split()) == 1 else []


def parents_of(message: ThreadInput) -> list[str]:
    """The ancestors a message names, nearest last: References, then In-Reply-To
    when References does not already end with it; never the message itself."""
    own = set(message_ids(message.message_id)[:1])
    named = message_ids(message.references)[-MAX_REFERENCES:]
    reply_to = message_ids(message.in_reply_to)[:1]
    if reply_to and (not named or named[-1] != reply_to[0]):
        named.append(reply_to[0])
    seen: set[str] = set()
    parents = []
    for message_id in named:
        if message_id not in own and message_id not in seen:
            seen.add(message_id)
            parents.append(message_id)
    return parents


def node_key(message_id: str) -> str:
    return bounded(f"m:{message_id}")


def subject_key(subject: str) -> str:
    return bounded(f"s:{base_subject(subject).casefold()}")


def bounded(key: str) -> str:
    if len(key.encode("utf-8", "replace")) <= MAX_KEY_BYTES:
        return key
    return key[:2] + "#" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


@lru_cache(maxsize=4096)  # a mailbox repeats its subjects: threading a batch asks often
def base_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and list tags (JWZ's "base subject")."""
    text = " ".join((subject or "").split())
    while True:
        stripped = LIST_TAG.sub("", text, count=1)
        stripped = REPLY_PREFIX.sub("", stripped, count=1)
        stripped = FORWARD_PREFIX.sub("", stripped, count=1)
        if stripped == text:
            return text.strip()
        text = stripped


@lru_cache(maxsize=4096)
def is_reply_subject(subject: str) -> bool:
    text = LIST_TAG.sub("", " ".join((subject or "").split()), count=1)
    return bool(REPLY_PREFIX.match(text))


class _Sets:
    """Union-find over the nodes of ``plan_threads``: a message is its key (an int
    >= 0), a Message-ID its node key (a str), a known conversation ``~label`` (an
    int < 0). Plain ints and strings: tuples tagging each kind cost a third of the
    planning."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, node):
        parent = self.parent
        root = parent.setdefault(node, node)
        if root == node:
            return root
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def union(self, first, second) -> None:
        self.parent[self.find(first)] = self.find(second)


def _is_message(node) -> bool:
    return node.__class__ is int and node >= 0


def _is_thread(node) -> bool:
    return node.__class__ is int and node < 0


def plan_threads(
    messages: Iterable[ThreadInput],
    known_links: Mapping[str, int] | None = None,
    known_subjects: Mapping[str, int] | None = None,
) -> ThreadPlan:
    """Conversations for ``messages`` given what earlier ones left (``known_links``:
    node key → conversation; ``known_subjects``: subject key → conversation).

    A new conversation is labelled with the smallest key of its messages; when a
    message links conversations, the smallest label is kept and the others are
    merged into it. Labels are therefore never reused if keys are never reused.
    Keys and labels are integers >= 0."""
    messages = sorted(messages, key=lambda message: message.key)
    if messages and messages[0].key < 0:
        raise ValueError("message keys must not be negative")
    known_links = known_links or {}
    parents = {message.key: parents_of(message) for message in messages}
    sets = _Sets()
    for message in messages:
        nodes = [node_key(m) for m in message_ids(message.message_id)[:1]]
        nodes += [node_key(parent) for parent in parents[message.key]]
        sets.find(message.key)
        for node in nodes:
            sets.union(message.key, node)
            if node in known_links:
                sets.union(node, ~known_links[node])
    starting = {m.key for m in messages if not parents[m.key] and base_subject(m.subject)}
    _join_on_subject(messages, sets, known_subjects or {}, starting)
    return _plan_from(messages, sets, starting)


def _join_on_subject(
    messages: list[ThreadInput], sets: _Sets, known: Mapping[str, int], starting: set[int]
) -> None:
    """A reply naming no parent, alone in its set, joins the latest conversation
    started under its subject no later than itself (else one from earlier batches)."""
    members: dict = {}
    for node in list(sets.parent):
        members.setdefault(sets.find(node), []).append(node)
    starters: dict[str, list[ThreadInput]] = {}
    for message in messages:
        if message.key in starting and not is_reply_subject(message.subject):
            starters.setdefault(subject_key(message.subject), []).append(message)
    for message in messages:
        if message.key not in starting or not is_reply_subject(message.subject):
            continue
        own_set = members[sets.find(message.key)]
        if any(member.__class__ is int and member != message.key for member in own_set):
            continue  # already linked to other messages or a conversation: no guessing
        key = subject_key(message.subject)
        earlier = [s for s in starters.get(key, []) if _not_after(s, message)]
        if earlier:
            latest = max(earlier, key=lambda s: (s.date is not None, s.date or 0, s.key))
            sets.union(message.key, latest.key)
        elif key in known:
            sets.union(message.key, ~known[key])


def _not_after(first: ThreadInput, second: ThreadInput) -> bool:
    if first.date is None or second.date is None:
        return first.key < second.key
    return (first.date, first.key) <= (second.date, second.key)


def _plan_from(messages: list[ThreadInput], sets: _Sets, starting: set[int]) -> ThreadPlan:
    groups: dict = {}
    for node in list(sets.parent):
        groups.setdefault(sets.find(node), []).append(node)
    label_of_root = {}
    plan = ThreadPlan()
    for root, nodes in groups.items():
        threads = sorted(~node for node in nodes if _is_thread(node))
        keys = [node for node in nodes if _is_message(node)]
        label = threads[0] if threads else min(keys) if keys else None
        if label is None:
            continue
        label_of_root[root] = label
        for old in threads[1:]:
            plan.merged[old] = label
        for node in nodes:
            if node.__class__ is str:
                plan.links[node] = label
    # Oldest first, so that the latest conversation started under a subject wins.
    for message in sorted(messages, key=lambda m: (m.date is not None, m.date or 0, m.key)):
        label = label_of_root[sets.find(message.key)]
        plan.thread_of[message.key] = label
        if message.key in starting and not is_reply_subject(message.subject):
            plan.subjects[subject_key(message.subject)] = label
    return plan


def conversations(messages: Iterable[ThreadInput]) -> list[set[int]]:
    """Every conversation among ``messages``, each as the set of its keys, in one go."""
    plan = plan_threads(messages)
    by_label: dict[int, set[int]] = {}
    for key, label in plan.thread_of.items():
        by_label.setdefault(label, set()).add(key)
    return sorted(by_label.values(), key=min)
