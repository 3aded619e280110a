"""Courses: the imported package (files and structure), enrolments and lesson progress."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import utcnow
from lms.extensions import db
from lms.quizzes.models import Quiz
from lms.tasks.models import Task


def text_in(texts: dict[str, str], locale: str, default_locale: str | None = None) -> str:
    """Return a localised text in a locale, else in the default locale (else the first one).

    Packages list the default locale's text first, so "the first one" is the default's.
    """
    return texts.get(locale) or (texts[default_locale] if default_locale else next(iter(texts.values())))


class Course(db.Model):
    """A course as last imported or published; titles and summaries keyed by locale."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    version: Mapped[int]
    default_locale: Mapped[str] = mapped_column(sa.String(8))
    locales: Mapped[list[str]] = mapped_column(sa.JSON)
    titles: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    summaries: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    topic: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    estimated_minutes: Mapped[int]
    lesson_count: Mapped[int] = mapped_column(default=0)
    pass_mark: Mapped[int] = mapped_column(default=70)
    has_certificate: Mapped[bool] = mapped_column(default=True)
    certificate_valid_years: Mapped[int] = mapped_column(default=0)
    sources_md: Mapped[str | None] = mapped_column(sa.Text)
    # Hash of every file of the package: importing identical content again changes nothing.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    is_published: Mapped[bool] = mapped_column(default=True)
    # The pre/post knowledge check; the course points to it, never the reverse.
    assessment_quiz_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    modules: Mapped[list["Module"]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    assessment_quiz: Mapped[Quiz | None] = relationship()
    files: Mapped[list["CourseFile"]] = relationship(cascade="all, delete-orphan")

    def title_in(self, locale: str) -> str:
        """Return the title in a locale, else the default locale's."""
        return text_in(self.titles, locale, self.default_locale)

    def summary_in(self, locale: str) -> str:
        """Return the summary in a locale, else the default locale's."""
        return self.summaries.get(locale) or self.summaries.get(self.default_locale, "")


class CourseFile(db.Model):
    """Every file of the imported package, byte for byte, so export gives it back unchanged."""

    __tablename__ = "course_files"
    __table_args__ = (sa.UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(sa.String(300))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Module(db.Model):
    """A module of a course."""

    __tablename__ = "modules"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    titles: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    requires_previous: Mapped[bool] = mapped_column(default=False)
    quiz_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="SET NULL"))
    # The module's practice task; the module points to it, never the reverse.
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship(back_populates="modules")
    quiz: Mapped[Quiz | None] = relationship()
    task: Mapped[Task | None] = relationship()
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )

    def title_in(self, locale: str) -> str:
        """Return the title in a locale, else the course's default locale's."""
        return text_in(self.titles, locale)


class Lesson(db.Model):
    """A lesson; its slug is unique in the course and keys learners' progress."""

    __tablename__ = "lessons"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    # Course-wide order, so previous/next and "continue" need no extra queries.
    sequence: Mapped[int]
    titles: Mapped[dict[str, str]] = mapped_column(sa.JSON)

    module: Mapped[Module] = relationship(back_populates="lessons")
    contents: Mapped[list["LessonContent"]] = relationship(cascade="all, delete-orphan")


class LessonContent(db.Model):
    """A lesson's Markdown in one locale."""

    __tablename__ = "lesson_contents"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(300))
    body_md: Mapped[str] = mapped_column(sa.Text)
    word_count: Mapped[int]
    # A translation made from an older text of its source (translations.toml): learners see a note.
    is_outdated: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class MediaFile(db.Model):
    """A small image of a course, served from the course's own media folder."""

    __tablename__ = "media_files"
    __table_args__ = (sa.UniqueConstraint("course_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    width: Mapped[int | None]
    height: Mapped[int | None]


class Enrolment(db.Model):
    """A learner's enrolment in a course."""

    __tablename__ = "enrolments"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_lesson_slug: Mapped[str | None] = mapped_column(sa.String(64))
    completed_at: Mapped[datetime | None]
    # The xAPI registration: every learning record of this enrolment carries it.
    registration: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))

    course: Mapped[Course] = relationship()


class LessonProgress(db.Model):
    """One lesson marked done by one learner; keyed by slug so new versions keep it."""

    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id", "lesson_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    lesson_slug: Mapped[str] = mapped_column(sa.String(64))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
