"""Hypothesis strategies for hostile mail: messages with a MIME structure that is
almost right, so that the readers get past the first line and into their part
walks. Shared by the fuzz tests of tests/mail and tests/pop3."""

import base64
import quopri

from hypothesis import settings
from hypothesis import strategies as st

# Modest example counts: the fuzz tests run in every CI run, on two cores.
FUZZ = settings(max_examples=40, deadline=None)
# Mostly CRLF, as on the wire; the others are what broken mailers and stores write.
LINE_ENDS = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r", b"\r\r\n", b"\n\r"])
# Labels mailers write, labels no codec has, and names Python knows that are no charset.
CHARSETS = st.sampled_from(
    [b"utf-8", b"us-ascii", b"iso-8859-1", b"windows-1252", b"utf-16", b"shift_jis",
     b"gb2312", b"x-unknown-42", b"", b"utf-7", b"unicode_escape", b"raw-unicode-escape",
     b"punycode", b"idna", b"undefined", b"rot13", b"base64", b"a\x00b", b"\xff\xfe", b'"utf-8"']
)  # fmt: skip
# Few, and prefixes of each other, so that duplicates and near-misses are common.
BOUNDARIES = st.sampled_from([b"b", b"bb", b"b--", b"=_x", b"'()+_,-./:=?", b"b b", b"\xff"])
PLAIN_TYPES = [b"text/plain", b"text/html", b"TEXT/Plain", b"application/pdf", b"image/png",
               b"text", b"/", b"", b"multipart/mixed", b"message/partial"]  # fmt: skip
ENCODINGS = st.sampled_from(
    [None, b"7bit", b"8bit", b"binary", b"base64", b"BASE64 ", b"quoted-printable", b"x-uuencode",
     b"uuencode", b"gzip"]
)  # fmt: skip
# Shapes that trip up markup readers: unclosed tags, comments, scripts, entities.
MARKUP = st.sampled_from(
    [b"<p>", b"</p>", b"<script>", b"<style>", b"<!--", b"-->", b"<head", b"</head >", b"<",
     b">", b"&amp;", b"&#0;", b"&#xD800;", b"&#99999999;", b"<title>", b"<img src=cid:x>"]
)  # fmt: skip

safe_text = st.text(st.characters(codec="utf-8"), max_size=20).map(str.encode)


