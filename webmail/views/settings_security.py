"""Security settings: two-factor authentication, password, signed-in devices."""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from webmail.sessions_list import services as sessions
from webmail.views.settings_page import render_section


@login_required
def security(request):
    kinds = set(Authenticator.objects.filter(user=request.user).values_list("type", flat=True))
    context = {
        "has_totp": Authenticator.Type.TOTP in kinds,
        "has_recovery_codes": Authenticator.Type.RECOVERY_CODES in kinds,
        "has_passkeys": Authenticator.Type.WEBAUTHN in kinds,
        "devices": sessions.sessions_of(request.user),
        "current_session_id": request.session.session_key,
    }
    return render_section(request, "security", context)


@login_required
@require_POST
def sign_out_session(request, pk: int):
    if not sessions.sign_out_device(request.user, pk, request.session.session_key):
        raise Http404
    messages.success(request, _("That device is signed out."))
    return redirect("webmail:settings_security")


@login_required
@require_POST
def sign_out_other_sessions(request):
    count = sessions.sign_out_everywhere_else(request.user, request.session.session_key)
    text = ngettext(
        "Signed out everywhere else (%(count)s device).",
        "Signed out everywhere else (%(count)s devices).",
        count,
    )
    messages.success(request, text % {"count": count})
    return redirect("webmail:settings_security")
