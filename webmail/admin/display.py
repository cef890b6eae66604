"""Small display helpers shared by the admin pages."""

import re

from django.utils.html import format_html
from django.utils.safestring import SafeString


def breakable(text: str) -> SafeString:
    """Long addresses and host names may wrap after their dots and "@" (only there),
    so a list of them fits a narrow screen without cutting words anywhere else."""
    *pieces, last = re.split(r"(?<=[.@])", text)
    shown = SafeString()
    for piece in pieces:
        shown += format_html("{}<wbr>", piece)
    return shown + format_html("{}", last)
