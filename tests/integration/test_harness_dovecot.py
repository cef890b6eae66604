import contextlib
import imaplib
import poplib
import ssl
import time

import pytest
from imapclient import IMAPClient

from tests.harness.certs import SERVER_HOSTNAME
from tests.harness.dovecot import QUOTA_ROOT_NAME, QUOTA_STORAGE_KIB, SPECIAL_USE_MAILBOXES

REQUIRED_CAPABILITIES = {"CONDSTORE", "QRESYNC", "IDLE", "SPECIAL-USE", "MOVE", "QUOTA"}

# OpenSSL X509_V_ERR_* codes, as exposed by ssl.SSLCertVerificationError.verify_code.
CERT_HAS_EXPIRED = 10
DEPTH_ZERO_SELF_SIGNED_CERT = 18
HOSTNAME_MISMATCH = 62


def message(subject: str, body: str = "Hello.") -> bytes:
    return (
        f"From: sender@courriel.test\r\nTo: someone@courriel.test\r\n"
        f"Subject: {subject}\r\n\r\n{body}\r\n"
    ).encode()


def imap_client(dovecot, user, certs) -> IMAPClient:
    client = IMAPClient(
        SERVER_HOSTNAME, port=dovecot.imaps_port, ssl_context=certs.client_context(), timeout=10
    )
    client.login(user.name, user.password)
    return client


def test_imap_starttls_verifies_against_test_ca(dovecot, certs, mail_user):
    imap = imaplib.IMAP4(SERVER_HOSTNAME, dovecot.imap_port, timeout=10)
    imap.starttls(ssl_context=certs.client_context())

    assert imap.login(mail_user.name, mail_user.password)[0] == "OK"
    imap.logout()


def test_imaps_login(dovecot, certs, mail_user):
    imap = imaplib.IMAP4_SSL(
        SERVER_HOSTNAME, dovecot.imaps_port, ssl_context=certs.client_context(), timeout=10
    )

    assert imap.login(mail_user.name, mail_user.password)[0] == "OK"
    imap.logout()


def test_pop3_stls_login(dovecot, certs, mail_user):
    pop = poplib.POP3(SERVER_HOSTNAME, dovecot.pop3_port, timeout=10)
    pop.stls(context=certs.client_context())
    pop.user(mail_user.name)

    assert pop.pass_(mail_user.password).startswith(b"+OK")
    pop.quit()


def test_pop3s_login_and_uidl_format(dovecot, certs, mail_user):
    dovecot.deliver(mail_user, message("pop me"))
    pop = poplib.POP3_SSL(
        SERVER_HOSTNAME, dovecot.pop3s_port, context=certs.client_context(), timeout=10
    )
    pop.user(mail_user.name)
    pop.pass_(mail_user.password)

    _, listing, _ = pop.uidl()
    pop.quit()
    [entry] = listing
    uidl = entry.split()[1]
    assert len(uidl) == 16  # %08Xu%08Xv: UID then UIDVALIDITY, 8 hex digits each


def test_plain_imap_login_is_accepted_on_loopback(dovecot, mail_user):
    # Dovecot treats loopback as secured: this is the "insecure plain connection" for tests.
    imap = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10)

    assert "LOGINDISABLED" not in imap.capabilities
    assert imap.login(mail_user.name, mail_user.password)[0] == "OK"
    imap.logout()


def test_wrong_password_is_rejected(dovecot, mail_user):
    imap = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10)

    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap.login(mail_user.name, "not-the-password")
    imap.logout()


def test_user_added_after_a_login_can_log_in_at_once(dovecot, certs, mail_user):
    imap_client(dovecot, mail_user, certs).logout()
    newcomer = dovecot.add_user()

    imap_client(dovecot, newcomer, certs).logout()


def test_many_simultaneous_connections_per_user_are_allowed(dovecot, certs, mail_user):
    sessions = [imap_client(dovecot, mail_user, certs) for _ in range(30)]

    for session in sessions:
        session.logout()


def test_capabilities_after_login(dovecot, certs, mail_user):
    with imap_client(dovecot, mail_user, certs) as imap:
        capabilities = {capability.decode() for capability in imap.capabilities()}

    assert capabilities >= REQUIRED_CAPABILITIES


def test_special_use_folders_are_listed_with_their_flags(dovecot, certs, mail_user):
    with imap_client(dovecot, mail_user, certs) as imap:
        listed = {name: flags for flags, _, name in imap.list_folders()}
        subscribed = {name for _, _, name in imap.list_sub_folders()}

    for name, special_use in SPECIAL_USE_MAILBOXES.items():
        assert special_use.encode() in listed[name]
        assert name in subscribed


def test_quota_root_reports_configured_limit(dovecot, certs, mail_user):
    with imap_client(dovecot, mail_user, certs) as imap:
        roots, quotas = imap.get_quota_root("INBOX")

    assert roots.quota_roots == [QUOTA_ROOT_NAME]
    [storage] = [quota for quota in quotas if quota.resource == "STORAGE"]
    assert storage.limit == QUOTA_STORAGE_KIB


