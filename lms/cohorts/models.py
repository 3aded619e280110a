"""Cohorts and their live sessions: registration, waiting lists, attendance, blended completion.

The cohort tables were created by the reports domain and keep their names.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import utcnow
from lms.extensions import db

REGISTRATION_STATES = ("registered", "waitlisted", "cancelled")
ATTENDANCE_STATES = ("present", "late", "excused", "absent")
ATTENDANCE_SOURCES = ("roll", "self", "import")


class Cohort(db.Model):
    """A group of learners taking some courses together, run for some organisations."""

    __tablename__ = "cohorts"
    __table_args__ = (
        sa.CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", "dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    # Learners type it to join; None when joining by code is switched off.
    join_code: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortCourse(db.Model):
    """A course a cohort takes."""

    __tablename__ = "cohort_courses"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)


class CohortOrganisation(db.Model):
    """An organisation a cohort is run for; its managers see the cohort."""

    __tablename__ = "cohort_organisations"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )


class CohortMember(db.Model):
    """A learner in a cohort."""

    __tablename__ = "cohort_members"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # "upload" (a manager's list) or "code" (the learner typed the join code).
    source: Mapped[str] = mapped_column(sa.String(16))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveSession(db.Model):
    """A workshop or webinar of a cohort, optionally tied to one course (and module)."""

    __tablename__ = "live_sessions"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", "times"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", "capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses.id", ondelete="SET NULL"))
    module_slug: Mapped[str | None] = mapped_column(sa.String(64))
    # {"en": "...", "ar": "..."}: one entry per language given.
    titles: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    descriptions: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(index=True)  # UTC
    ends_at: Mapped[datetime]  # UTC
    time_zone: Mapped[str] = mapped_column(sa.String(64))  # the zone it was entered in
    language: Mapped[str] = mapped_column(sa.String(8))
    venue: Mapped[str] = mapped_column(sa.String(300), default="")
    # Shown only to registered members and staff; never on public pages or in logs.
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    capacity: Mapped[int | None]
    allows_self_marking: Mapped[bool] = mapped_column(default=False)
    # A random per-session secret the rotating self-marking codes are derived from.
    code_secret: Mapped[str] = mapped_column(sa.String(64))
    # Bumped by every registration change: the row lock that serialises seat-taking.
    seat_version: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    facilitators: Mapped[list["SessionFacilitator"]] = relationship(
        cascade="all, delete-orphan", order_by="SessionFacilitator.id"
    )

    def title_in(self, locale: str) -> str:
        """Return the title in a language, else in the session's language, else any."""
        return self.titles.get(locale) or self.titles.get(self.language) or next(iter(self.titles.values()))

    def description_in(self, locale: str) -> str:
        """Return the description in a language, falling back as titles do."""
        d = self.descriptions or {}
        return d.get(locale) or d.get(self.language) or ""

    @property
    def minutes(self) -> int:
        """Return the planned length in minutes."""
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class SessionFacilitator(db.Model):
    """Who leads a session: a trainer account, or a named guest expert without one."""

    __tablename__ = "session_facilitators"
    __table_args__ = (
        sa.CheckConstraint("user_id IS NOT NULL OR guest_name IS NOT NULL", "who"),
        sa.UniqueConstraint("session_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    guest_name: Mapped[str | None] = mapped_column(sa.String(120))


class SessionRegistration(db.Model):
    """A learner's place in a session, or in its waiting list (first come, first promoted)."""

    __tablename__ = "session_registrations"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "user_id"),
        sa.CheckConstraint(
            "state IN ({})".format(", ".join(f"'{s}'" for s in REGISTRATION_STATES)), name="state"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    # When the learner asked: the order of the waiting list.
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None]


class SessionAttendance(db.Model):
    """One learner's attendance at one session, from the roll, a self-mark or an import."""

    __tablename__ = "session_attendance"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "user_id"),
        sa.CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in ATTENDANCE_STATES)), name="status"
        ),
        sa.CheckConstraint("minutes IS NULL OR minutes >= 0", "minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    minutes: Mapped[int | None]
    source: Mapped[str] = mapped_column(sa.String(16))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveRequirement(db.Model):
    """A cohort's blended-completion rule for a course: N sessions attended, or N live hours."""

    __tablename__ = "live_requirements"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "course_id"),
        sa.CheckConstraint("min_sessions IS NOT NULL OR min_minutes IS NOT NULL", "something"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    min_sessions: Mapped[int | None]
    min_minutes: Mapped[int | None]


class LivePreference(db.Model):
    """A learner's live-session settings: time zone, reminders, the private calendar feed."""

    __tablename__ = "live_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))
    # Reminders are opt-in; turning discreet mode on asks again (see services.wants_reminders).
    wants_reminders: Mapped[bool] = mapped_column(default=False)
    reminders_while_discreet: Mapped[bool] = mapped_column(default=False)
    # SHA-256 of the feed token: a leaked database does not open anyone's calendar.
    feed_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
