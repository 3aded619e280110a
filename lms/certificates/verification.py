"""Verification and its changes: the public verify result, revoking, reissuing."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from lms.certificates import codes, render
from lms.certificates.content import issuer
from lms.certificates.eligibility import check_locale, prepare_name
from lms.certificates.errors import CertificateError, NotInScope
from lms.certificates.models import Certificate
from lms.certificates.scope import in_scope
from lms.certificates.signals import certificate_reissued, certificate_revoked
from lms.certificates.storage import render_and_store
from lms.core.db import utcnow
from lms.core.i18n import text_direction
from lms.extensions import db


@dataclass(frozen=True)
class Verification:
    """What the public verify page may show, and nothing else."""

    status: str  # "valid", "revoked" or "expired"
    name: str
    name_dir: str
    course_title: str
    course_title_dir: str
    issued_at: datetime
    expires_at: datetime | None
    issuer: str
    code: str


def verify(code_text: str) -> Verification | None:
    """Look up a typed code; return only what the public may see, or None."""
    code = codes.parse_code(code_text)
    if code is None:
        return None
    certificate = db.session.scalar(
        sa.select(Certificate)
        .where(Certificate.code == code, Certificate.issued_at.is_not(None))
        .options(selectinload(Certificate.course))
    )
    if certificate is None:
        return None
    title = certificate.course.title_in(certificate.locale)
    return Verification(
        status=certificate.status(),
        name=certificate.name_on_certificate,
        name_dir=render.text_direction_of(certificate.name_on_certificate),
        course_title=title,
        course_title_dir=render.text_direction_of(title) if title else text_direction(certificate.locale),
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        issuer=issuer(certificate.locale),
        code=codes.format_code(certificate.code),
    )


def require_in_scope(actor, certificate: Certificate) -> None:
    """Raise NotInScope unless the actor may manage this certificate (see `scope.in_scope`)."""
    if not in_scope(actor, certificate):
        raise NotInScope(
            _(
                "Only administrators, and managers who see this learner, can revoke or reissue this certificate."
            )
        )


def revoke(actor, certificate: Certificate, reason: str | None) -> None:
    """Revoke an issued certificate with a reason (flushes); revoking twice keeps the first."""
    require_in_scope(actor, certificate)
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise CertificateError(_("Give the reason for revoking this certificate."))
    if not certificate.is_issued:
        raise CertificateError(_("This certificate has not been issued yet."))
    if certificate.revoked_at is not None:
        return
    certificate.revoked_at = utcnow()
    certificate.revoke_reason = reason
    certificate.revoked_by_id = actor.id
    db.session.flush()
    certificate_revoked.send(certificate, actor=actor)


def reissue(
    actor, certificate: Certificate, *, name: str | None = None, locale: str | None = None
) -> str | None:
    """Render a certificate again (corrected name or language, revocation lifted); flushes.

    Returns the old file's path, for the caller to discard after committing.
    """
    require_in_scope(actor, certificate)
    if not certificate.is_issued:
        raise CertificateError(_("This certificate has not been issued yet."))
    course = certificate.course
    if name is not None:
        certificate.name_on_certificate = prepare_name(name)
    if locale is not None:
        certificate.locale = check_locale(course, locale)
    old_path = certificate.pdf_path
    certificate.revoked_at = None
    certificate.revoke_reason = None
    certificate.revoked_by_id = None
    certificate.reissued_at = utcnow()
    render_and_store(certificate, course)
    db.session.flush()
    certificate_reissued.send(certificate, actor=actor)
    return old_path if old_path != certificate.pdf_path else None
