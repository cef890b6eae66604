"""Remote images of a message, fetched by Courriel so senders never see the
reader's address: no cookies or referrer sent, images only, size-capped, and
never from an internal network address (netguard)."""

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpResponse
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from webmail.mail.errors import MailError
from webmail.mail.netguard import fetch_url
from webmail.services.rendering import unsign_proxy_url
from webmail.sitesettings import site_settings
from webmail.views.message import FILE_CSP, INLINE_IMAGES

MAX_IMAGE_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 10.0


@require_GET
@csp_override(FILE_CSP)
def image_proxy(request):
    if not site_settings().image_proxy_enabled:
        # Switched off by the administrator: even links signed before stop working.
        raise Http404
    # No session needed: the signed token is the permission (rendering.py).
    try:
        url = unsign_proxy_url(request.GET.get("u", ""))
    except signing.BadSignature:
        raise Http404 from None
    try:
        fetched = fetch_url(
            url,
            timeout=FETCH_TIMEOUT,
            max_bytes=MAX_IMAGE_BYTES,
            allow_private=settings.IMAGE_PROXY_ALLOW_PRIVATE,
        )
    except MailError:
        raise Http404 from None
    content_type = (fetched.content_type or "").split(";")[0].strip().lower()
    if fetched.status != 200 or content_type not in INLINE_IMAGES:
        raise Http404
    response = HttpResponse(fetched.body, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response
