"""The query layer of reports: every query takes a Scope and is limited by it here, in SQL.

Nothing in this module trusts a caller to have scoped anything: the organisation, country and
cohort filters narrow the learners a scope allows, they never widen them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lms.accounts.models import Membership, Organisation, User
from lms.certificates.models import Certificate
from lms.cohorts import services as cohort_services
from lms.core.db import utcnow
from lms.courses.models import Course, Enrolment, Lesson, LessonProgress, Module
from lms.extensions import db
from lms.quizzes.models import Attempt, Quiz
from lms.records.models import Statement
from lms.reports.filters import (
    ReportFilter,
    Scope,
    day_start,
)
from lms.reports.models import Cohort, CohortCourse, CohortMember, CohortOrganisation, LearnerDemographics
from lms.tasks.models import Review, Submission, SubmissionVersion

CHUNK = 1000  # rows fetched per round trip from the server-side cursor
ACTIVE_DAYS = 30
# Joins a learner's organisation names in one column: a character no name contains, so that
# the names split back exactly (the export shows them joined with "; ").
ORGANISATION_SEPARATOR = "\x1f"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def among(column, name: str) -> sa.ColumnElement[bool]:
    """Return `column IN (ids)` with the ids bound under `name` when the query runs.

    PostgreSQL takes the chunk's ids as one array (`= ANY(:ids)`), not a thousand parameters
    to adapt and parse for every chunk; other engines get an expanding IN.
    """
    if _dialect() == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(sa.bindparam(name, expanding=True))


def execute(stmt, params: dict | None = None, **options) -> sa.CursorResult:
    # Core execution on the session's connection: these are plain column rows, and the ORM's
    # per-row machinery would cost more than the query itself. Flush first, as the ORM would.
    db.session.flush()
    return db.session.connection().execute(stmt, params, execution_options=options or None)


# Portable SQL -----------------------------------------------------------------------------------


class iso_utc(FunctionElement):  # noqa: N801 (a SQL function, named like one)
    """A UTC date-time column as ISO 8601 text to the second with a Z, on SQLite and PostgreSQL.

    Formatted by the database, so that an export writes it as it comes. Fractions of a second
    are cut, not rounded, as `datetime.isoformat(timespec="seconds")` does.
    """

    type = sa.String()
    inherit_cache = True


@compiles(iso_utc)
def _iso_utc_sqlite(element, compiler, **kw):
    # SQLite keeps UTC date-times as "YYYY-MM-DD HH:MM:SS.ffffff" text.
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {compiler.process(element.clauses, **kw)})"


@compiles(iso_utc, "postgresql")
def _iso_utc_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"""to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def _code_point_order(column) -> sa.ColumnElement:
    # PostgreSQL sorts by its collation; "C" is code point order, as Python and SQLite sort.
    return column.collate("C") if _dialect() == "postgresql" else column


def _joined(stmt: sa.Select, order_by: tuple, separator: str, as_text=None) -> sa.ScalarSelect:
    """Return the values of a one-column select, in `order_by` order, joined into one string.

    NULL when there are none. `as_text` turns a value into text, evaluated once per value.
    PostgreSQL orders inside the aggregate; SQLite (no ORDER BY in aggregates before 3.44)
    concatenates an ordered subquery, which it does not flatten.
    """
    as_text = as_text or (lambda value: value)
    if _dialect() == "postgresql":
        value = as_text(stmt.selected_columns[0])
        ordered = postgresql.aggregate_order_by(sa.literal(separator), *order_by)
        return stmt.with_only_columns(
            sa.func.string_agg(value, ordered), maintain_column_froms=True
        ).scalar_subquery()
    rows = stmt.order_by(*order_by).subquery()
    return sa.select(sa.func.group_concat(as_text(rows.c[0]), separator)).scalar_subquery()


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


def filtered(
    stmt: sa.Select, scope: Scope, f: ReportFilter, on: FilterColumns = ENROLMENT_COLUMNS
) -> sa.Select:
    """Limit a select over Enrolment (or other columns `on`) to the scope, then to the filter."""
    learners = learners_in_scope(scope)
    if learners is not None:
        stmt = stmt.where(on.user_id.in_(learners))
    if f.course:
        stmt = stmt.where(on.course_id.in_(sa.select(Course.id).where(Course.slug == f.course)))
    if f.organisation is not None:
        stmt = stmt.where(
            on.user_id.in_(sa.select(Membership.user_id).where(Membership.organisation_id == f.organisation))
        )
    if f.country:
        members = (
            sa.select(Membership.user_id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Organisation.country == f.country)
        )
        if not scope.is_programme:
            members = members.where(Organisation.id.in_(sorted(scope.organisation_ids)))
        stmt = stmt.where(on.user_id.in_(members))
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


