"""Two-factor authentication required, for everyone (site settings) or for one
person (User.must_use_2fa): a signed-in person without it is sent to set it up."""

from allauth.mfa.models import Authenticator
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import sync_and_async_middleware
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from webmail.sitesettings import site_settings

# What counts as a second factor: recovery codes alone come only with one of these.
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def allowed_prefixes() -> tuple[str, ...]:
    """Where such a person may still go: the pages that set it up (and ask for the
    password again first), signing out, the language switch, static files."""
    return (
        reverse("mfa_index"),
        reverse("account_reauthenticate"),
        reverse("account_logout"),
        reverse("set_language"),
        "/" + settings.STATIC_URL.lstrip("/"),
    )


def must_set_up_two_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    if not (user.must_use_2fa or site_settings().require_two_factor):
        return False
    return not Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists()


def redirection(request) -> HttpResponse | None:
    """Where to send this request instead, or None to let it through."""
    if not must_set_up_two_factor(request.user) or request.path.startswith(allowed_prefixes()):
        return None
    messages.warning(
        request,
        _(
            "This site requires two-factor authentication. Set up an authenticator "
            "app or a passkey to continue."
        ),
    )
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(reverse("mfa_index"))
    return redirect("mfa_index")


@sync_and_async_middleware
def require_two_factor_middleware(get_response):
    # Both flavours, so that under ASGI the event stream is not pushed onto a thread.
    if iscoroutinefunction(get_response):

        async def async_middleware(request):
            instead = await sync_to_async(redirection)(request)
            return instead or await get_response(request)

        return async_middleware

    def middleware(request):
        return redirection(request) or get_response(request)

    return middleware
