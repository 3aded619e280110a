"""A course's certificates as one ZIP, streamed: stored PDFs, and lost ones rendered for it."""

import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Iterator

from lms.certificates import codes, render
from lms.certificates.content import certificate_data
from lms.certificates.queries import course_certificates
from lms.certificates.storage import storage_dir

log = logging.getLogger(__name__)


def course_archive(course, viewer) -> Iterator[bytes]:
    """Return the ZIP of every valid or expired certificate of a course the viewer manages, in chunks.

    The files are looked up (and lost ones rendered, nothing stored) before this returns; the
    chunks come from plain data only (names, paths, digests): no session, no app context.
    """
    entries = []
    root = storage_dir()
    for certificate in course_certificates(course, viewer):
        if certificate.revoked_at is not None:
            continue
        when = certificate.issued_at.timetuple()[:6]
        path = root / certificate.pdf_path if certificate.pdf_path else None
        if path is None or not path.is_file():
            # Lost from storage: render it for the archive now, before streaming, store nothing.
            data = render.render_certificate(certificate_data(certificate))
            entries.append((_zip_name(certificate), when, data, None))
        else:
            entries.append((_zip_name(certificate), when, path, certificate.pdf_sha256))
    return _zip_stream(entries)


class _ZipSink(io.RawIOBase):
    """A write-only stream that hands back what the ZIP writer wrote since the last call."""

    def __init__(self):
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


_UNSAFE_FILENAME = re.compile(r"[^\w\- ]+")


def _zip_name(certificate) -> str:
    name = _UNSAFE_FILENAME.sub("_", certificate.name_on_certificate).strip(" _")[:60] or "certificate"
    return f"{name}-{codes.format_code(certificate.code)}.pdf"


def _zip_stream(entries):
    sink = _ZipSink()
    # PDFs are compressed already: store them; memory holds one certificate at a time.
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for filename, when, source, digest in entries:
            data = source if isinstance(source, bytes) else source.read_bytes()
            if digest is not None and hashlib.sha256(data).hexdigest() != digest:
                log.error("certificate file %s does not match its checksum: left out of the ZIP", source.name)
                continue
            archive.writestr(zipfile.ZipInfo(filename, date_time=when), data)
            yield sink.take()
    yield sink.take()
