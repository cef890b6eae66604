"""Address suggestions from the person's own mail: whom they wrote to or heard from."""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from webmail.contacts.models import Contact
from webmail.models import Message

SCANNED_MESSAGES = 2000
SUGGESTIONS = 8
HALF_LIFE_DAYS = 60


def suggest_addresses(user, query: str, limit: int = SUGGESTIONS) -> list[dict]:
    """The person's contacts matching ``query`` first, then the addresses of their
    own mail, most used and most recent first."""
    query = query.strip()
    if len(query) < 1:
        return []
    kept = contacts_matching(user, query, limit)
    taken = {item["address"].casefold() for item in kept}
    heard = [
        item for item in heard_from(user, query, limit) if item["address"].casefold() not in taken
    ]
    return (kept + heard)[:limit]


def contacts_matching(user, query: str, limit: int) -> list[dict]:
    rows = Contact.objects.filter(user=user).filter(
        Q(email__icontains=query) | Q(name__icontains=query)
    )
    return [
        {"name": name, "address": email}
        for name, email in rows.values_list("name", "email")[:limit]
    ]


def heard_from(user, query: str, limit: int) -> list[dict]:
    """The addresses matching ``query`` in the person's index. Only this person's
    accounts are read."""
    matching = (
        Q(from_email__icontains=query) | Q(from_name__icontains=query)
        | Q(to__icontains=query) | Q(cc__icontains=query)
    )  # fmt: skip
    rows = (
        Message.objects.filter(account__user=user)
        .filter(matching)
        .order_by("-internal_date")
        .values_list("from_name", "from_email", "to", "cc", "internal_date")[:SCANNED_MESSAGES]
    )
    scores: dict[str, list] = {}
    now = timezone.now()
    needle = query.casefold()
    for from_name, from_email, to, cc, when in rows:
        for name, address in [(from_name, from_email), *_pairs(to), *_pairs(cc)]:
            if needle in (address or "").casefold() or needle in (name or "").casefold():
                _count(scores, name or "", address, _weight(now, when))
    ranked = sorted(scores.values(), key=lambda item: -item[2])[:limit]
    return [{"name": name, "address": address} for name, address, _score in ranked]


def _pairs(value) -> list[tuple[str, str]]:
    pairs = []
    for item in value or []:
        if isinstance(item, list | tuple) and len(item) == 2:
            pairs.append((str(item[0] or ""), str(item[1] or "")))
    return pairs


def _weight(now: datetime, when: datetime | None) -> float:
    days = max((now - when).total_seconds() / 86400, 0) if when else 365
    return 0.5 ** (days / HALF_LIFE_DAYS)


def _count(scores: dict, name: str, address: str, weight: float) -> None:
    if "@" not in address:
        return
    entry = scores.setdefault(address.casefold(), [name, address, 0.0])
    entry[2] += weight
    if name and not entry[0]:
        entry[0] = name
