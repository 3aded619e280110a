"""The query layer of reports: every query takes a Scope and is limited by it here, in SQL.

Nothing in this module trusts a caller to have scoped anything: the organisation, country and
cohort filters narrow the learners a scope allows, they never widen them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from lms.accounts.models import Membership, Organisation, User
from lms.core.db import utcnow
from lms.courses.models import Course, Enrolment, Lesson, LessonProgress
from lms.extensions import db
from lms.quizzes.models import Attempt
from lms.records.models import Statement
from lms.reports.filters import ReportFilter, Scope, day_start
from lms.reports.models import Cohort, CohortCourse, CohortMember, CohortOrganisation
from lms.reports.sql import execute

CHUNK = 1000  # rows fetched per round trip from the server-side cursor
ACTIVE_DAYS = 30


# Scoped selections -----------------------------------------------------------------------------


def learners_in_scope(scope: Scope) -> sa.Select | None:
    """Return the ids of the users a scope covers, as a subquery; None: everyone."""
    if scope.is_programme:
        return None
    return sa.select(Membership.user_id).where(Membership.organisation_id.in_(sorted(scope.organisation_ids)))


def lessons_done() -> sa.ScalarSelect:
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


class FilterColumns(NamedTuple):
    """The columns a report filter applies to: an enrolment's, or a stored fact's."""

    user_id: Any
    course_id: Any
    enrolled_at: Any
    completed_at: Any
    started: Callable[[], sa.ColumnElement[bool]]  # the learner has done at least one lesson


ENROLMENT_COLUMNS = FilterColumns(
    Enrolment.user_id,
    Enrolment.course_id,
    Enrolment.enrolled_at,
    Enrolment.completed_at,
    lambda: lessons_done() > 0,
)


def learner_conditions(
    user_id: sa.ColumnElement[int], scope: Scope, f: ReportFilter
) -> list[sa.ColumnElement[bool]]:
    """Return the conditions on a learner id column: the scope's learners, the filter's organisation and country.

    A country counts only through the organisations the scope sees: a learner who is also a member
    of another manager's organisation abroad is not found by that country.
    """
    conditions = []
    learners = learners_in_scope(scope)
    if learners is not None:
        conditions.append(user_id.in_(learners))
    if f.organisation is not None:
        conditions.append(
            user_id.in_(sa.select(Membership.user_id).where(Membership.organisation_id == f.organisation))
        )
    if f.country:
        members = (
            sa.select(Membership.user_id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Organisation.country == f.country)
        )
        if not scope.is_programme:
            members = members.where(Organisation.id.in_(sorted(scope.organisation_ids)))
        conditions.append(user_id.in_(members))
    return conditions


def filtered(
    stmt: sa.Select, scope: Scope, f: ReportFilter, on: FilterColumns = ENROLMENT_COLUMNS
) -> sa.Select:
    """Limit a select over Enrolment (or other columns `on`) to the scope, then to the filter."""
    stmt = stmt.where(*learner_conditions(on.user_id, scope, f))
    if f.course:
        stmt = stmt.where(on.course_id.in_(sa.select(Course.id).where(Course.slug == f.course)))
    if f.cohort is not None:
        stmt = stmt.where(
            on.user_id.in_(sa.select(CohortMember.user_id).where(CohortMember.cohort_id == f.cohort)),
            on.course_id.in_(sa.select(CohortCourse.course_id).where(CohortCourse.cohort_id == f.cohort)),
        )
    if f.status == "completed":
        stmt = stmt.where(on.completed_at.is_not(None))
    elif f.status == "in_progress":
        stmt = stmt.where(on.completed_at.is_(None), on.started())
    elif f.status == "enrolled":
        stmt = stmt.where(on.completed_at.is_(None), sa.not_(on.started()))
    column = on.enrolled_at if f.dates == "enrolled" else on.completed_at
    if f.since:
        stmt = stmt.where(column >= day_start(f.since))
    if f.until:
        stmt = stmt.where(column < day_start(f.until + timedelta(days=1)))
    return stmt


def graded() -> tuple[sa.ColumnElement[bool], ...]:
    """Attempts that count for scores: submitted and graded, with a score."""
    return (Attempt.submitted_at.is_not(None), Attempt.graded_at.is_not(None), Attempt.score.is_not(None))


def count_completions(scope: Scope, f: ReportFilter) -> int:
    """Return how many rows a completions export would have."""
    stmt = filtered(sa.select(sa.func.count(Enrolment.id)), scope, f)
    return db.session.scalar(stmt) or 0


def active_learners(scope: Scope, f: ReportFilter, now: datetime | None = None) -> int:
    """Return how many distinct learners of the report were active in the last 30 days."""
    since = (now or utcnow()) - timedelta(days=ACTIVE_DAYS)
    stmt = filtered(
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


def lists_by_key(stmt: sa.Select) -> dict[Any, list]:
    """Run a (key, value) select; return the values in lists by key, in row order."""
    lists: dict[Any, list] = {}
    for key, value in db.session.execute(stmt).tuples():
        lists.setdefault(key, []).append(value)
    return lists
