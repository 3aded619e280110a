"""Credentials: one row per Open Badges credential issued for a certificate."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import utcnow
from lms.extensions import db


class Credential(db.Model):
    """An OpenBadgeCredential issued for a certificate; its id is its place in the status list.

    The signed document is not stored: it is signed again from the certificate on download, so
    no copy of the printed name lives here. A certificate has at most one live credential per
    disclosure choice (with or without the name). When the certificate is erased the row stays,
    without its certificate, so its status bit stays set (revoked) for verifiers.
    """

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    subject_uuid: Mapped[str] = mapped_column(sa.String(36))
    certificate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="SET NULL"), index=True
    )
    has_name: Mapped[bool] = mapped_column(default=False)
    salt: Mapped[str] = mapped_column(sa.String(32))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # "revoked" (the certificate was) or "reissued" (a new credential replaced this one).
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(20))
