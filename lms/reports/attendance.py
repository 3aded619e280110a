"""The live-session attendance export: one row per cohort member and session (docs/exports.md)."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts.models import LiveSession, SessionAttendance, SessionRegistration
from lms.courses.models import Course, Enrolment
from lms.extensions import db
from lms.reports.exports import neutralise
from lms.reports.filters import ReportFilter, Scope
from lms.reports.models import Cohort, CohortMember, LearnerDemographics
from lms.reports.queries import (
    cohorts_in_scope,
    filtered,
    learner_conditions,
    lessons_done,
)
from lms.reports.sql import iso_utc

FORMAT_NAME = "tamkeen-attendance"
FORMAT_VERSION = 1
COLUMNS = (
    "learner_id",
    "display_name",
    "gender",
    "age_band",
    "cohort_id",
    "cohort_name",
    "session_id",
    "session_title",
    "course_slug",
    "session_language",
    "starts_at",
    "ends_at",
    "planned_minutes",
    "is_cancelled",
    "registration",
    "attendance",
    "minutes_attended",
    "attendance_source",
)
ATTENDED = ("present", "late")


def attendance_select(scope: Scope, f: ReportFilter) -> sa.Select:
    """Return the attendance rows a scope may see under a filter, as one statement."""
    stmt = (
        sa.select(
            User.public_id,
            sa.func.coalesce(User.display_name, ""),
            LearnerDemographics.gender,
            LearnerDemographics.age_band,
            Cohort.id,
            Cohort.name,
            LiveSession,
            Course.slug,
            iso_utc(LiveSession.starts_at),
            iso_utc(LiveSession.ends_at),
            SessionRegistration.state,
            SessionAttendance.status,
            SessionAttendance.minutes,
            SessionAttendance.source,
        )
        .select_from(LiveSession)
        .join(Cohort, Cohort.id == LiveSession.cohort_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(User, User.id == CohortMember.user_id)
        .outerjoin(Course, Course.id == LiveSession.course_id)
        .outerjoin(
            LearnerDemographics,
            sa.and_(LearnerDemographics.user_id == User.id, LearnerDemographics.is_shared.is_(True)),
        )
        .outerjoin(
            SessionRegistration,
            sa.and_(SessionRegistration.session_id == LiveSession.id, SessionRegistration.user_id == User.id),
        )
        .outerjoin(
            SessionAttendance,
            sa.and_(SessionAttendance.session_id == LiveSession.id, SessionAttendance.user_id == User.id),
        )
        .where(User.is_erased.is_(False), Cohort.id.in_(cohorts_in_scope(scope)))
        .order_by(LiveSession.starts_at, LiveSession.id, User.username_key)
    )
    stmt = stmt.where(*learner_conditions(User.id, scope, f))
    if f.cohort is not None:
        stmt = stmt.where(Cohort.id == f.cohort)
    if f.course:
        stmt = stmt.where(Course.slug == f.course)
    return stmt


def rows(scope: Scope, f: ReportFilter) -> Iterator[list[str]]:
    """Yield the export's rows as text cells, neutralised for spreadsheets."""
    for (
        learner_id,
        name,
        gender,
        age_band,
        cohort_id,
        cohort_name,
        session,
        course_slug,
        starts_at,
        ends_at,
        registration,
        status,
        minutes,
        source,
    ) in db.session.execute(attendance_select(scope, f)).tuples():
        planned = session.minutes
        if minutes is None and status in ATTENDED:
            minutes = planned
        yield [
            neutralise(learner_id),
            neutralise(name),
            gender or "",
            age_band or "",
            str(cohort_id),
            neutralise(cohort_name),
            str(session.id),
            neutralise(session.title_in(session.language)),
            course_slug or "",
            session.language,
            starts_at,
            ends_at,
            str(planned),
            "yes" if session.cancelled_at is not None else "no",
            registration or "",
            status or "",
            "" if minutes is None else str(minutes),
            source or "",
        ]


