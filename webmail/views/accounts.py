"""Connecting mail accounts: type an address and a password, confirm what was found."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from webmail import credentials
from webmail.error_messages import describe
from webmail.forms.accounts import AccountStartForm, ServerSettingsForm
from webmail.mail.tls import fingerprint
from webmail.models import MailAccount
from webmail.services import accounts as account_service
from webmail.services.discovery import apply_protocol_choice, propose_settings
from webmail.sitesettings import site_settings

PENDING = "pending_mail_account"


def get_account_for_user(request, pk: int) -> MailAccount:
    """Strangers get a 404, never a hint that the account exists."""
    return get_object_or_404(MailAccount, pk=pk, user=request.user)


@login_required
def account_list(request):
    accounts = MailAccount.objects.filter(user=request.user)
    return render(request, "webmail/accounts/list.html", {"accounts": accounts})


@login_required
def account_add(request):
    form = AccountStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pending = {
            "email": form.cleaned_data["email"],
            "display_name": form.cleaned_data["display_name"],
            # Kept server-side only, encrypted, until the account is saved.
            "password": credentials.encrypt(form.cleaned_data["password"]),
            "proposal": propose_settings(form.cleaned_data["email"]),
        }
        request.session[PENDING] = pending
        if pending["proposal"] is None:
            request.session[PENDING]["errors"] = {"incoming": "not_discovered"}
            return redirect("webmail:account_add_settings")
        return try_to_create(request, ServerSettingsForm(data=pending["proposal"]))
    return render(request, "webmail/accounts/add.html", {"form": form})


@login_required
def account_add_settings(request):
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("webmail:account_add")
    if request.method == "POST":
        data = apply_protocol_choice(request.POST.dict(), pending["proposal"])
        return try_to_create(request, ServerSettingsForm(data=data))
    form = ServerSettingsForm(initial=pending["proposal"] or guess_for(pending["email"]))
    return render_settings(request, form, pending)


def guess_for(email: str) -> dict:
    domain = email.rpartition("@")[2]
    return {
        "protocol": "imap",
        **{"incoming_host": f"imap.{domain}", "incoming_port": 993, "incoming_security": "tls"},
        **{"smtp_host": f"smtp.{domain}", "smtp_port": 465, "smtp_security": "tls"},
        **{"incoming_username": email, "smtp_username": email},
    }


def try_to_create(request, form: ServerSettingsForm):
    pending = request.session[PENDING]
    if not form.is_valid():
        return render_settings(request, form, pending)
    password = form.cleaned_data["password"] or credentials.decrypt(pending["password"])
    account = MailAccount(
        user=request.user,
        email=pending["email"],
        display_name=pending["display_name"],
        sync_interval=site_settings().default_sync_interval,
    )
    report = check_and_fill(account, form, password, pending.get("certificates", {}))
    if not report.ok:
        remember_failure(request, pending, report, password)
        return redirect_or_render(request, form, pending)
    if MailAccount.objects.filter(user=request.user, email=account.email).exists():
        form.add_error(None, _("You already added this address."))
        return render_settings(request, form, pending)
    account_service.save_account(account, password=password)
    del request.session[PENDING]
    messages.success(
        request, _("%(email)s is connected. Your mail is on its way.") % {"email": account.email}
    )
    return redirect("webmail:home")


def check_and_fill(account, form, password, certificates) -> account_service.CheckReport:
    data = form.cleaned_data
    incoming = account_service.ServerChoice(
        data["incoming_host"], data["incoming_port"], data["incoming_security"],
        data["incoming_username"],
    )  # fmt: skip
    outgoing = account_service.ServerChoice(
        data["smtp_host"], data["smtp_port"], data["smtp_security"], data["smtp_username"]
    )
    incoming_pin = pin_for(data, "incoming", certificates, account.incoming_pinned_certificate)
    smtp_pin = pin_for(data, "smtp", certificates, account.smtp_pinned_certificate)
    report = account_service.check_servers(
        data["protocol"],
        incoming.with_password(password, incoming_pin),
        outgoing.with_password(password, smtp_pin),
    )
    account.protocol = data["protocol"]
    account.incoming_host, account.incoming_port = incoming.host, incoming.port
    account.incoming_security, account.incoming_username = incoming.security, incoming.username
    account.smtp_host, account.smtp_port = outgoing.host, outgoing.port
    account.smtp_security, account.smtp_username = outgoing.security, outgoing.username
    account.incoming_pinned_certificate, account.smtp_pinned_certificate = incoming_pin, smtp_pin
    if data.get("sync_interval_minutes"):
        account.sync_interval = data["sync_interval_minutes"] * 60
    return report


def pin_for(data: dict, side: str, certificates: dict, current: str) -> str:
    """A certificate is pinned only when the person ticked 'trust' after seeing it."""
    if data.get(f"trust_{side}_certificate") and certificates.get(side):
        return certificates[side]
    return current


def remember_failure(request, pending, report, password) -> None:
    pending["errors"] = {
        side: error.code
        for side, error in [("incoming", report.incoming_error), ("smtp", report.smtp_error)]
        if error
    }
    pending["certificates"] = report.certificates
    pending["password"] = credentials.encrypt(password)
    request.session.modified = True


def redirect_or_render(request, form, pending):
    if request.resolver_match.url_name == "account_add":
        return redirect("webmail:account_add_settings")  # it shows the proposal, editable
    return render_settings(request, form, pending)


def render_settings(request, form, pending, account=None):
    errors = {side: describe(code) for side, code in pending.get("errors", {}).items()}
    fingerprints = {side: fingerprint(pem) for side, pem in pending.get("certificates", {}).items()}
    context = {
        "form": form,
        "email": pending.get("email") or account.email,
        "errors": errors,
        "fingerprints": fingerprints,
        "account": account,
    }
    return render(request, "webmail/accounts/settings.html", context)


@login_required
def account_edit(request, pk: int):
    account = get_account_for_user(request, pk)
    state = request.session.setdefault(f"edit_mail_account_{pk}", {})
    if request.method != "POST":
        state.clear()
        initial = {
            field: getattr(account, field)
            for field in ServerSettingsForm.base_fields
            if hasattr(account, field)
        }
        initial["sync_interval_minutes"] = max(1, account.sync_interval // 60)
        return render_settings(request, ServerSettingsForm(initial=initial), state, account)
    form = ServerSettingsForm(data=request.POST)
    if not form.is_valid():
        return render_settings(request, form, state, account)
    # The stored password as is: incoming_settings() refuses a host blocked since,
    # and this page is where the person moves the account to another one.
    password = form.cleaned_data["password"] or credentials.decrypt(account.incoming_password)
    report = check_and_fill(account, form, password, state.get("certificates", {}))
    if not report.ok:
        remember_failure(request, state, report, password)
        return render_settings(request, form, state, account)
    account_service.save_account(account, password=password)
    request.session.pop(f"edit_mail_account_{pk}", None)
    messages.success(request, _("The settings of %(email)s are saved.") % {"email": account.email})
    return redirect("webmail:account_list")


@login_required
def account_delete(request, pk: int):
    account = get_account_for_user(request, pk)
    if request.method == "POST":
        account_service.remove_account(account)
        messages.success(
            request, _("%(email)s and its cached mail are removed.") % {"email": account.email}
        )
        return redirect("webmail:account_list")
    return render(request, "webmail/accounts/delete.html", {"account": account})


@login_required
@require_POST
def account_add_cancel(request):
    request.session.pop(PENDING, None)
    return redirect("webmail:account_list")
