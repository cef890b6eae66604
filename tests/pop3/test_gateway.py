"""The POP3 gateway's bulk reads (listing, pipelined RETR and DELE) against Dovecot,
and the TOP-digest listing against a scripted server without UIDL."""

import pytest

from tests.harness.certs import SERVER_HOSTNAME
from tests.messages import make_message as make_lf_message
from tests.pop3.scripted_server import Maildrop, ScriptedPOP3
from webmail.mail import pop3
from webmail.mail.errors import ConnectError, ProtocolError
from webmail.mail.types import Security, ServerSettings

TRICKY = [
    b"Subject: dots\r\n\r\n.\r\n..\r\n.leading dot\r\nend\r\n",
    b"Subject: an empty body\r\n\r\n",
    b"Subject: a long line\r\n\r\n" + b"x" * 5000 + b"\r\n",
    b"Subject: ends with a dot line\r\n\r\nbody\r\n.\r\n",
    b".Subject-like first line starting with a dot: x\r\n\r\nbody\r\n",
]


def make_message(number: int) -> bytes:
    """As a server hands it out: CRLF line ends (Dovecot converts bare LFs)."""
    return make_lf_message(number).replace(b"\n", b"\r\n")


def settings_for(dovecot, user, certs, security=Security.TLS) -> ServerSettings:
    port = dovecot.pop3s_port if security is Security.TLS else dovecot.pop3_port
    return ServerSettings(
        SERVER_HOSTNAME, port, security, user.name, user.password, ca_file=str(certs.ca_cert)
    )


def retrieve_all(settings: ServerSettings, window: int) -> list[bytes]:
    with pop3.open_pop3(settings) as client:
        entries = pop3.list_maildrop(client, pop3.capabilities_of(client))
        numbers = [entry.number for entry in entries]
        return [raw for _, raw in pop3.retrieve_messages(client, numbers, window=window)]


@pytest.mark.parametrize("window", [1, 3, pop3.PIPELINE_WINDOW])
def test_messages_come_back_byte_for_byte(dovecot, pop3_user, certs, window):
    messages = TRICKY + [make_message(n) for n in range(10)]
    dovecot.deliver_many(pop3_user, messages)

    assert retrieve_all(settings_for(dovecot, pop3_user, certs), window) == messages


def test_a_large_message_comes_back_whole(dovecot, pop3_user, certs):
    large = make_message(1) + b"\r\n".join([b"y" * 998] * 3000) + b"\r\n"
    dovecot.deliver(pop3_user, large)

    assert retrieve_all(settings_for(dovecot, pop3_user, certs), 8) == [large]


def test_the_listing_has_dovecots_unique_ids_and_sizes(dovecot, pop3_user, certs):
    dovecot.deliver_many(pop3_user, [make_message(1), make_message(2)])

    with pop3.open_pop3(settings_for(dovecot, pop3_user, certs, Security.STARTTLS)) as client:
        capabilities = pop3.capabilities_of(client)
        entries = pop3.list_maildrop(client, capabilities)
        client.uidl()  # poplib goes on in step after our reader

    assert pop3.pipeline_window(capabilities) == pop3.PIPELINE_WINDOW
    assert [entry.number for entry in entries] == [1, 2]
    assert len({entry.unique_id for entry in entries}) == 2
    assert all(entry.size > 100 and not entry.unique_id.startswith("top:") for entry in entries)


def test_pipelined_deletions_are_committed_by_quit(dovecot, pop3_user, certs):
    dovecot.deliver_many(pop3_user, [make_message(n) for n in range(5)])
    settings = settings_for(dovecot, pop3_user, certs)

    with pop3.open_pop3(settings) as client:
        assert pop3.delete_messages(client, [1, 3, 5], window=pop3.PIPELINE_WINDOW) == 3

    assert retrieve_all(settings, 4) == [make_message(1), make_message(3)]


def test_a_refused_retr_is_a_mail_error_at_once(dovecot, pop3_user, certs):
    dovecot.deliver(pop3_user, make_message(1))

    # The session goes on after the error: both answers were read, QUIT is in step.
    with (
        pop3.open_pop3(settings_for(dovecot, pop3_user, certs)) as client,
        pytest.raises(ProtocolError) as refused,
    ):
        list(pop3.retrieve_messages(client, [1, 7], window=4))

    assert refused.value.detail.startswith("-ERR")


def test_a_closed_connection_during_retr_is_a_connect_error(dovecot, pop3_user, certs):
    dovecot.deliver(pop3_user, make_message(1))

    with pytest.raises(ConnectError), pop3.open_pop3(settings_for(dovecot, pop3_user, certs)) as c:
        c.sock.shutdown(2)
        list(pop3.retrieve_messages(c, [1]))


# --- servers without UIDL --------------------------------------------------------------


def scripted_settings(server: ScriptedPOP3) -> ServerSettings:
    return ServerSettings("127.0.0.1", server.port, Security.PLAIN, "alice", "secret")


@pytest.mark.parametrize("capabilities", [[b"USER", b"TOP"], None], ids=["capa", "no_capa"])
def test_without_uidl_messages_are_named_by_a_digest_of_their_headers(capabilities):
    messages = [make_message(1), make_message(2), make_message(1)]  # the same delivery twice
    drop = Maildrop(messages=list(messages), capabilities=capabilities)
    with ScriptedPOP3(drop) as server, pop3.open_pop3(scripted_settings(server)) as client:
        first = pop3.list_maildrop(client, pop3.capabilities_of(client))
    with ScriptedPOP3(drop) as server, pop3.open_pop3(scripted_settings(server)) as client:
        again = pop3.list_maildrop(client, pop3.capabilities_of(client))

    ids = [entry.unique_id for entry in first]
    assert ids == [entry.unique_id for entry in again]  # stable across sessions
    assert all(unique_id.startswith(pop3.TOP_DIGEST_PREFIX) for unique_id in ids)
    assert ids[2] == ids[0] + "#2" and ids[1] != ids[0]
    assert [entry.size for entry in first] == [len(message) for message in messages]


def test_a_server_with_uidl_but_no_capa_is_listed_by_uidl():
    drop = Maildrop(messages=[make_message(1)], capabilities=None, has_uidl=True)
    with ScriptedPOP3(drop) as server, pop3.open_pop3(scripted_settings(server)) as client:
        entries = pop3.list_maildrop(client, pop3.capabilities_of(client))

    assert [entry.unique_id for entry in entries] == ["id-1"]
    assert b"TOP" not in drop.commands