def test_delivered_message_can_be_fetched_with_its_flags(dovecot, certs, mail_user):
    uid = dovecot.deliver(mail_user, message("Greetings"), folder="Archive", flags=[r"\Seen"])

    with imap_client(dovecot, mail_user, certs) as imap:
        imap.select_folder("Archive")
        fetched = imap.fetch([uid], ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])[uid]

    assert rb"\Seen" in fetched[b"FLAGS"]
    assert b"Subject: Greetings" in fetched[b"BODY[HEADER.FIELDS (SUBJECT)]"]


def test_deliver_many_stores_a_thousand_messages_quickly(dovecot, certs, mail_user):
    started = time.monotonic()
    uids = dovecot.deliver_many(mail_user, [message(f"Bulk {n}") for n in range(1000)])
    elapsed = time.monotonic() - started

    with imap_client(dovecot, mail_user, certs) as imap:
        assert imap.select_folder("INBOX", readonly=True)[b"EXISTS"] == 1000
    assert uids == list(range(1, 1001))
    assert elapsed < 5


def test_reset_user_empties_mailbox_and_ends_sessions(dovecot, certs, mail_user):
    dovecot.deliver_many(mail_user, [message("one"), message("two")])
    dovecot.deliver(mail_user, message("draft"), folder="Drafts")
    open_session = imap_client(dovecot, mail_user, certs)
    open_session.select_folder("INBOX")

    dovecot.reset_user(mail_user)

    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        open_session.noop()
    with imap_client(dovecot, mail_user, certs) as imap:
        assert imap.select_folder("INBOX", readonly=True)[b"EXISTS"] == 0
        assert imap.select_folder("Drafts", readonly=True)[b"EXISTS"] == 0


def test_doveadm_runs_against_this_instance(dovecot, mail_user):
    mailboxes = dovecot.doveadm("mailbox", "list", "-u", mail_user.name).split()

    assert set(mailboxes) >= set(SPECIAL_USE_MAILBOXES)


def test_log_records_logins(dovecot, mail_user):
    imap = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10)
    imap.login(mail_user.name, mail_user.password)
    imap.logout()

    assert f"Login: user=<{mail_user.name}>" in dovecot.read_log()


BAD_CERTIFICATES = [
    pytest.param("wrong_host", HOSTNAME_MISMATCH, "Hostname mismatch", id="wrong-host"),
    pytest.param("expired", CERT_HAS_EXPIRED, "certificate has expired", id="expired"),
    pytest.param(
        "self_signed", DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed certificate", id="self-signed"
    ),
]


def tls_variant(dovecot, certs, kind: str):
    return dovecot.start_tls_variant(getattr(certs, f"{kind}_cert"), getattr(certs, f"{kind}_key"))


@pytest.mark.parametrize(("kind", "verify_code", "reason"), BAD_CERTIFICATES)
def test_imaps_with_bad_certificate_fails_verification(dovecot, certs, kind, verify_code, reason):
    variant = tls_variant(dovecot, certs, kind)

    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        imaplib.IMAP4_SSL(
            SERVER_HOSTNAME, variant.imaps_port, ssl_context=certs.client_context(), timeout=10
        )

    assert failure.value.verify_code == verify_code
    assert reason in failure.value.verify_message


@pytest.mark.parametrize(("kind", "verify_code", "reason"), BAD_CERTIFICATES)
def test_pop3_stls_with_bad_certificate_fails_verification(
    dovecot, certs, kind, verify_code, reason
):
    variant = tls_variant(dovecot, certs, kind)
    pop = poplib.POP3(SERVER_HOSTNAME, variant.pop3_port, timeout=10)

    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        pop.stls(context=certs.client_context())

    # The failed handshake already closed the socket poplib still holds.
    with contextlib.suppress(OSError):
        pop.close()
    assert failure.value.verify_code == verify_code
    assert reason in failure.value.verify_message


def test_tls_variant_serves_the_same_users_and_mail(dovecot, certs, mail_user):
    dovecot.deliver(mail_user, message("shared"))
    variant = tls_variant(dovecot, certs, "expired")
    trust_anything = ssl.create_default_context()
    trust_anything.check_hostname = False
    trust_anything.verify_mode = ssl.CERT_NONE

    with IMAPClient(
        SERVER_HOSTNAME, port=variant.imaps_port, ssl_context=trust_anything, timeout=10
    ) as imap:
        imap.login(mail_user.name, mail_user.password)
        assert imap.select_folder("INBOX", readonly=True)[b"EXISTS"] == 1


def test_a_user_can_log_in_with_the_full_address(dovecot, certs, mail_user):
    client = imap_client(dovecot, type(mail_user)(mail_user.address, mail_user.password), certs)
    assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 0
    client.logout()
