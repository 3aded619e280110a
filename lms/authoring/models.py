"""Authoring: drafts (a course package as files), their history, owners and translation sources.

A draft is itself a course package: a set of files {relative path: bytes} in the format of
docs/course-format.md. The web editor changes files; publishing validates them and hands them
to the same import as `flask courses import`, so the web and git reach the same course.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import utcnow
from lms.extensions import db


class Draft(db.Model):
    """The editable state of one course, keyed by the course's slug."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The published version the draft was started from (None: a course new in the editor).
    base_version: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    files: Mapped[list["DraftFile"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class DraftFile(db.Model):
    """One file of a draft, byte for byte."""

    __tablename__ = "draft_files"
    __table_args__ = (sa.UniqueConstraint("draft_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(sa.ForeignKey("drafts.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(sa.String(300))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class DraftChange(db.Model):
    """One change a user made to a draft: who, what (an action code and its object), when."""

    __tablename__ = "draft_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(sa.ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Stored as a code, shown translated: see services.ACTIONS.
    action: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    revisions: Mapped[list["FileRevision"]] = relationship(
        back_populates="change",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="FileRevision.id",
    )


class FileRevision(db.Model):
    """A file's content after a change (data None: the change deleted it)."""

    __tablename__ = "draft_file_revisions"
    __table_args__ = (sa.Index("ix_draft_file_revisions_lesson", "draft_id", "lesson_slug", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(sa.ForeignKey("draft_changes.id", ondelete="CASCADE"), index=True)
    draft_id: Mapped[int] = mapped_column(sa.ForeignKey("drafts.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(sa.String(300))
    # A lesson keeps its history when reordering renames its file, so it is found by slug.
    lesson_slug: Mapped[str | None] = mapped_column(sa.String(64))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))

    change: Mapped[DraftChange] = relationship(back_populates="revisions")


class CourseOwner(db.Model):
    """A trainer who may edit a course: its creator and the co-trainers an owner added."""

    __tablename__ = "course_owners"
    __table_args__ = (sa.UniqueConstraint("course_slug", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_slug: Mapped[str] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranslationSource(db.Model):
    """The hash of the source a translation was written from; a different hash now means stale.

    `path` is a translated file (`01-x/02-y.ar.md`) or one question of a translated quiz
    (`01-x/quiz.ar.gift#q3`); `source_path` is its default-locale counterpart.
    """

    __tablename__ = "translation_sources"
    __table_args__ = (sa.UniqueConstraint("draft_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(sa.ForeignKey("drafts.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(sa.String(400))
    source_path: Mapped[str] = mapped_column(sa.String(400))
    source_sha256: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
