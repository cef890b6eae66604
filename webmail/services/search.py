"""Search over the local index: PostgreSQL full text with a GIN index in
production, a plain substring match on SQLite (the embedded default)."""

from datetime import datetime, time

from django.contrib.postgres.search import SearchQuery as TextQuery
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from webmail.mail.search_query import SearchQuery, parse
from webmail.models import Message

# 'simple': no stemming, so a word matches in any of the languages mail comes in.
CONFIG = "simple"
# Must stay identical to the expression of the GIN index (migration 0003).
DOCUMENT = (
    SearchVector("subject", weight="A", config=CONFIG)
    + SearchVector("from_name", "from_email", weight="B", config=CONFIG)
    + SearchVector("body_text", weight="C", config=CONFIG)
)


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def match_words(messages: QuerySet, words: list[str]) -> QuerySet:
    if not words:
        return messages
    if uses_full_text():
        text = TextQuery(" ".join(words), config=CONFIG, search_type="websearch")
        return messages.alias(document=DOCUMENT).filter(document=text)  # not selected: costly
    for word in words:
        messages = messages.filter(
            Q(subject__icontains=word)
            | Q(from_name__icontains=word)
            | Q(from_email__icontains=word)
            | Q(body_text__icontains=word)
        )
    return messages


def day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def apply_filters(messages: QuerySet, query: SearchQuery) -> QuerySet:
    for sender in query.sender:
        messages = messages.filter(Q(from_name__icontains=sender) | Q(from_email__icontains=sender))
    for recipient in query.recipient:
        messages = messages.filter(Q(to__icontains=recipient) | Q(cc__icontains=recipient))
    for words in query.subject:
        messages = messages.filter(subject__icontains=words)
    if query.folder:
        messages = messages.filter(
            Q(folder__name__iexact=query.folder) | Q(folder__special_use=query.folder.lower())
        )
    filters = {
        "has_attachments": True if query.has_attachment else None,
        "is_seen": None if query.unread is None else not query.unread,
        "is_flagged": query.flagged,
        "internal_date__lt": day_start(query.before) if query.before else None,
        "internal_date__gte": day_start(query.after) if query.after else None,
    }
    return messages.filter(**{key: value for key, value in filters.items() if value is not None})


def search_messages(user, text: str, *, folder=None) -> QuerySet:
    """The person's messages matching ``text`` (words and operators), newest first."""
    query = parse(text)
    messages = Message.objects.filter(account__user=user)
    if folder is not None:
        messages = messages.filter(folder=folder)
    if query.is_empty:
        return messages.none()
    return match_words(apply_filters(messages, query), query.words)
