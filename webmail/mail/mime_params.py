"""MIME parameter lists (``; name=value`` after a Content-Type or Content-Disposition)
read as compat32 reads them, without its two failures on hostile input. Plain Python.

``email.message.Message`` splits a list by counting the quotes from the start of the
rest again at each ";" inside a quoted string: quadratic, so that a 40 KB parameter
list of semicolons took over a second per lookup, and minutes for a message's worth.
And its RFC 2231 reader sorts continuation numbers with None (``name*`` beside
``name*0*``, or ``name*`` twice), a TypeError from every lookup, the feed parser's
boundary lookup included.
"""

from email.message import Message
from email.utils import decode_params

_MISSING = object()


class TolerantMessage(Message):
    """compat32's Message, with parameter lists split in linear time and, when their
    RFC 2231 parameters cannot be read, read without them (boundary, charset and
    plain names kept)."""

    def _get_params_preserve(self, failobj, header):
        value = self.get(header, _MISSING)
        if value is _MISSING:
            return failobj
        params = []
        for piece in split_parameters(str(value)):
            name, equals, rest = piece.partition("=")
            params.append((name.strip(), rest.strip()) if equals else (piece.strip(), ""))
        try:
            return decode_params(params)
        except TypeError:
            return decode_params(params[:1] + [pair for pair in params[1:] if "*" not in pair[0]])


def split_parameters(value: str) -> list[str]:
    """``email.message._parseparam``, with the quotes before each ";" counted once."""
    text = ";" + value
    pieces = []
    start = 0
    while text.startswith(";", start):
        start += 1
        end = text.find(";", start)
        quotes, counted = 0, start
        while end > start:
            # A ";" between unescaped quotes is part of a value, not a separator.
            quotes += text.count('"', counted, end) - text.count('\\"', counted, end)
            counted = end
            if quotes % 2 == 0:
                break
            end = text.find(";", end + 1)
        if end < 0:
            end = len(text)
        piece = text[start:end]
        if "=" in piece:
            name, _equals, rest = piece.partition("=")
            piece = name.strip().lower() + "=" + rest.strip()
        pieces.append(piece.strip())
        start = end
    return pieces
