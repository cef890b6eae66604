"""Inline (cid:) images of a message body, kept a few minutes in the cache.

Rendering the body has the message parsed already; each of its <img> tags is
then a request of its own, and parsing a large message again for each one cost
seconds of CPU per image. So the body puts the images it shows in the cache for
the requests about to follow. The cache is only a shortcut: the signed token
and the message's row are checked first, on every request (a deleted message's
images are gone with it), and a miss parses the message once.
"""

import hashlib
import logging
from email.message import Message as MimeTree

from django.core.cache import cache

from webmail.mail.mime import Part, payloads_in

logger = logging.getLogger(__name__)

INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
# Long enough for a page and its images to load, not to be storage; bounded per
# body so that a hostile message cannot fill the cache (the rest is parsed).
CACHE_SECONDS = 10 * 60
CACHE_BYTES_PER_BODY = 4 * 1024 * 1024


def cache_key(message_id: int, content_id: str) -> str:
    # A Content-ID is any header text: hashed, it is a key of fixed, safe form.
    digest = hashlib.sha256(content_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"inline-image:{message_id}:{digest}"


def remember_inline_images(message_id: int, tree: MimeTree, shown: list[Part]) -> None:
    """Cache the images a body just linked to, in order, up to
    CACHE_BYTES_PER_BODY in all; only those are decoded (a part's encoded size
    bounds its decoded one)."""
    kept, total = [], 0
    for part in shown:
        if part.content_type in INLINE_IMAGES and total + part.size <= CACHE_BYTES_PER_BODY:
            kept.append(part)
            total += part.size
    if not kept:
        return
    found = payloads_in(tree, [part.index for part in kept])
    entries = {
        cache_key(message_id, part.content_id): found[part.index]
        for part in kept
        if part.index in found
    }
    try:
        cache.set_many(entries, timeout=CACHE_SECONDS)
    except Exception:
        logger.warning("cache unavailable: inline images not stored", exc_info=True)


def remembered_inline_image(message_id: int, content_id: str) -> tuple[Part, bytes] | None:
    """Only for a caller that has checked the token and that the message exists."""
    try:
        return cache.get(cache_key(message_id, content_id))
    except Exception:
        logger.warning("cache unavailable: inline image not read", exc_info=True)
        return None
