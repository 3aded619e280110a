"""The learning-record outbox: xAPI statements, and their delivery to a learning record store."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import utcnow
from lms.extensions import db


class Statement(db.Model):
    """One xAPI statement, stored as JSON with the fields reports filter on.

    The row is also the outbox entry: the sender posts rows whose ``exported_at`` is empty and
    whose ``next_send_at`` has come, so a restart resumes where the last run stopped.
    """

    __tablename__ = "statements"
    __table_args__ = (sa.Index("ix_statements_outbox", "exported_at", "next_send_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    actor_id: Mapped[str] = mapped_column(sa.String(36), index=True)  # the user's opaque public_id
    verb: Mapped[str] = mapped_column(sa.String(200))
    object_id: Mapped[str] = mapped_column(sa.String(500))
    body: Mapped[dict] = mapped_column(sa.JSON)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # When the learning record store accepted it (None: not sent yet, or to be sent again).
    exported_at: Mapped[datetime | None]
    send_attempts: Mapped[int] = mapped_column(default=0)
    next_send_at: Mapped[datetime | None]  # None: as soon as possible
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
