"""What a person reads when a mail server says no: one sentence per error code."""

from django.utils.translation import gettext_lazy as _

from webmail.mail.errors import MailError

MESSAGES = {
    "bad_credentials": _("The server refused this user name and password."),
    "mechanism_unavailable": _("The server offers no way of signing in that Courriel can use."),
    "not_found": _("No server with this name exists. Check the server name."),
    "refused": _("The server refused the connection. Check the port and the security setting."),
    "timeout": _("The server did not answer in time. Check the server name and port."),
    "unreachable": _("The server cannot be reached from here."),
    "certificate_expired": _("The server's security certificate has expired."),
    "certificate_wrong_host": _("The server's security certificate is for another name."),
    "certificate_untrusted": _(
        "The server's security certificate is not signed by a known authority "
        "(it may be self-signed)."
    ),
    "starttls_unavailable": _("The server does not offer STARTTLS encryption on this port."),
    "handshake": _("A secure connection to the server could not be set up."),
    "temporary": _("The server is busy. Try again in a few minutes."),
    "unavailable": _("The server is unavailable at the moment. Try again in a few minutes."),
    "connection_lost": _("The connection to the server was lost. Try again."),
    "blocked": _("Courriel does not connect to internal network addresses."),
    "protocol": _("The server answered in a way Courriel does not understand."),
    "insecure_forbidden": _("This site does not allow unencrypted connections to mail servers."),
    "host_blocked": _("The administrator does not allow connections to this server."),
    "server_locked": _(
        "This site connects only to its organisation's mail server: its settings cannot be changed."
    ),
    "domain_locked": _("This site only connects addresses of its organisation's domains."),
    "storage_full": _("Your storage space here is full: new mail stays on the server."),
    "local_storage": _("Courriel could not store mail on its own disk. Try again later."),
    "folder_refused": _(
        "The server refused to change this folder; it is shown as the server has it."
    ),
    "not_discovered": _("Courriel could not find this provider's settings. Enter them below."),
    "undo_unavailable": _(
        "The move could not be undone: the server did not say where the messages went. "
        "They are in the folder they were moved to."
    ),
}


def describe(error: MailError | str) -> str:
    code = error if isinstance(error, str) else error.code
    return str(MESSAGES.get(code, _("The mail server reported an error.")))
