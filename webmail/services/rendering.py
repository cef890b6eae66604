"""A message body as a document for the sandboxed iframe."""

from urllib.parse import urlencode

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from webmail.mail.mime import ParsedMessage, Part, read_for_display
from webmail.mail.plaintext import plain_to_html
from webmail.mail.sanitize import SafeHtml, sanitize_html
from webmail.models import Message, TrustedSender
from webmail.models.preferences import Preferences, RemoteContent
from webmail.services.inline_images import remember_inline_images
from webmail.sitesettings import site_settings

# The body's image URLs carry their own signed, expiring permission, issued only
# while rendering for the owner: the proxy fetches only what a mail showed, and
# neither it nor the inline image view depends on the session.
PROXY_SALT = "webmail.image-proxy"
PART_SALT = "webmail.inline-part"
TOKEN_SECONDS = 24 * 3600
MAX_INLINE_IMAGES = 100
# Shown remote images each make the proxy fetch a URL: a newsletter has tens, a
# hostile message could list thousands (the rest stay blocked).
MAX_REMOTE_IMAGES = 200


def image_proxy_url(user_id: int, url: str) -> str:
    """Signed, so the proxy only ever fetches images of mail a person opened."""
    token = signing.dumps([user_id, url], salt=PROXY_SALT, compress=True)
    return reverse("webmail:image_proxy") + "?" + urlencode({"u": token})


def unsign_proxy_url(token: str) -> str:
    _user_id, url = signing.loads(token, salt=PROXY_SALT, max_age=TOKEN_SECONDS)
    return url


def inline_part_url(message_id: int, content_id: str) -> str:
    token = signing.dumps([message_id, content_id], salt=PART_SALT, compress=True)
    return reverse("webmail:message_cid", args=[token])


def unsign_inline_part(token: str) -> tuple[int, str]:
    message_id, content_id = signing.loads(token, salt=PART_SALT, max_age=TOKEN_SECONDS)
    return message_id, content_id


def shows_images(message: Message, asked: bool) -> bool:
    """Remote images go through the proxy; with the proxy switched off by the
    administrator, they are never shown, whatever was asked or trusted. Then the
    owner's policy: never (not even when asked), always, or ask (shown when
    asked, or for a sender they trust)."""
    if not site_settings().image_proxy_enabled:
        return False
    policy = (
        Preferences.objects.filter(user_id=message.account.user_id)
        .values_list("remote_content", flat=True)
        .first()
    )
    if policy in (RemoteContent.NEVER, RemoteContent.ALWAYS):
        return policy == RemoteContent.ALWAYS
    if asked:
        return True
    return TrustedSender.objects.filter(
        user_id=message.account.user_id, email__iexact=message.from_email
    ).exists()


def safe_body(message: Message, parsed: ParsedMessage, *, images: bool) -> SafeHtml:
    return linked_body(message, parsed, images=images)[0]


def body_document(message: Message, raw: bytes, *, images: bool) -> tuple[ParsedMessage, SafeHtml]:
    """The body iframe's content, from one parse; the inline images it shows
    are cached on the way for the requests its <img> tags will make."""
    parsed, tree = read_for_display(raw)
    body, shown = linked_body(message, parsed, images=images)
    if tree is not None:
        remember_inline_images(message.pk, tree, shown)
    return parsed, body


def linked_body(
    message: Message, parsed: ParsedMessage, *, images: bool
) -> tuple[SafeHtml, list[Part]]:
    """The safe body, and the inline parts it links to (MAX_INLINE_IMAGES at
    most: each is a request, and a hostile message may list hundreds; remote
    images shown through the proxy are capped the same way)."""
    shown: dict[str, Part] = {}

    def cid_url(content_id: str) -> str | None:
        part = parsed.inline_parts.get(content_id)
        if part is None or (content_id not in shown and len(shown) >= MAX_INLINE_IMAGES):
            return None
        shown[content_id] = part
        return inline_part_url(message.pk, content_id)

    proxied: set[str] = set()

    def remote_url(url: str) -> str | None:
        if url not in proxied and len(proxied) >= MAX_REMOTE_IMAGES:
            return None
        proxied.add(url)
        return image_proxy_url(message.account.user_id, url)

    if parsed.html is not None:
        body = sanitize_html(
            parsed.html, cid_url=cid_url, remote_url=remote_url if images else None
        )
        return body, list(shown.values())
    if parsed.text is not None:
        return SafeHtml(plain_to_html(parsed.text, quote_label=_("Quoted text")), False), []
    return SafeHtml("", False), []
