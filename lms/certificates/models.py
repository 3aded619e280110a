"""Certificates: one per learner, course and course version; the PDF is one rendering of it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import utcnow
from lms.extensions import db


class Certificate(db.Model):
    """A learner's certificate, or their pending request for one (issued_at is None).

    The name printed is the one the learner typed when asking for it, kept apart from the
    display name. The PDF is rendered once and stored; `pdf_path` is relative to the storage
    folder and `pdf_sha256` lets a download check that the stored file is the one we wrote.
    """

    __tablename__ = "certificates"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id", "course_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    course_version: Mapped[int]
    # 128 random bits in Crockford base32 (26 characters), without the dashes shown to people.
    code: Mapped[str] = mapped_column(sa.String(26), unique=True)
    name_on_certificate: Mapped[str] = mapped_column(sa.String(120))
    locale: Mapped[str] = mapped_column(sa.String(8))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    reissued_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(500))
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    pdf_path: Mapped[str | None] = mapped_column(sa.String(200))
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    # By name: certificates may import only the services of the domains below, not their models.
    course: Mapped["Course"] = relationship("Course")  # noqa: F821
    user: Mapped["User"] = relationship("User", foreign_keys=[user_id])  # noqa: F821

    @property
    def is_issued(self) -> bool:
        """Tell whether the certificate exists (not just requested)."""
        return self.issued_at is not None

    def status(self, now: datetime | None = None) -> str:
        """Return "pending", "revoked", "expired" or "valid"."""
        if self.issued_at is None:
            return "pending"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "valid"
