"""Every attachment of a message in one zip."""

import io
import zipfile
from collections.abc import Iterable

from webmail.mail.mime import safe_filename


def unique_names(names: Iterable[str]) -> list[str]:
    """Safe names, numbered when two would collide: "a.pdf", "a (2).pdf"."""
    seen: set[str] = set()
    result = []
    for name in names:
        safe = safe_filename(name)
        stem, dot, extension = safe.rpartition(".")
        if not dot or not stem:
            stem, extension = safe, ""
        candidate, number = safe, 1
        while candidate.casefold() in seen:
            number += 1
            candidate = f"{stem} ({number}).{extension}" if extension else f"{stem} ({number})"
        seen.add(candidate.casefold())
        result.append(candidate)
    return result


def zip_of(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    names = unique_names(name for name, _data in files)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (_original, data) in zip(names, files, strict=True):
            archive.writestr(name, data)
    return buffer.getvalue()
