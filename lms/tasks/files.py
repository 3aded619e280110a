"""Pure checks of an uploaded attachment: PDF, DOCX or ODT by content, at most 5 MB, not encrypted.

Nothing here opens the document beyond what identifies its type: attachments are never rendered
or converted on the server, only stored and handed back as downloads.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024
TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # what an encrypted DOCX (and an old .doc) is
_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


class FileRefused(ValueError):
    """An upload that is not accepted; `reason` is a code the view turns into a message."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class CheckedFile:
    """An accepted attachment: a safe file name, its media type and its bytes."""

    filename: str
    content_type: str
    data: bytes


def _kind(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(_OLE):
        return "encrypted"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == TYPES["odt"].encode():
                manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
                return "encrypted" if b"encryption-data" in manifest else "odt"
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return "docx"
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return None
    return None


def check(filename: str, data: bytes) -> CheckedFile:
    """Accept a PDF, DOCX or ODT whose content matches its name, or raise FileRefused."""
    if not data:
        raise FileRefused("empty")
    if len(data) > MAX_BYTES:
        raise FileRefused("too_big")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in TYPES:
        raise FileRefused("type")
    kind = _kind(data)
    if kind == "encrypted" or (kind == "pdf" and b"/Encrypt" in data):
        raise FileRefused("encrypted")
    if kind != extension:
        raise FileRefused("disguised")
    stem = _SAFE_NAME.sub("_", filename.rsplit(".", 1)[0]).strip(" ._")[:80] or "attachment"
    return CheckedFile(f"{stem}.{extension}", TYPES[extension], data)
