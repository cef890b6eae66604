"""Thunderbird's autoconfig format (config-v1.1.xml), read defensively.

The document comes from a server chosen by whoever owns the e-mail domain, so it is
untrusted input: no DOCTYPE (hence no entity expansion, internal or external), and a
hard size cap before any parsing.

Format: https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
"""

from dataclasses import dataclass
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from webmail.mail.types import Protocol, Security

MAX_DOCUMENT_BYTES = 256 * 1024

# Placeholders of the format, also used by the bundled provider table and by SRV
# answers, so every source speaks about user names the same way.
EMAIL_ADDRESS = "%EMAILADDRESS%"
EMAIL_LOCAL_PART = "%EMAILLOCALPART%"
EMAIL_DOMAIN = "%EMAILDOMAIN%"

_SERVER_ELEMENTS = {
    "incomingServer": {"imap": Protocol.IMAP, "pop3": Protocol.POP3},
    "outgoingServer": {"smtp": Protocol.SMTP},
}
_SOCKET_TYPES = {"ssl": Security.TLS, "starttls": Security.STARTTLS, "plain": Security.PLAIN}
# A server offering only these needs a login flow other than a password.
_NON_PASSWORD_AUTHENTICATION = {"oauth2", "gssapi", "ntlm", "tls-client-cert"}


class ConfigDocumentError(ValueError):
    """The document is too large, not well-formed, unsafe, or not an autoconfig file."""


@dataclass(frozen=True)
class ServerTemplate:
    """One server as a source describes it; ``host`` and ``username`` may still hold
    placeholders (``%EMAILADDRESS%``, ``%EMAILLOCALPART%``, ``%EMAILDOMAIN%``)."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str = EMAIL_ADDRESS


def expand_placeholders(text: str, *, local_part: str, domain: str) -> str:
    """Replace the format's placeholders by the parts of one address."""
    return (
        text.replace(EMAIL_ADDRESS, f"{local_part}@{domain}")
        .replace(EMAIL_LOCAL_PART, local_part)
        .replace(EMAIL_DOMAIN, domain)
    )


def parse_config(document: bytes) -> list[ServerTemplate]:
    """The IMAP, POP3 and SMTP servers of an autoconfig document, in its order
    (the format lists the preferred server first). Entries we cannot use (other
    protocols, a missing host, a bad port, an unknown socketType, OAuth2-only)
    are skipped; a document that is not a clientConfig raises ConfigDocumentError."""
    root = parse_document(document)
    if root.tag != "clientConfig":
        raise ConfigDocumentError(f"root element is <{root.tag}>, not <clientConfig>")
    templates = []
    for provider in root.iter("emailProvider"):
        for element in provider:
            template = _server_template(element)
            if template is not None:
                templates.append(template)
    return templates


def parse_document(document: bytes) -> Element:
    """An element tree built by expat with every DTD feature refused.

    ElementTree's own parser accepts an internal DTD subset, whose entities can
    expand a few hundred bytes into gigabytes ("billion laughs"). Refusing the
    DOCTYPE at its first byte means no entity can ever be declared.
    """
    if len(document) > MAX_DOCUMENT_BYTES:
        raise ConfigDocumentError(f"document larger than {MAX_DOCUMENT_BYTES} bytes")
    builder = TreeBuilder()
    parser = _refusing_parser()
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(document, True)
    except expat.ExpatError as error:
        raise ConfigDocumentError(f"not well-formed XML: {error}") from error
    return builder.close()


def _refusing_parser() -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external_entity
    return parser


def _refuse_doctype(*_args: object) -> None:
    raise ConfigDocumentError("a DOCTYPE is not allowed in an autoconfig document")


def _refuse_entity(*_args: object) -> None:
    raise ConfigDocumentError("entity declarations are not allowed")


def _refuse_external_entity(*_args: object) -> int:
    raise ConfigDocumentError("external entities are not allowed")


def _server_template(element: Element) -> ServerTemplate | None:
    protocol = _SERVER_ELEMENTS.get(str(element.tag), {}).get(element.get("type", ""))
    security = _SOCKET_TYPES.get(_text(element, "socketType").lower())
    host, port = _text(element, "hostname"), _port(_text(element, "port"))
    if protocol is None or security is None or not host or port is None:
        return None
    if not _accepts_password(element):
        return None
    username = _text(element, "username") or EMAIL_ADDRESS
    return ServerTemplate(protocol, host, port, security, username)


def _accepts_password(element: Element) -> bool:
    methods = {(child.text or "").strip().lower() for child in element.findall("authentication")}
    return not methods or not methods <= _NON_PASSWORD_AUTHENTICATION


def _text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _port(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()):
        return None
    port = int(text)
    return port if 0 < port < 65536 else None
