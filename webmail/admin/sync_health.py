"""The admin's sync health page: per account, how late its sync is, how often it
failed, and whether the IDLE listener holds its watched folders."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from webmail.error_messages import describe
from webmail.models import AccountStatus, Folder, MailAccount
from webmail.sync_health import ErrorCounts, WatcherState, error_counts, watcher_reports

# Beat queues a due sync within 30 s and a sync takes a while: only a lag beyond the
# interval plus this is a problem worth a colour.
OVERDUE_GRACE = timedelta(minutes=2)
ACCOUNTS_PER_PAGE = 100


@dataclass(frozen=True)
class AccountHealth:
    account: MailAccount
    lag: timedelta | None  # None: disabled, so no lag is expected
    overdue: bool
    errors: ErrorCounts
    listener: str
    listener_ok: bool
    now: datetime

    @property
    def lag_text(self) -> str:
        return timesince(self.now - self.lag, self.now) if self.lag is not None else ""

    @property
    def interval_text(self) -> str:
        interval = timedelta(seconds=self.account.sync_interval)
        return timesince(self.now - interval, self.now)

    @property
    def last_error(self) -> str:
        return describe(self.account.last_error) if self.account.last_error else ""


def expects_sync(account: MailAccount) -> bool:
    return account.is_active and account.status != AccountStatus.AUTH_FAILED


def lag_of(account: MailAccount, now: datetime) -> tuple[timedelta | None, bool]:
    if not expects_sync(account):
        return None, False
    lag = now - (account.last_synced_at or account.created_at)
    return lag, lag > timedelta(seconds=account.sync_interval) + OVERDUE_GRACE


def listener_status(account: MailAccount, folder_ids: list[int], reports, now) -> tuple[str, bool]:
    """One line for the account's watchers, and whether it is as it should be."""
    if account.protocol != "imap":
        return _("No push for POP3"), True
    if not expects_sync(account):
        return _("Not listened to"), True
    if not folder_ids:
        return _("No folder watched"), True
    found = [reports.get(pk) for pk in folder_ids]
    for report in found:
        if report and report.state == WatcherState.STOPPED:
            return _("Stopped: %(error)s") % {"error": describe(report.error)}, False
    for report in found:
        if report and report.state == WatcherState.RECONNECTING and not report.is_stale(now):
            return _("Reconnecting: %(error)s") % {"error": describe(report.error)}, False
    if any(report is None or report.is_stale(now) for report in found):
        return _("No heartbeat: is the listener running?"), False
    count = len(found)
    text = ngettext("Listening (%(count)d folder)", "Listening (%(count)d folders)", count)
    return text % {"count": count}, True


def account_health(accounts: list[MailAccount], now: datetime) -> list[AccountHealth]:
    ids = [account.pk for account in accounts]
    folders: dict[int, list[int]] = {pk: [] for pk in ids}
    watched = Folder.objects.filter(account_id__in=ids, watch=True, selectable=True)
    for folder_id, account_id in watched.values_list("pk", "account_id"):
        folders[account_id].append(folder_id)
    reports = watcher_reports([pk for pks in folders.values() for pk in pks])
    counts = error_counts(ids)
    rows = []
    for account in accounts:
        lag, overdue = lag_of(account, now)
        listener, listener_ok = listener_status(account, folders[account.pk], reports, now)
        errors = counts.get(account.pk, ErrorCounts())
        rows.append(AccountHealth(account, lag, overdue, errors, listener, listener_ok, now))
    return rows


def view_for(model_admin):
    """The page, bound to the mail account admin (its permissions and context)."""

    def sync_health(request):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        accounts = model_admin.get_queryset(request).select_related("user")
        accounts = accounts.order_by(F("last_synced_at").asc(nulls_first=True), "pk")
        page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": _("Sync health"),
            "page": page,
            "rows": account_health(list(page), timezone.now()),
        }
        return TemplateResponse(request, "admin/webmail/sync_health.html", context)

    return sync_health