def _score_text(score) -> sa.ColumnElement[str]:
    """A score as text with every digit of the double (so Python rounds the very value); "" for NULL."""
    if _dialect() == "postgresql":
        return sa.func.coalesce(sa.cast(score, sa.Text), "")  # the shortest text that reads back
    return sa.case((score.is_(None), ""), else_=sa.func.printf("%.17g", score))


def _organisations(scope: Scope) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """Return the learner's organisation names (sorted) and their countries (without repeats).

    Only organisations in the scope: a manager of one organisation never learns which other
    organisations a learner is in. Names are joined with ORGANISATION_SEPARATOR, countries
    with "; ", in code point order (as Python sorts) whatever the database collation.
    """
    member = sa.and_(Membership.user_id == Enrolment.user_id, Organisation.id == Membership.organisation_id)
    if not scope.is_programme:
        member = sa.and_(member, Organisation.id.in_(sorted(scope.organisation_ids)))
    name = _code_point_order(Organisation.name)
    names = _joined(
        sa.select(Organisation.name).where(member).correlate(Enrolment),
        (name, Organisation.country),
        ORGANISATION_SEPARATOR,
    )
    first = sa.func.min(name).label("first")
    by_country = (
        sa.select(Organisation.country, first)
        .where(member)
        .group_by(Organisation.country)
        .correlate(Enrolment)
    )
    countries = by_country.subquery()
    countries_joined = _joined(sa.select(countries.c.country), (countries.c.first, countries.c.country), "; ")
    return names, countries_joined


def completions_select(scope: Scope, f: ReportFilter) -> sa.Select:
    """Return the completion records of a report as ONE statement, in export order.

    Every column comes from the database: lessons done, organisations, best module-quiz
    scores, attempts, pre-test and post-test scores and the certificate are correlated
    subqueries on indexed columns, so the rows stream from a server-side cursor and Python
    only shapes cells. Times come as ISO 8601 UTC text. Course titles, languages and module
    slugs are per course, not per row: `completions.course_infos` has them.
    """
    module = sa.and_(Module.course_id == Enrolment.course_id, Module.quiz_id.is_not(None))
    mine = Attempt.user_id == Enrolment.user_id
    best = (
        sa.select(sa.func.max(Attempt.score))
        .where(mine, Attempt.quiz_id == Module.quiz_id, *graded())
        .where(sa.or_(Attempt.phase.is_(None), Attempt.phase != "pre"))
        .correlate(Enrolment, Module)
        .scalar_subquery()
    )
    best_scores = _joined(
        sa.select(best.label("best")).where(module).correlate(Enrolment),
        (Module.position, Module.id),
        " ",
        _score_text,
    )
    passed = (
        sa.select(sa.func.count(Module.id))
        .where(
            module,
            sa.select(Attempt.id)
            .where(mine, Attempt.quiz_id == Module.quiz_id, *graded(), Attempt.is_passed.is_(True))
            .correlate(Enrolment, Module)
            .exists(),
        )
        .correlate(Enrolment)
        .scalar_subquery()
    )
    attempts = (
        sa.select(sa.func.count(Attempt.id))
        .join(Module, Module.quiz_id == Attempt.quiz_id)
        .where(mine, Module.course_id == Enrolment.course_id, Attempt.submitted_at.is_not(None))
        .correlate(Enrolment)
        .scalar_subquery()
    )
    assessment = sa.and_(mine, Attempt.quiz_id == Course.assessment_quiz_id, *graded())
    # The first pre-test counts; the post-test by the assessment's grading: last or highest.
    pre = (
        sa.select(Attempt.score)
        .where(assessment, Attempt.phase == "pre")
        .order_by(Attempt.number)
        .limit(1)
        .correlate(Enrolment, Course)
        .scalar_subquery()
    )
    post_key = sa.case((Quiz.grading == "last", Attempt.number), else_=Attempt.score)
    post = (
        sa.select(Attempt.score)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(assessment, Attempt.phase == "post")
        .order_by(post_key.desc(), Attempt.number.desc())
        .limit(1)
        .correlate(Enrolment, Course)
        .scalar_subquery()
    )
    # Several course versions may each have a certificate: the issued one first, then the newest.
    certificate_id = (
        sa.select(Certificate.id)
        .where(Certificate.user_id == Enrolment.user_id, Certificate.course_id == Enrolment.course_id)
        .order_by(Certificate.issued_at.is_(None), Certificate.course_version.desc())
        .limit(1)
        .correlate(Enrolment)
        .scalar_subquery()
    )
    organisations, countries = _organisations(scope)
    task_statuses, tasks_approved, task_versions, task_points = _task_columns()
    live_sessions, live_minutes = cohort_services.live_attendance_subqueries(
        Enrolment.user_id, Enrolment.course_id
    )
    stmt = (
        sa.select(
            User.public_id,
            sa.func.coalesce(User.display_name, "").label("display_name"),
            sa.func.coalesce(organisations, "").label("organisations"),
            sa.func.coalesce(countries, "").label("countries"),
            LearnerDemographics.gender,
            LearnerDemographics.age_band,
            Course.slug,
            Course.version,
            Course.id.label("course_id"),
            User.locale,
            iso_utc(Enrolment.enrolled_at).label("enrolled_at"),
            iso_utc(Enrolment.last_activity_at).label("last_activity_at"),
            iso_utc(Enrolment.completed_at).label("completed_at"),
            lessons_done().label("lessons_done"),
            Course.lesson_count,
            best_scores.label("module_best_scores"),
            passed.label("module_quizzes_passed"),
            attempts.label("quiz_attempts"),
            pre.label("pre_test_score"),
            post.label("post_test_score"),
            Certificate.code,
            Certificate.issued_at,
            Certificate.revoked_at,
            Certificate.expires_at,
            task_statuses.label("task_statuses"),
            tasks_approved.label("tasks_approved"),
            task_versions.label("task_versions"),
            task_points.label("task_points"),
            live_sessions.label("live_sessions_attended"),
            live_minutes.label("live_minutes"),
        )
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(
            LearnerDemographics,
            sa.and_(
                LearnerDemographics.user_id == Enrolment.user_id, LearnerDemographics.is_shared.is_(True)
            ),
        )
        .outerjoin(Certificate, Certificate.id == certificate_id)
    )
    return filtered(stmt, scope, f).order_by(Course.slug, Enrolment.enrolled_at, Enrolment.id)


