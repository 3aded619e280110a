"""The learning-record outbox: xAPI statements waiting for export to a learning record store."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import utcnow
from lms.extensions import db


class Statement(db.Model):
    """One xAPI statement, stored as JSON with the fields reports filter on."""

    __tablename__ = "statements"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    actor_id: Mapped[str] = mapped_column(sa.String(36), index=True)  # the user's opaque public_id
    verb: Mapped[str] = mapped_column(sa.String(200))
    object_id: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[dict] = mapped_column(sa.JSON)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    exported_at: Mapped[datetime | None]
