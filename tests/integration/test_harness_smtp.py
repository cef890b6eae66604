import smtplib
import threading

import pytest

from tests.harness.certs import SERVER_HOSTNAME

SENDER = "alice"
SENDER_PASSWORD = "alice-secret"
FROM = "alice@courriel.test"
TO = "bob@example.test"
RAW_MESSAGE = f"From: {FROM}\r\nTo: {TO}\r\nSubject: Hi\r\n\r\nHello Bob.\r\n".encode()


@pytest.fixture
def smtp(smtp_server):
    smtp_server.reset()
    smtp_server.add_user(SENDER, SENDER_PASSWORD)
    yield smtp_server
    smtp_server.reset()


def submission_client(smtp, certs) -> smtplib.SMTP:
    client = smtplib.SMTP(SERVER_HOSTNAME, smtp.submission_port, timeout=10)
    client.starttls(context=certs.client_context())
    client.login(SENDER, SENDER_PASSWORD)
    return client


def authenticate(client: smtplib.SMTP, mechanism: str) -> None:
    """Force one SASL mechanism; smtplib's login() would pick one itself."""
    client.user, client.password = SENDER, SENDER_PASSWORD
    authobject = client.auth_plain if mechanism == "PLAIN" else client.auth_login
    client.auth(mechanism, authobject, initial_response_ok=False)


def test_starttls_auth_plain_send_is_recorded(smtp, certs):
    with smtplib.SMTP(SERVER_HOSTNAME, smtp.submission_port, timeout=10) as client:
        client.starttls(context=certs.client_context())
        client.ehlo()
        authenticate(client, "PLAIN")
        refused = client.sendmail(FROM, [TO], RAW_MESSAGE)

    [received] = smtp.messages
    assert refused == {}
    assert received.listener == "submission"
    assert received.auth_user == SENDER
    assert received.mail_from == FROM
    assert received.rcpt_tos == (TO,)
    assert received.parsed()["Subject"] == "Hi"
    assert b"Hello Bob." in received.data


def test_auth_is_offered_only_after_starttls(smtp, certs):
    with smtplib.SMTP(SERVER_HOSTNAME, smtp.submission_port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")
        assert client.docmd("AUTH", "PLAIN")[0] == 530  # must issue STARTTLS first

        client.starttls(context=certs.client_context())
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]


def test_submission_refuses_mail_without_auth(smtp, certs):
    with smtplib.SMTP(SERVER_HOSTNAME, smtp.submission_port, timeout=10) as client:
        client.starttls(context=certs.client_context())
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail(FROM, [TO], RAW_MESSAGE)

    assert refused.value.smtp_code == 530


def test_implicit_tls_with_auth_login(smtp, certs):
    with smtplib.SMTP_SSL(
        SERVER_HOSTNAME, smtp.smtps_port, context=certs.client_context(), timeout=10
    ) as client:
        client.ehlo()
        authenticate(client, "LOGIN")
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    [received] = smtp.messages
    assert received.listener == "smtps"
    assert received.auth_user == SENDER


def test_wrong_password_gets_535(smtp, certs):
    with smtplib.SMTP(SERVER_HOSTNAME, smtp.submission_port, timeout=10) as client:
        client.starttls(context=certs.client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
            client.login(SENDER, "wrong")

    assert failure.value.smtp_code == 535


def test_size_limit_is_advertised(smtp, certs):
    with submission_client(smtp, certs) as client:
        assert int(client.esmtp_features["size"]) == smtp.size_limit


def test_plain_listener_has_no_tls_and_optional_auth(smtp):
    with smtplib.SMTP(smtp.host, smtp.plain_port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.has_extn("auth")
        client.login(SENDER, SENDER_PASSWORD)
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    smtp.offer_plain_auth = False
    with smtplib.SMTP(smtp.host, smtp.plain_port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    assert [(m.listener, m.auth_user) for m in smtp.messages] == [
        ("plain", SENDER),
        ("plain", None),
    ]


def test_fail_next_connect(smtp):
    smtp.fail_next("connect", 421, "4.3.2 Try again later")

    with pytest.raises(smtplib.SMTPConnectError) as failure:
        smtplib.SMTP(smtp.host, smtp.plain_port, timeout=10)

    assert failure.value.smtp_code == 421
    smtplib.SMTP(smtp.host, smtp.plain_port, timeout=10).quit()


def test_fail_next_mail(smtp, certs):
    smtp.fail_next("mail", 451, "4.3.0 Sender check failed")

    with (
        submission_client(smtp, certs) as client,
        pytest.raises(smtplib.SMTPSenderRefused) as failure,
    ):
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    assert failure.value.smtp_code == 451


def test_fail_next_rcpt_temporarily_then_accepts(smtp, certs):
    smtp.fail_next("rcpt", 451, "4.7.1 Greylisted")

    with submission_client(smtp, certs) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as failure:
            client.sendmail(FROM, [TO], RAW_MESSAGE)
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    assert failure.value.recipients[TO][0] == 451
    assert len(smtp.messages) == 1


def test_fail_next_data_permanently_records_nothing(smtp, certs):
    smtp.fail_next("data", 550, "5.7.1 Message rejected as spam")

    with submission_client(smtp, certs) as client, pytest.raises(smtplib.SMTPDataError) as failure:
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    assert failure.value.smtp_code == 550
    assert smtp.messages == []


def test_fail_next_repeats_the_given_number_of_times(smtp, certs):
    smtp.fail_next("data", 451, "4.3.0 Busy", times=2)

    with submission_client(smtp, certs) as client:
        codes = []
        for _ in range(3):
            try:
                client.sendmail(FROM, [TO], RAW_MESSAGE)
                codes.append(250)
            except smtplib.SMTPDataError as error:
                codes.append(error.smtp_code)

    assert codes == [451, 451, 250]


def test_refused_recipient_gives_partial_acceptance(smtp, certs):
    smtp.refuse_recipient("Nobody@Example.test", 550, "5.1.1 No such user")

    with submission_client(smtp, certs) as client:
        refused = client.sendmail(FROM, [TO, "nobody@example.test"], RAW_MESSAGE)

    assert refused == {"nobody@example.test": (550, b"5.1.1 No such user")}
    [received] = smtp.messages
    assert received.rcpt_tos == (TO,)


def test_drop_after_data_records_message_but_never_answers(smtp, certs):
    smtp.drop_after_data()

    with submission_client(smtp, certs) as client, pytest.raises(smtplib.SMTPServerDisconnected):
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    assert len(smtp.wait_for(1)) == 1


def test_hang_after_data_records_message_and_lets_the_client_time_out(smtp, certs):
    smtp.hang_after_data()
    client = smtplib.SMTP(SERVER_HOSTNAME, smtp.submission_port, timeout=10)
    client.starttls(context=certs.client_context())
    client.login(SENDER, SENDER_PASSWORD)
    client.sock.settimeout(0.5)

    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    client.close()
    assert len(smtp.wait_for(1)) == 1


def test_wait_for_blocks_until_messages_arrive(smtp, certs):
    def send_later():
        with submission_client(smtp, certs) as client:
            client.sendmail(FROM, [TO], RAW_MESSAGE)
            client.sendmail(FROM, [TO], RAW_MESSAGE)

    sender = threading.Thread(target=send_later)
    sender.start()

    assert len(smtp.wait_for(2, timeout=10)) == 2
    sender.join()


def test_wait_for_times_out_with_a_clear_message(smtp):
    with pytest.raises(TimeoutError, match="expected 1 message"):
        smtp.wait_for(1, timeout=0.1)
