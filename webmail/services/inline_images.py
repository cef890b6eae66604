"""Images shown inline (the cid: images of a body, the thumbnails of its
attachments), kept a few minutes in the cache.

The body and the message page have the message parsed already; each of their
<img> tags is then a request of its own, and parsing a large message again for
each one cost seconds of CPU per image. So they put the images they show in the
cache for the requests about to follow. The cache is only a shortcut: the token
or the owner, and the message's row, are checked first on every request (a
deleted message's images are gone with it). A miss (expired, past the budget,
cache down) parses the message once, and caches the images after the one asked
for: the next requests are for them.
"""

import hashlib
import logging
from email.message import Message as MimeTree
from operator import attrgetter

from django.core.cache import cache

from webmail.mail.mime import (
    ParsedMessage,
    Part,
    described_leaves,
    parse_raw,
    payloads_in,
    read_for_display,
)

logger = logging.getLogger(__name__)

INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
# Long enough for a page and its images to load, not to be storage; bounded per
# page so that a hostile message cannot fill the cache (the rest is parsed).
CACHE_SECONDS = 10 * 60
CACHE_BYTES_PER_PAGE = 4 * 1024 * 1024
# Entries are pickled (Part, bytes): change this when Part changes, so that a deploy
# never reads an older shape.
CACHE_FORMAT = 1


def inline_image_key(message_id: int, content_id: str) -> str:
    # A Content-ID is any header text: hashed, it is a key of fixed, safe form.
    digest = hashlib.sha256(content_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"inline-image:{CACHE_FORMAT}:{message_id}:{digest}"


def part_key(message_id: int, index: int) -> str:
    return f"part:{CACHE_FORMAT}:{message_id}:{index}"


def remember_inline_images(message_id: int, tree: MimeTree, shown: list[Part]) -> None:
    """The images a body just linked to."""
    remember(tree, {inline_image_key(message_id, part.content_id): part for part in shown})


def parse_for_page(message_id: int, raw: bytes) -> ParsedMessage:
    """parse_for_display, caching on the way the thumbnails the page will ask for."""
    parsed, tree = read_for_display(raw)
    if tree is not None:
        thumbnails = {part_key(message_id, part.index): part for part in parsed.attachments}
        remember(tree, thumbnails)
    return parsed


def inline_image_of(message_id: int, raw: bytes, content_id: str) -> tuple[Part, bytes] | None:
    """On a cache miss: the part parse_for_display lists under ``content_id``,
    from one parse. The images after it are cached on the way, as the body's
    next <img> requests are for them: images past the budget of the body cost
    a parse per budget's worth, not one each."""
    parsed, tree = read_for_display(raw)
    part = parsed.inline_parts.get(content_id)
    if part is None or tree is None:
        return None
    found = payloads_in(tree, [part.index]).get(part.index)
    after = sorted(parsed.inline_parts.values(), key=attrgetter("index"))
    keyed = {inline_image_key(message_id, other.content_id): other for other in after}
    remember(tree, {key: other for key, other in keyed.items() if other.index > part.index})
    return found


def part_of(message_id: int, raw: bytes, index: int) -> tuple[Part, bytes] | None:
    """On a cache miss: the leaf at ``index`` (as parse_for_display numbers
    them), from one parse. For an image (a thumbnail), the images after it are
    cached on the way, as for inline ones."""
    tree, _cut_short = parse_raw(raw)
    if tree is None:  # nested past what the parser reads
        return None
    found = payloads_in(tree, [index]).get(index)
    if found is not None and found[0].content_type in INLINE_IMAGES:
        after = [part for part in described_leaves(tree) if part.index > index]
        remember(tree, {part_key(message_id, part.index): part for part in after})
    return found


def remember(tree: MimeTree, parts: dict[str, Part]) -> None:
    """Cache images of ``tree`` by key, in order, up to CACHE_BYTES_PER_PAGE in
    all; only those are decoded (a part's encoded size bounds its decoded one)."""
    kept: dict[str, Part] = {}
    total = 0
    for key, part in parts.items():
        if part.content_type in INLINE_IMAGES and total + part.size <= CACHE_BYTES_PER_PAGE:
            kept[key] = part
            total += part.size
    if not kept:
        return
    found = payloads_in(tree, [part.index for part in kept.values()])
    entries = {key: found[part.index] for key, part in kept.items() if part.index in found}
    try:
        cache.set_many(entries, timeout=CACHE_SECONDS)
    except Exception:
        logger.warning("cache unavailable: images not stored", exc_info=True)


def remembered_inline_image(message_id: int, content_id: str) -> tuple[Part, bytes] | None:
    """Only for a caller that has checked the token and that the message exists."""
    return remembered(inline_image_key(message_id, content_id))


def remembered_part(message_id: int, index: int) -> tuple[Part, bytes] | None:
    """Only for a caller that has checked that the message exists and is the user's."""
    return remembered(part_key(message_id, index))


def remembered(key: str) -> tuple[Part, bytes] | None:
    try:
        return cache.get(key)
    except Exception:
        logger.warning("cache unavailable: image not read", exc_info=True)
        return None
