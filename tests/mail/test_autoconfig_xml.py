"""Thunderbird autoconfig documents: what is read, what is skipped, what is refused."""

import pytest

from webmail.mail.autoconfig_xml import (
    EMAIL_ADDRESS,
    EMAIL_LOCAL_PART,
    MAX_DOCUMENT_BYTES,
    ConfigDocumentError,
    ServerTemplate,
    expand_placeholders,
    parse_config,
)
from webmail.mail.types import Protocol, Security

DOCUMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.example.test</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.test</hostname>
      <port>110</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.%EMAILDOMAIN%</hostname>
      <port>25</port>
      <socketType>plain</socketType>
      <authentication>password-encrypted</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""


def config_with(server: str) -> bytes:
    return f"<clientConfig><emailProvider>{server}</emailProvider></clientConfig>".encode()


def imap_server(**fields: str) -> str:
    values = {"hostname": "imap.example.test", "port": "993", "socketType": "SSL", **fields}
    inner = "".join(f"<{tag}>{text}</{tag}>" for tag, text in values.items())
    return f'<incomingServer type="imap">{inner}</incomingServer>'


def test_it_reads_imap_pop3_and_smtp_servers_in_document_order():
    assert parse_config(DOCUMENT) == [
        ServerTemplate(Protocol.IMAP, "imap.example.test", 993, Security.TLS, EMAIL_LOCAL_PART),
        ServerTemplate(Protocol.POP3, "pop.example.test", 110, Security.STARTTLS, EMAIL_ADDRESS),
        ServerTemplate(Protocol.SMTP, "smtp.%EMAILDOMAIN%", 25, Security.PLAIN, EMAIL_ADDRESS),
    ]


def test_placeholders_expand_to_the_parts_of_the_address():
    def expand(text):
        return expand_placeholders(text, local_part="alice", domain="example.test")

    assert expand("%EMAILADDRESS%") == "alice@example.test"
    assert expand("%EMAILLOCALPART%") == "alice"
    assert expand("mail.%EMAILDOMAIN%") == "mail.example.test"
    assert expand("shared-login") == "shared-login"


def test_socket_types_are_read_whatever_their_case():
    [server] = parse_config(config_with(imap_server(socketType="starttls")))
    assert server.security is Security.STARTTLS


@pytest.mark.parametrize(
    "server",
    [
        '<incomingServer type="exchange"><hostname>ews.example.test</hostname>'
        "<port>443</port><socketType>SSL</socketType></incomingServer>",
        '<outgoingServer type="imap"><hostname>imap.example.test</hostname>'
        "<port>993</port><socketType>SSL</socketType></outgoingServer>",
        imap_server(hostname=""),
        imap_server(port="imaps"),
        imap_server(port="70000"),
        imap_server(port="0"),
        imap_server(socketType="TLS1.3-please"),
        imap_server(authentication="OAuth2"),
    ],
    ids=[
        "exchange",
        "imap-as-outgoing",
        "no-host",
        "named-port",
        "port-too-big",
        "port-zero",
        "unknown-socket-type",
        "oauth2-only",
    ],
)
def test_entries_we_cannot_use_are_skipped(server):
    assert parse_config(config_with(server)) == []


def test_a_server_offering_a_password_besides_oauth2_is_kept():
    server = imap_server().replace(
        "</incomingServer>",
        "<authentication>OAuth2</authentication>"
        "<authentication>password-cleartext</authentication></incomingServer>",
    )
    assert len(parse_config(config_with(server))) == 1


def test_a_missing_username_means_the_whole_address():
    [server] = parse_config(config_with(imap_server()))
    assert server.username == EMAIL_ADDRESS


def test_a_document_that_is_not_a_client_config_is_refused():
    with pytest.raises(ConfigDocumentError, match="clientConfig"):
        parse_config(b"<html><body>Welcome to nginx!</body></html>")


def test_malformed_xml_is_refused():
    with pytest.raises(ConfigDocumentError, match="well-formed"):
        parse_config(b"<clientConfig><emailProvider></clientConfig>")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<clientConfig><emailProvider><displayName>&lol4;</displayName></emailProvider></clientConfig>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<clientConfig><emailProvider><displayName>&secret;</displayName></emailProvider></clientConfig>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig SYSTEM "http://169.254.169.254/latest/meta-data/">
<clientConfig/>
"""


@pytest.mark.parametrize(
    "document",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, b"<!DOCTYPE clientConfig><clientConfig/>"],
    ids=["billion-laughs", "external-entity", "external-dtd", "bare-doctype"],
)
def test_any_doctype_is_refused(document):
    with pytest.raises(ConfigDocumentError, match="DOCTYPE"):
        parse_config(document)


def test_a_doctype_is_refused_in_any_encoding():
    document = '<?xml version="1.0" encoding="UTF-16"?>' + BILLION_LAUGHS.decode().split("?>", 1)[1]
    with pytest.raises(ConfigDocumentError, match="DOCTYPE"):
        parse_config(document.encode("utf-16"))


def test_an_undeclared_entity_is_refused():
    with pytest.raises(ConfigDocumentError):
        parse_config(config_with("<displayName>&nope;</displayName>"))


def test_a_document_over_the_size_cap_is_refused_before_parsing():
    padding = b" " * (MAX_DOCUMENT_BYTES - len(DOCUMENT) + 1)
    with pytest.raises(ConfigDocumentError, match="larger"):
        parse_config(DOCUMENT + padding)


def test_a_document_at_the_size_cap_is_read():
    padding = b" " * (MAX_DOCUMENT_BYTES - len(DOCUMENT))
    assert len(parse_config(DOCUMENT + padding)) == 3
