"""The query layer of reports: every query takes a Scope and is limited by it here, in SQL.

Nothing in this module trusts a caller to have scoped anything: the organisation, country and
cohort filters narrow the learners a scope allows, they never widen them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lms.accounts.models import Membership, Organisation, User
from lms.core.db import utcnow
from lms.courses.models import Course, Enrolment, Lesson, LessonProgress
from lms.extensions import db
from lms.records.models import Statement
from lms.reports.filters import (
    ReportFilter,
    Scope,
    day_start,
)
from lms.reports.models import Cohort, CohortCourse, CohortMember, CohortOrganisation, LearnerDemographics

CHUNK = 1000  # rows fetched per round trip from the server-side cursor
ACTIVE_DAYS = 30


def among(column, name: str) -> sa.ColumnElement[bool]:
    """Return `column IN (ids)` with the ids bound under `name` when the query runs.

    PostgreSQL takes the chunk's ids as one array (`= ANY(:ids)`), not a thousand parameters
    to adapt and parse for every chunk; other engines get an expanding IN.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(sa.bindparam(name, expanding=True))


def execute(stmt, params: dict | None = None, **options) -> sa.CursorResult:
    # Core execution on the session's connection: these are plain column rows, and the ORM's
    # per-row machinery would cost more than the query itself. Flush first, as the ORM would.
    db.session.flush()
    return db.session.connection().execute(stmt, params, execution_options=options or None)


# Scoped selections -----------------------------------------------------------------------------


def learners_in_scope(scope: Scope) -> sa.Select | None:
    """Return the ids of the users a scope covers, as a subquery; None: everyone."""
    if scope.is_programme:
        return None
    return sa.select(Membership.user_id).where(Membership.organisation_id.in_(sorted(scope.organisation_ids)))


def _lessons_done() -> sa.ScalarSelect:
    # Only lessons of the current version count: a removed lesson keeps its progress row.
    return (
        sa.select(sa.func.count(LessonProgress.id))
        .join(
            Lesson,
            sa.and_(Lesson.course_id == LessonProgress.course_id, Lesson.slug == LessonProgress.lesson_slug),
        )
        .where(LessonProgress.user_id == Enrolment.user_id, LessonProgress.course_id == Enrolment.course_id)
        .correlate(Enrolment)
        .scalar_subquery()
    )


def _filtered(stmt: sa.Select, scope: Scope, f: ReportFilter) -> sa.Select:
    """Limit a select over Enrolment to the scope, then to the filter."""
    learners = learners_in_scope(scope)
    if learners is not None:
        stmt = stmt.where(Enrolment.user_id.in_(learners))
    if f.course:
        stmt = stmt.where(Enrolment.course_id.in_(sa.select(Course.id).where(Course.slug == f.course)))
    if f.organisation is not None:
        stmt = stmt.where(
            Enrolment.user_id.in_(
                sa.select(Membership.user_id).where(Membership.organisation_id == f.organisation)
            )
        )
    if f.country:
        members = (
            sa.select(Membership.user_id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Organisation.country == f.country)
        )
        if not scope.is_programme:
            members = members.where(Organisation.id.in_(sorted(scope.organisation_ids)))
        stmt = stmt.where(Enrolment.user_id.in_(members))
    if f.cohort is not None:
        stmt = stmt.where(
            Enrolment.user_id.in_(sa.select(CohortMember.user_id).where(CohortMember.cohort_id == f.cohort)),
            Enrolment.course_id.in_(
                sa.select(CohortCourse.course_id).where(CohortCourse.cohort_id == f.cohort)
            ),
        )
    if f.status == "completed":
        stmt = stmt.where(Enrolment.completed_at.is_not(None))
    elif f.status == "in_progress":
        stmt = stmt.where(Enrolment.completed_at.is_(None), _lessons_done() > 0)
    elif f.status == "enrolled":
        stmt = stmt.where(Enrolment.completed_at.is_(None), _lessons_done() == 0)
    column = Enrolment.enrolled_at if f.dates == "enrolled" else Enrolment.completed_at
    if f.since:
        stmt = stmt.where(column >= day_start(f.since))
    if f.until:
        stmt = stmt.where(column < day_start(f.until + timedelta(days=1)))
    return stmt


