"""A learner's certificates in their data download, and erased with their account."""

from lms.certificates import codes
from lms.certificates.queries import my_certificates
from lms.certificates.storage import discard_file
from lms.extensions import db


def export_for(user) -> list[dict]:
    """Return a learner's certificates for their data download."""
    return [
        {
            "course": c.course.slug,
            "course_version": c.course_version,
            "name_on_certificate": c.name_on_certificate,
            "language": c.locale,
            "status": c.status(),
            "code": codes.format_code(c.code) if c.is_issued else None,
            "requested_at": c.requested_at.isoformat(),
            "issued_at": c.issued_at.isoformat() if c.issued_at else None,
            "expires_at": c.expires_at.isoformat() if c.expires_at else None,
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
        }
        for c in my_certificates(user)
    ]


def erase_for(user) -> None:
    """Delete a learner's certificates and their files (their name is on them); flushes."""
    certificates = my_certificates(user)
    for certificate in certificates:
        discard_file(certificate.pdf_path)
        db.session.delete(certificate)
    db.session.flush()