def _task_columns() -> tuple[sa.ScalarSelect, ...]:
    """Return the practice-task columns of a completion row, as subqueries correlated to Enrolment.

    Statuses per module with a task (in course order, "" when not started), approved tasks,
    submitted versions, and the rubric points of each task's latest mentor review, summed.
    """
    with_task = sa.and_(Module.course_id == Enrolment.course_id, Module.task_id.is_not(None))
    own = sa.and_(Submission.task_id == Module.task_id, Submission.user_id == Enrolment.user_id)
    status = sa.select(Submission.status).where(own).correlate(Enrolment, Module).limit(1).scalar_subquery()
    statuses = _joined(
        sa.select(sa.func.coalesce(status, "").label("status")).where(with_task).correlate(Enrolment),
        (Module.position, Module.id),
        " ",
    )
    approved = (
        sa.select(sa.func.count(Submission.id))
        .join(Module, Module.task_id == Submission.task_id)
        .where(with_task, own, Submission.status == "approved")
        .correlate(Enrolment)
        .scalar_subquery()
    )
    versions = (
        sa.select(sa.func.count(SubmissionVersion.id))
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .join(Module, Module.task_id == Submission.task_id)
        .where(with_task, own)
        .correlate(Enrolment)
        .scalar_subquery()
    )
    latest = (
        sa.select(Review.points)
        .join(SubmissionVersion, SubmissionVersion.id == Review.version_id)
        .where(SubmissionVersion.submission_id == Submission.id, Review.kind == "mentor")
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(1)
        .correlate(Submission)
        .scalar_subquery()
    )
    points = (
        sa.select(sa.func.sum(latest))
        .select_from(Submission)
        .join(Module, Module.task_id == Submission.task_id)
        .where(with_task, own)
        .correlate(Enrolment)
        .scalar_subquery()
    )
    return statuses, approved, versions, points


def task_figures(scope: Scope, f: ReportFilter) -> list[tuple[str, dict[str, int], float | None]]:
    """Return per course with practice tasks: submissions by status, and the median days from a
    version's submission to its mentor's review, for the learners of the report (two queries)."""
    mine = sa.and_(Enrolment.user_id == Submission.user_id, Enrolment.course_id == Module.course_id)
    base = (
        sa.select(Course.slug, Submission.status, sa.func.count(Submission.id))
        .select_from(Submission)
        .join(Module, Module.task_id == Submission.task_id)
        .join(Enrolment, mine)
        .join(Course, Course.id == Module.course_id)
        .where(Submission.status != "draft")
        .group_by(Course.slug, Submission.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for slug, status, count in db.session.execute(filtered(base, scope, f)):
        counts.setdefault(slug, {})[status] = count
    delays = (
        sa.select(Course.slug, SubmissionVersion.submitted_at, Review.created_at)
        .select_from(Review)
        .join(SubmissionVersion, SubmissionVersion.id == Review.version_id)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .join(Module, Module.task_id == Submission.task_id)
        .join(Enrolment, mine)
        .join(Course, Course.id == Module.course_id)
        .where(Review.kind == "mentor")
    )
    days: dict[str, list[float]] = {}
    for slug, submitted, reviewed in db.session.execute(filtered(delays, scope, f)):
        days.setdefault(slug, []).append((reviewed - submitted).total_seconds() / 86400)
    return [
        (slug, counts.get(slug, {}), round(statistics.median(days[slug]), 1) if slug in days else None)
        for slug in sorted(set(counts) | set(days))
    ]


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
