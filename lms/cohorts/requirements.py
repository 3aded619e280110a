"""Blended completion: the live attendance a cohort requires for a course, and what was attended."""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lms.cohorts.access import can_run
from lms.cohorts.errors import LiveError, NotAllowed
from lms.cohorts.membership import cohort_courses
from lms.cohorts.models import Cohort, CohortMember, LiveRequirement, LiveSession, SessionAttendance
from lms.courses import signals as course_signals
from lms.courses.models import Course
from lms.extensions import db

ATTENDED = ("present", "late")


def set_requirement(
    actor, cohort: Cohort, course_id: int, min_sessions: int | None, min_hours: float | None
) -> LiveRequirement | None:
    """Require attendance for a cohort's course (None for both: no requirement); flushes."""
    if not can_run(actor, cohort):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    if course_id not in {c.id for c in cohort_courses(cohort.id)}:
        raise LiveError(_("Choose one of the cohort's courses."))
    if (min_sessions is not None and not 0 < min_sessions <= 500) or (
        min_hours is not None and not 0 < min_hours <= 1000
    ):
        raise LiveError(_("Give a positive number of sessions or hours."))
    row = db.session.scalar(
        sa.select(LiveRequirement).where(
            LiveRequirement.cohort_id == cohort.id, LiveRequirement.course_id == course_id
        )
    )
    if min_sessions is None and min_hours is None:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return None
    if row is None:
        row = LiveRequirement(cohort_id=cohort.id, course_id=course_id)
        db.session.add(row)
    row.min_sessions = min_sessions
    row.min_minutes = None if min_hours is None else round(min_hours * 60)
    db.session.flush()
    return row


def requirements(cohort: Cohort) -> dict[int, LiveRequirement]:
    """Return a cohort's requirements by course id."""
    return {
        r.course_id: r
        for r in db.session.scalars(sa.select(LiveRequirement).where(LiveRequirement.cohort_id == cohort.id))
    }


class minutes_between(FunctionElement):  # noqa: N801 - a SQL function, named as SQL names them
    """Whole minutes from the first timestamp to the second, on SQLite and PostgreSQL."""

    type = sa.Integer()
    inherit_cache = True


@compiles(minutes_between)
def _minutes_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(round((julianday({end}) - julianday({start})) * 1440) AS INTEGER)"


@compiles(minutes_between, "postgresql")
def _minutes_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(round(extract(epoch FROM ({end} - {start})) / 60) AS INTEGER)"


def attended_minutes_sql():
    """SQL for the minutes an attendance row counts: those recorded, else the session's length."""
    return sa.func.coalesce(
        SessionAttendance.minutes, minutes_between(LiveSession.starts_at, LiveSession.ends_at)
    )


def live_attendance_subqueries(user_id, course_id) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """Return correlated subqueries: sessions of a course attended by a learner, and their minutes.

    Attended means present or late at a session that was not cancelled; the minutes are those
    recorded (online sessions), else the session's planned length.
    """
    attended = sa.and_(
        SessionAttendance.user_id == user_id,
        SessionAttendance.status.in_(ATTENDED),
        LiveSession.cancelled_at.is_(None),
        LiveSession.course_id == course_id,
    )
    base = (
        sa.select()
        .select_from(SessionAttendance)
        .join(LiveSession, LiveSession.id == SessionAttendance.session_id)
    )
    count = base.add_columns(sa.func.count(SessionAttendance.id)).where(attended).scalar_subquery()
    minutes = base.add_columns(sa.func.sum(attended_minutes_sql())).where(attended).scalar_subquery()
    return count, minutes


def requirement_state(user, course: Course) -> course_signals.Requirement | None:
    """The courses completion hook: attendance a learner's cohort requires for this course."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    rules = list(
        db.session.scalars(
            sa.select(LiveRequirement)
            .join(CohortMember, CohortMember.cohort_id == LiveRequirement.cohort_id)
            .where(CohortMember.user_id == user.id, LiveRequirement.course_id == course.id)
        )
    )
    if not rules:
        return None
    sessions, minutes = _attended_by_id(user.id, course, [r.cohort_id for r in rules])
    need_sessions = max((r.min_sessions or 0) for r in rules)
    need_minutes = max((r.min_minutes or 0) for r in rules)
    met = sessions >= need_sessions and minutes >= need_minutes
    parts = []
    if need_sessions:
        parts.append(
            ngettext(
                "%(done)d of %(num)d live session attended",
                "%(done)d of %(num)d live sessions attended",
                need_sessions,
                done=sessions,
            )
        )
    if need_minutes:
        parts.append(_("%(done)s of %(need)s live hours", done=_hours(minutes), need=_hours(need_minutes)))
    text = "; ".join(parts)
    if met:
        return course_signals.Requirement(True, _("Live sessions: done (%(what)s).", what=text))
    return course_signals.Requirement(
        False, _("This course also needs attendance at live sessions: %(what)s.", what=text)
    )


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}".rstrip("0").rstrip(".")


def _attended_by_id(user_id: int, course: Course, cohort_ids: list[int]) -> tuple[int, int]:
    row = db.session.execute(
        sa.select(sa.func.count(SessionAttendance.id), sa.func.sum(attended_minutes_sql()))
        .join(LiveSession, LiveSession.id == SessionAttendance.session_id)
        .where(
            SessionAttendance.user_id == user_id,
            SessionAttendance.status.in_(ATTENDED),
            LiveSession.cancelled_at.is_(None),
            LiveSession.cohort_id.in_(cohort_ids),
            sa.or_(LiveSession.course_id == course.id, LiveSession.course_id.is_(None)),
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def certified_live_minutes(user_id: int, course: Course) -> int:
    """Minutes of live sessions to print on a course certificate, 0 for none.

    Only for members of a cohort that requires attendance in this course (blended completion):
    there the live part is part of what the certificate attests.
    """
    cohort_ids = list(
        db.session.scalars(
            sa.select(LiveRequirement.cohort_id)
            .join(CohortMember, CohortMember.cohort_id == LiveRequirement.cohort_id)
            .where(LiveRequirement.course_id == course.id, CohortMember.user_id == user_id)
        )
    )
    return _attended_by_id(user_id, course, cohort_ids)[1] if cohort_ids else 0
