"""Practice tasks, learners' submissions and their versions, and rubric reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import utcnow
from lms.extensions import db

REVIEW_MODES = ("mentor", "mentor+peer")
STATUSES = ("draft", "submitted", "revise", "approved")
DECISIONS = ("approved", "revise")


class Task(db.Model):
    """A practice task: brief and answer template per locale, settings and rubric."""

    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint("review IN ('mentor', 'mentor+peer')", name="review"),
        sa.CheckConstraint("peers >= 0", name="peers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The xAPI activity IRI; also how an import finds the task again.
    activity_id: Mapped[str] = mapped_column(sa.String(500), unique=True)
    default_locale: Mapped[str] = mapped_column(sa.String(8))
    review: Mapped[str] = mapped_column(sa.String(16), default="mentor")
    peers: Mapped[int] = mapped_column(default=0)
    word_limit: Mapped[int | None]
    has_attachments: Mapped[bool] = mapped_column(default=False)
    requires_approval: Mapped[bool] = mapped_column(default=True)
    pass_points: Mapped[int]
    titles: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    briefs: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    # {locale: [{"heading": ..., "hint": ...}]}; the same number of sections in every locale.
    sections: Mapped[dict[str, list[dict[str, str]]]] = mapped_column(sa.JSON)
    # [{"id", "titles": {locale}, "levels": [{"points", "descriptions": {locale}}]}]
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def in_locale(self, texts: dict[str, Any], locale: str) -> Any:
        """Return a localised value in a locale, else in the task's default locale."""
        return texts.get(locale) or texts[self.default_locale]


class Submission(db.Model):
    """One learner's work on one task: the draft being written and the status of the last version."""

    __tablename__ = "task_submissions"
    __table_args__ = (
        sa.UniqueConstraint("task_id", "user_id"),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'revise', 'approved')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    # Where the learner submitted from (a course slug, a cohort): for the mentors' filters.
    context: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    locale: Mapped[str] = mapped_column(sa.String(8))
    draft: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # Bumped by every decision: a mentor's form carries the value it was drawn from.
    lock: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)

    task: Mapped[Task] = relationship()
    versions: Mapped[list[SubmissionVersion]] = relationship(
        back_populates="submission",
        order_by="SubmissionVersion.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class SubmissionVersion(db.Model):
    """A submitted, frozen version of a learner's answer."""

    __tablename__ = "task_submission_versions"
    __table_args__ = (sa.UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("task_submissions.id", ondelete="CASCADE"))
    number: Mapped[int]
    answers: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    word_count: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="versions")
    reviews: Mapped[list[Review]] = relationship(
        order_by="Review.created_at", cascade="all, delete-orphan", passive_deletes=True
    )


class Review(db.Model):
    """A mentor's decision or a peer's advice on one version, scored with the rubric."""

    __tablename__ = "task_reviews"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "reviewer_id", "kind"),
        sa.CheckConstraint("kind IN ('mentor', 'peer')", name="kind"),
        sa.CheckConstraint("decision IS NULL OR decision IN ('approved', 'revise')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("task_submission_versions.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(8))
    # [{"criterion_id", "level", "points", "comment"}]
    scores: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    points: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    decision: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PeerAssignment(db.Model):
    """A learner asked to review another learner's submission, anonymised."""

    __tablename__ = "task_peer_assignments"
    __table_args__ = (
        sa.UniqueConstraint("submission_id", "reviewer_id"),
        sa.CheckConstraint("reviewer_id <> author_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("task_submissions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class Attachment(db.Model):
    """A file with a submission: the draft's (no version yet) or a submitted version's.

    Stored privately in the database and only ever handed back as a download.
    """

    __tablename__ = "task_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("task_submissions.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("task_submission_versions.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(100))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    # Deferred: lists of attachments never load the files themselves.
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
