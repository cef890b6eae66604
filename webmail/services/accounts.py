"""Adding, checking, editing and removing mail accounts."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from webmail import tasks
from webmail.mail import pop3, smtp
from webmail.mail.errors import MailError
from webmail.mail.imap import open_imap
from webmail.mail.types import Protocol, Security, ServerSettings
from webmail.models import MailAccount
from webmail.pop3 import tasks as pop3_tasks

CHECK_TIMEOUT = 15.0


@dataclass(frozen=True)
class ServerChoice:
    """One server as the person will confirm it (no password here)."""

    host: str
    port: int
    security: str
    username: str

    def with_password(self, password: str, pinned_certificate: str = "") -> ServerSettings:
        return ServerSettings(
            host=self.host,
            port=self.port,
            security=Security(self.security),
            username=self.username,
            password=password,
            pinned_certificate=pinned_certificate,
            ca_file=settings.MAIL_CA_FILE,
            timeout=min(settings.MAIL_TIMEOUT, CHECK_TIMEOUT),
        )


@dataclass
class CheckReport:
    """How the real login attempts went, per side."""

    incoming_error: MailError | None = None
    smtp_error: MailError | None = None
    certificates: dict[str, str] = field(default_factory=dict)  # side → PEM offered

    @property
    def ok(self) -> bool:
        return self.incoming_error is None and self.smtp_error is None


def check_incoming(protocol: str, server: ServerSettings) -> None:
    if protocol == Protocol.POP3:
        pop3.check_pop3_login(server)
        return
    with open_imap(server):
        pass


def attempt(function, *args) -> MailError | None:
    try:
        function(*args)
    except MailError as error:
        return error
    return None


def check_servers(protocol: str, incoming: ServerSettings, outgoing: ServerSettings) -> CheckReport:
    """Log in for real on both servers, at the same time, each with a bounded timeout."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        incoming_future = pool.submit(attempt, check_incoming, protocol, incoming)
        smtp_future = pool.submit(attempt, smtp.check_smtp_login, outgoing)
        report = CheckReport(incoming_future.result(), smtp_future.result())
    for side, error in [("incoming", report.incoming_error), ("smtp", report.smtp_error)]:
        if getattr(error, "certificate", ""):
            report.certificates[side] = error.certificate
    return report


@transaction.atomic
def save_account(account: MailAccount, *, password: str | None = None) -> MailAccount:
    """Save an account whose logins were checked, and queue its first sync."""
    if password:
        account.set_incoming_password(password)
    account.status = "new"
    account.last_error = ""
    account.save()
    if account.protocol == Protocol.IMAP:
        tasks.sync_account.delay_on_commit(account.pk)
    elif account.protocol == Protocol.POP3:
        pop3_tasks.fetch_pop3_account.delay_on_commit(account.pk)
    return account


def remove_account(account: MailAccount) -> None:
    """Removing an account removes its folders and cached mail with it."""
    account.delete()
