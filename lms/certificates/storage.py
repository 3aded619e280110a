"""Stored PDFs: rendered once, written durably under a content-addressed name, read back checked."""

import contextlib
import hashlib
import logging
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from lms.certificates import render
from lms.certificates.content import certificate_data
from lms.certificates.errors import CertificateError, RenderFailed, StorageFailed
from lms.certificates.models import Certificate
from lms.core.files import write_durably
from lms.core.pdf import RenderTimeout
from lms.extensions import db

log = logging.getLogger(__name__)


def storage_dir() -> Path:
    """Return the folder PDFs are stored in (CERTIFICATE_STORAGE, else instance/certificates)."""
    configured = current_app.config.get("CERTIFICATE_STORAGE")
    return Path(configured) if configured else Path(current_app.instance_path) / "certificates"


def relative_path(certificate: Certificate, digest: str) -> str:
    """Return where a certificate's PDF with this SHA-256 is stored, under the storage folder."""
    # Content-addressed: a reissue writes a new file and never overwrites the one being served.
    return f"{certificate.course_id}/{certificate.code}-{digest[:16]}.pdf"


def store_pdf(relative: str, data: bytes) -> None:
    """Write a PDF durably: temporary file in the same folder, fsync, rename, fsync the folder."""
    write_durably(storage_dir() / relative, data)


def render_and_store(certificate: Certificate, course) -> None:
    """Render a certificate's PDF and store it; raise RenderFailed or StorageFailed, storing nothing."""
    try:
        pdf = render.render_certificate(certificate_data(certificate, course))
    except RenderTimeout:
        log.exception("certificate %s took too long to render", certificate.id)
        raise RenderFailed(
            _("Your certificate could not be prepared just now. Nothing was issued: try again later.")
        )
    digest = hashlib.sha256(pdf).hexdigest()
    relative = relative_path(certificate, digest)
    try:
        store_pdf(relative, pdf)
    except OSError as error:
        log.error("certificate %s could not be stored: %s", certificate.id, error)
        raise StorageFailed(
            _(
                "Your certificate could not be saved because the server's storage is full or failing. "
                "Nothing was issued: please try again later."
            )
        )
    certificate.pdf_path = relative
    certificate.pdf_sha256 = digest


def stored_pdf(certificate: Certificate) -> bytes | None:
    """Return the stored PDF if it is there and intact, else None."""
    if not certificate.pdf_path:
        return None
    try:
        data = (storage_dir() / certificate.pdf_path).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != certificate.pdf_sha256:
        log.error("stored PDF of certificate %s does not match its checksum", certificate.id)
        return None
    return data


def restore_pdf(certificate: Certificate) -> bytes:
    """Render and store again a PDF that is missing or damaged (flushes)."""
    log.warning("certificate %s: stored PDF missing or damaged, rendering it again", certificate.id)
    render_and_store(certificate, certificate.course)
    db.session.flush()
    data = stored_pdf(certificate)
    if data is None:
        raise StorageFailed(_("The certificate file could not be read back. Please try again later."))
    return data


def pdf_for_download(certificate: Certificate) -> bytes:
    """Return a certificate's PDF from storage, restoring it only if it is gone (flushes)."""
    if not certificate.is_issued:
        raise CertificateError(_("This certificate has not been issued yet."))
    return stored_pdf(certificate) or restore_pdf(certificate)


def discard_file(relative: str | None) -> None:
    """Delete a stored PDF that nothing points to any more (after the commit)."""
    if relative:
        with contextlib.suppress(FileNotFoundError):
            (storage_dir() / relative).unlink()