def _base64_lines(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


@st.composite
def encoded_words(draw) -> bytes:
    """RFC 2047 words, well formed or not, in any charset label."""
    charset = draw(CHARSETS)
    language = draw(st.sampled_from([b"", b"*fr"]))
    kind = draw(st.sampled_from([b"q", b"Q", b"b", b"B", b"x"]))
    octets = draw(st.one_of(safe_text, st.binary(max_size=20)))
    payload = draw(
        st.sampled_from(
            [
                base64.b64encode(octets),
                base64.b64encode(octets)[:-1],
                quopri.encodestring(octets, header=True).replace(b"\n", b""),
                b"=ZZ=4",
                b"+2D0-",
                b"\\ud800\\x00",
            ]
        )
    )
    return b"=?" + charset + language + b"?" + kind + b"?" + payload.replace(b"?", b"") + b"?="


def header_values():
    pieces = st.one_of(
        safe_text, encoded_words(), st.binary(max_size=12), st.just(b"\x00"), st.just(b"\r\n ")
    )
    return st.lists(pieces, max_size=5).map(b" ".join)


@st.composite
def parameters(draw, boundary: bytes | None = None) -> bytes:
    """A parameter list: charset, names in every RFC 2231 shape, boundaries (missing,
    twice, another one), and syntax errors."""
    charset = draw(CHARSETS)
    name = draw(st.one_of(safe_text, st.binary(max_size=10)))
    escaped = "".join(f"%{byte:02X}" for byte in name).encode()
    choices = [
        b'charset="' + charset + b'"',
        b"charset*=" + charset + b"''" + escaped,
        b'name="' + name + b'"',
        b"filename=" + name,
        b"filename*=" + charset + b"'en'" + escaped,
        b"filename*0*=" + charset + b"''" + escaped + b"; filename*1=" + name,
        b"name*1*=%41; name*0=x",
        b'filename="=?' + charset + b"?q?" + escaped.replace(b"%", b"=") + b'?="',
        b"",
        b"=",
        b'"unterminated',
        b"boundary=",
    ]
    if boundary is not None:
        quoted = draw(st.booleans())
        choices += [b'boundary="' + boundary + b'"' if quoted else b"boundary=" + boundary] * 3
    chosen = draw(st.lists(st.sampled_from(choices), max_size=4))
    return b"".join(b"; " + item for item in chosen)


@st.composite
def header_block(draw, content_type: bytes, params: bytes, encoding: bytes | None) -> bytes:
    end = draw(LINE_ENDS)
    lines = [b"Content-Type: " + content_type + params] if content_type or params else []
    if encoding is not None:
        lines.append(b"Content-Transfer-Encoding: " + encoding)
    extras = st.sampled_from(
        [b"Subject", b"From", b"To", b"Content-Disposition", b"Content-ID", b"Date", b"X-\xff"]
    )
    for field in draw(st.lists(extras, max_size=4)):
        value = draw(header_values())
        if field == b"Content-Disposition":
            value = draw(st.sampled_from([b"attachment", b"inline", b"INLINE", b""])) + value
        lines.append(field + b": " + value)
    if draw(st.integers(0, 20)) == 0:  # a huge header line
        lines.append(b"X-Long: " + b"a" * draw(st.integers(1, 70_000)))
    return end.join(lines) + end + end


@st.composite
def leaf_bodies(draw, encoding: bytes | None, around: bytes | None) -> bytes:
    content = draw(st.lists(st.one_of(safe_text, st.binary(max_size=30), MARKUP), max_size=6))
    octets = b" ".join(content)
    normalized = (encoding or b"").strip().lower()
    if normalized == b"base64":
        octets = draw(st.sampled_from([_base64_lines(octets), octets, b"====", b"QQ=\r\n=QQ"]))
    elif normalized == b"quoted-printable":
        octets = draw(st.sampled_from([quopri.encodestring(octets), octets, b"=\r\n=F", b"=E9="]))
    elif normalized == b"x-uuencode":
        octets = draw(st.sampled_from([b"begin 644 a\r\n#86)C\r\n`\r\nend\r\n", b"begin", octets]))
    if around is not None and draw(st.booleans()):
        # The parent's delimiter inside a body: at a line start, inside a line, longer.
        inside = draw(st.sampled_from([b"\r\n--", b"x--", b"\n--"])) + around
        octets += inside + draw(st.sampled_from([b"", b"--", b"more", b" \t"])) + b"\r\n"
    return octets


@st.composite
def parts(draw, depth: int, around: bytes | None = None) -> bytes:
    """One MIME entity: header block and body, nested up to ``depth`` more levels."""
    kind = draw(st.sampled_from(["leaf", "leaf", "multipart", "message"] if depth else ["leaf"]))
    if kind == "multipart":
        boundary = draw(BOUNDARIES)
        subtype = draw(st.sampled_from([b"mixed", b"alternative", b"related", b"digest"]))
        head = draw(header_block(b"multipart/" + subtype, draw(parameters(boundary)), None))
        end = draw(LINE_ENDS)
        body = draw(st.sampled_from([b"", b"preamble" + end]))
        for child in draw(st.lists(parts(depth - 1, boundary), max_size=4)):
            body += b"--" + boundary + draw(st.sampled_from([b"", b" ", b"x"])) + end + child + end
        body += draw(st.sampled_from([b"--" + boundary + b"--" + end + b"epilogue", b"", b"--"]))
        return head + body
    if kind == "message":
        head = draw(header_block(b"message/rfc822", b"", draw(ENCODINGS)))
        return head + draw(parts(depth - 1, around))
    encoding = draw(ENCODINGS)
    head = draw(header_block(draw(st.sampled_from(PLAIN_TYPES)), draw(parameters()), encoding))
    return head + draw(leaf_bodies(encoding, around))


@st.composite
def hostile_messages(draw, depth: int = 3) -> bytes:
    """A structured hostile message, sometimes cut short or sprinkled with NUL."""
    raw = draw(parts(depth))
    damage = draw(st.sampled_from(["none", "none", "truncate", "nul", "bare-lf"]))
    if damage == "truncate":
        return raw[: draw(st.integers(0, len(raw)))]
    if damage == "nul":
        cut = draw(st.integers(0, len(raw)))
        return raw[:cut] + b"\x00" + raw[cut:]
    if damage == "bare-lf":
        return raw.replace(b"\r\n", b"\n")
    return raw


def chain(depth: int, kind: str, leaf: bytes) -> bytes:
    """``depth`` entities nested in each other around ``leaf``: multiparts, attached
    messages, or both in turn."""
    raw = leaf
    for level in reversed(range(depth)):
        if kind == "message" or (kind == "mixed" and level % 2):
            raw = b"Content-Type: message/rfc822\r\n\r\n" + raw
        else:
            boundary = b"b%d" % level
            raw = (
                b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
                b"--" + boundary + b"\r\n" + raw + b"\r\n--" + boundary + b"--\r\n"
            )
    return raw


# -- well-formed messages, where the fast readers claim to agree with the stdlib ------------

words = st.text("abcdefghij ", min_size=1, max_size=30).map(str.encode)


@st.composite
def well_formed(draw, depth: int = 3, label: str = "0") -> bytes:
    """CRLF everywhere, quoted unique boundaries that no body holds."""
    if depth and draw(st.booleans()):
        boundary = f"=_{label}".encode()
        children = draw(st.lists(st.just(None), min_size=1, max_size=3))
        body = b"".join(
            b"--" + boundary + b"\r\n" + draw(well_formed(depth - 1, f"{label}.{n}")) + b"\r\n"
            for n, _child in enumerate(children)
        )
        head = b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
        return head + b"preamble\r\n" + body + b"--" + boundary + b"--\r\n"
    content_type = draw(st.sampled_from([b"text/plain", b"text/html", b"application/pdf"]))
    lines = draw(st.lists(words, min_size=1, max_size=3))
    return b"Content-Type: " + content_type + b"\r\n\r\n" + b"\r\n".join(lines)


# -- BODYSTRUCTURE values, as imap_parse gives them ------------------------------------------

value_atoms = st.one_of(
    st.none(),
    st.binary(max_size=10),
    st.sampled_from(
        [b"text", b"plain", b"html", b"message", b"rfc822", b"multipart", b"related",
         b"attachment", b"inline", b"name", b"filename", b"filename*", b"filename*0*",
         b"filename*1", b"12", b"99999999999999999999", b"utf-7''%2B2D0-", b"a\x00b'x'%00"]
    ),
)  # fmt: skip
value_trees = st.recursive(
    value_atoms, lambda children: st.lists(children, max_size=6), max_leaves=40
)


@st.composite
def body_parameters(draw):
    names = st.sampled_from([b"name", b"filename", b"filename*", b"filename*0*", b"filename*1",
                             b"NAME*", b"charset", b"boundary"])  # fmt: skip
    values = st.one_of(
        st.binary(max_size=12),
        st.tuples(CHARSETS, st.binary(max_size=8)).map(
            lambda pair: pair[0] + b"''" + "".join(f"%{b:02X}" for b in pair[1]).encode()
        ),
        encoded_words(),
    )
    pairs = draw(st.lists(st.tuples(names, st.one_of(values, value_trees)), max_size=4))
    flat = [item for pair in pairs for item in pair]
    return draw(st.sampled_from([flat, None, flat[:-1] if flat else [b"x"]]))


@st.composite
def body_structures(draw, depth: int = 3):
    """Parts shaped as RFC 9051 says, with hostile values in every slot."""
    if depth and draw(st.booleans()):
        children = draw(st.lists(body_structures(depth - 1), min_size=1, max_size=3))
        extension = draw(st.lists(value_trees, max_size=3))
        subtype = draw(st.sampled_from([b"mixed", b"related", b"alternative", None]))
        return [*children, subtype, *extension]
    maintype = draw(st.sampled_from([b"text", b"TEXT", b"image", b"message", b"application", None]))
    subtype = draw(st.sampled_from([b"plain", b"html", b"rfc822", b"png", b"", None]))
    disposition = draw(
        st.one_of(
            st.none(),
            st.tuples(st.sampled_from([b"attachment", b"inline", b"x"]), body_parameters()).map(
                list
            ),
            value_trees,
        )
    )
    size = draw(st.sampled_from([b"12", b"0", b"-1", b"1e9", None, [b"1"]]))
    leaf = [maintype, subtype, draw(body_parameters()), None, None, b"base64", size]
    filler = draw(st.lists(value_trees, max_size=5))
    return leaf + filler + [disposition] + draw(st.lists(value_trees, max_size=2))


def render(value) -> bytes:
    """A value as a server writes it: NIL, a literal, or a parenthesized list."""
    if value is None:
        return b"NIL"
    if isinstance(value, list):
        return b"(" + b" ".join(render(item) for item in value) + b")"
    return b"{%d}\r\n" % len(value) + value


def valid_for_postgresql(value: str) -> bool:
    """Text a PostgreSQL text column takes: valid UTF-8 (no lone surrogate), no NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value