def completions_select(scope: Scope, f: ReportFilter) -> sa.Select:
    """Return the scoped, filtered enrolments with what is single-valued per row, in export order.

    Lessons done and shared demographics come with the row; organisations, quiz results and
    certificates, of which there may be several per row, are loaded per chunk.
    """
    stmt = (
        sa.select(
            Enrolment.user_id,
            Enrolment.course_id,
            Enrolment.enrolled_at,
            Enrolment.last_activity_at,
            Enrolment.completed_at,
            User.public_id,
            User.display_name,
            User.locale,
            _lessons_done().label("lessons_done"),
            LearnerDemographics.gender,
            LearnerDemographics.age_band,
        )
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(
            LearnerDemographics,
            sa.and_(
                LearnerDemographics.user_id == Enrolment.user_id, LearnerDemographics.is_shared.is_(True)
            ),
        )
    )
    return _filtered(stmt, scope, f).order_by(Course.slug, Enrolment.enrolled_at, Enrolment.id)


def count_completions(scope: Scope, f: ReportFilter) -> int:
    """Return how many rows a completions export would have."""
    stmt = _filtered(sa.select(sa.func.count(Enrolment.id)), scope, f)
    return db.session.scalar(stmt) or 0


def active_learners(scope: Scope, f: ReportFilter, now: datetime | None = None) -> int:
    """Return how many distinct learners of the report were active in the last 30 days."""
    since = (now or utcnow()) - timedelta(days=ACTIVE_DAYS)
    stmt = _filtered(
        sa.select(sa.func.count(sa.distinct(Enrolment.user_id))).where(Enrolment.last_activity_at >= since),
        scope,
        f,
    )
    return db.session.scalar(stmt) or 0


# Learning records ------------------------------------------------------------------------------


def statements_select(scope: Scope, since: date, until: date) -> sa.Select:
    """Return the stored xAPI statements of a date range (inclusive), limited to the scope."""
    stmt = (
        sa.select(Statement.body)
        .where(
            Statement.stored_at >= day_start(since),
            Statement.stored_at < day_start(until + timedelta(days=1)),
        )
        .order_by(Statement.stored_at, Statement.id)
    )
    learners = learners_in_scope(scope)
    if learners is not None:
        stmt = stmt.where(Statement.actor_id.in_(sa.select(User.public_id).where(User.id.in_(learners))))
    return stmt


def iter_statements(scope: Scope, since: date, until: date, *, chunk: int = CHUNK) -> Iterator[dict]:
    """Yield statement bodies of a date range, streamed from a server-side cursor."""
    result = execute(statements_select(scope, since, until), yield_per=chunk, stream_results=True)
    try:
        for rows in result.partitions(chunk):
            for row in rows:
                yield row[0]
    finally:
        result.close()


# Cohorts ---------------------------------------------------------------------------------------


def cohorts_in_scope(scope: Scope) -> sa.Select:
    """Return the ids of the cohorts a scope may see: all of a cohort's organisations in scope.

    A cohort run for no organisation is a programme cohort: programme managers only.
    """
    if scope.is_programme:
        return sa.select(Cohort.id)
    outside = sa.select(CohortOrganisation.id).where(
        CohortOrganisation.cohort_id == Cohort.id,
        CohortOrganisation.organisation_id.not_in(sorted(scope.organisation_ids)),
    )
    inside = sa.select(CohortOrganisation.id).where(CohortOrganisation.cohort_id == Cohort.id)
    return sa.select(Cohort.id).where(inside.exists(), ~outside.exists())