def write_csv(scope: Scope, f: ReportFilter, out: IO[str]) -> int:
    """Write the header and rows as CSV (open `out` with encoding "utf-8-sig"); return rows."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for cells in rows(scope, f):
        writer.writerow(cells)
        count += 1
    return count


# Dashboard figures ------------------------------------------------------------------------------


@dataclass
class Rate:
    """Attended over expected, for one session, cohort or group of learners."""

    label: str
    attended: int = 0
    expected: int = 0

    @property
    def percent(self) -> float | None:
        """Attended as a percentage of expected (one decimal), None when nobody was expected."""
        return round(100 * self.attended / self.expected, 1) if self.expected else None


@dataclass
class LiveFigures:
    """Attendance at the sessions a report covers: per session, per cohort, per shared gender."""

    sessions: list[Rate] = field(default_factory=list)
    cohorts: list[Rate] = field(default_factory=list)
    genders: dict[str, Rate] = field(default_factory=dict)
    live_minutes: int = 0

    @property
    def live_hours(self) -> float:
        """Hours attended by all learners together, one decimal."""
        return round(self.live_minutes / 60, 1)


def live_figures(scope: Scope, f: ReportFilter, now) -> LiveFigures:
    """Work out attendance rates over the sessions held (not cancelled), in one query.

    Expected: the learners registered for a session, or, for a session nobody registered for,
    every member of its cohort. Attended: marked present or late.
    """
    out = LiveFigures()
    by_session: dict[int, Rate] = {}
    by_cohort: dict[int, Rate] = {}
    registered_any: set[int] = set()
    rows, marked = [], set()
    for row in db.session.execute(attendance_select(scope, f)).tuples():
        session = row[6]
        if session.cancelled_at is not None:
            continue
        rows.append(row)
        if row[10] == "registered":
            registered_any.add(session.id)
        if row[11] is not None:
            marked.add(session.id)
    # Held: started already, or its roll was taken (a facilitator may take it early).
    rows = [row for row in rows if row[6].starts_at <= now or row[6].id in marked]
    for (
        _lid,
        _name,
        gender,
        _age,
        cohort_id,
        cohort_name,
        session,
        _slug,
        *_t,
        registration,
        status,
        minutes,
        _src,
    ) in rows:
        expected = registration == "registered" or session.id not in registered_any or status is not None
        if not expected:
            continue
        attended = status in ATTENDED
        for rate in (
            by_session.setdefault(session.id, Rate(session.title_in(session.language))),
            by_cohort.setdefault(cohort_id, Rate(cohort_name)),
            *([out.genders.setdefault(gender, Rate(gender))] if gender else []),
        ):
            rate.expected += 1
            rate.attended += attended
        if attended:
            out.live_minutes += minutes if minutes is not None else session.minutes
    out.sessions = list(by_session.values())
    out.cohorts = list(by_cohort.values())
    return out


def lesson_minutes(scope: Scope, f: ReportFilter) -> int:
    """Return the estimated minutes of the lessons done by the report's learners, in one query.

    Each enrolment counts its course's estimated time in proportion to the lessons done.
    """
    share = (
        sa.func.coalesce(Course.estimated_minutes, 0)
        * sa.func.least(lessons_done(), Course.lesson_count)
        / sa.func.nullif(Course.lesson_count, 0)
    )
    if db.session.get_bind().dialect.name == "sqlite":
        share = (
            sa.func.coalesce(Course.estimated_minutes, 0)
            * sa.func.min(lessons_done(), Course.lesson_count)
            * 1.0
            / sa.func.nullif(Course.lesson_count, 0)
        )
    stmt = filtered(
        sa.select(sa.func.coalesce(sa.func.sum(share), 0))
        .select_from(Enrolment)
        .join(Course, Course.id == Enrolment.course_id),
        scope,
        f,
    )
    return round(float(db.session.scalar(stmt) or 0))
