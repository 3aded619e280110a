"""The query layer of reports: every query takes a Scope and is limited by it here, in SQL.

Nothing in this module trusts a caller to have scoped anything: the organisation, country and
cohort filters narrow the learners a scope allows, they never widen them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app

from lms.accounts.models import Membership, Organisation, User
from lms.certificates.models import Certificate
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

CHUNK = 1000  # rows fetched per round trip from the server-side cursor
# One expanding parameter per id list: cheaper to build for every chunk than literal lists.
_USERS = sa.bindparam("user_ids", expanding=True)
_COURSES = sa.bindparam("course_ids", expanding=True)
ACTIVE_DAYS = 30


def _execute(stmt, params: dict | None = None, **options) -> sa.CursorResult:
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


# Completion records ----------------------------------------------------------------------------


class CompletionRecord(NamedTuple):
    """One learner in one course, as the completions export and the dashboard see it."""

    learner_id: str
    display_name: str
    organisations: tuple[str, ...]
    countries: tuple[str, ...]
    gender: str | None
    age_band: str | None
    course_slug: str
    course_title: str
    course_version: int
    course_language: str
    enrolled_at: datetime
    last_activity_at: datetime | None
    completed_at: datetime | None
    status: str
    lessons_done: int
    lessons_total: int
    percent_complete: float
    module_scores: tuple[tuple[str, float | None], ...]  # (module slug, best graded score)
    module_quizzes_passed: int
    module_quizzes_total: int
    quiz_attempts: int
    pre_test_score: float | None
    post_test_score: float | None
    normalised_gain: float | None
    certificate_code: str | None
    certificate_status: str | None
    certificate_verify_url: str | None


@dataclass
class _CourseInfo:
    id: int
    slug: str
    title: str
    version: int
    default_locale: str
    locales: tuple[str, ...]
    lesson_count: int
    modules: list[tuple[str, int]] = field(default_factory=list)  # (module slug, quiz id)
    assessment_id: int | None = None
    assessment_grading: str = "highest"


def module_quizzes(course_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
    """Return each course's module quizzes as (module slug, quiz id), in module order."""
    if not course_ids:
        return {}
    rows = _execute(
        sa.select(Module.course_id, Module.slug, Module.quiz_id)
        .where(Module.course_id.in_(list(course_ids)), Module.quiz_id.is_not(None))
        .order_by(Module.course_id, Module.position)
    )
    found: dict[int, list[tuple[str, int]]] = {}
    for course_id, slug, quiz in rows:
        found.setdefault(course_id, []).append((slug, quiz))
    return found


def assessment_quizzes(course_ids: Sequence[int]) -> dict[int, int]:
    """Return each course's assessment (pre-test and post-test) quiz id."""
    if not course_ids:
        return {}
    rows = _execute(
        sa.select(Course.id, Course.assessment_quiz_id).where(
            Course.id.in_(list(course_ids)), Course.assessment_quiz_id.is_not(None)
        )
    )
    return dict(rows.all())


def _course_infos() -> dict[int, _CourseInfo]:
    # Few courses, however many learners: load them all once per export.
    infos = {
        row.id: _CourseInfo(
            id=row.id,
            slug=row.slug,
            title=row.titles.get(row.default_locale) or next(iter(row.titles.values()), row.slug),
            version=row.version,
            default_locale=row.default_locale,
            locales=tuple(row.locales),
            lesson_count=row.lesson_count,
        )
        for row in _execute(
            sa.select(
                Course.id,
                Course.slug,
                Course.titles,
                Course.version,
                Course.default_locale,
                Course.locales,
                Course.lesson_count,
            )
        )
    }
    for course_id, modules in module_quizzes(list(infos)).items():
        infos[course_id].modules = modules
    assessments = assessment_quizzes(list(infos))
    gradings = dict(
        _execute(sa.select(Quiz.id, Quiz.grading).where(Quiz.id.in_(list(assessments.values())))).all()
    )
    for course_id, quiz_id in assessments.items():
        infos[course_id].assessment_id = quiz_id
        infos[course_id].assessment_grading = gradings.get(quiz_id, "highest")
    return infos


def normalised_gain(pre: float | None, post: float | None) -> float | None:
    """Return Hake's normalised gain (post - pre) / (100 - pre); None when it is undefined."""
    if pre is None or post is None or pre >= 100:
        return None
    return (post - pre) / (100 - pre)


def verify_url(code: str) -> str:
    """Return the public verification address of a certificate code.

    CERTIFICATES: built here from the documented `/verify/<code>` path, so reports need
    nothing from the certificates domain beyond its model.
    """
    return f"{current_app.config['SITE_URL'].rstrip('/')}/verify/{code}"


class _QuizStanding:
    __slots__ = ("attempts", "best", "has_passed", "last_post", "post", "pre", "pre_number")

    def __init__(self) -> None:
        self.attempts = 0
        self.best: float | None = None
        self.has_passed = False
        self.pre: float | None = None
        self.pre_number: int | None = None
        self.post: float | None = None
        self.last_post = 0


def _standings(
    user_ids: list[int], quiz_ids: set[int], gradings: dict[int, str]
) -> dict[tuple, _QuizStanding]:
    """Return each (user id, quiz id)'s attempts, best score, pre and post scores (one query)."""
    standings: dict[tuple[int, int], _QuizStanding] = {}
    if not quiz_ids:
        return standings
    rows = _execute(
        sa.select(
            Attempt.user_id,
            Attempt.quiz_id,
            Attempt.number,
            Attempt.phase,
            Attempt.score,
            Attempt.is_passed,
            Attempt.submitted_at,
            Attempt.graded_at,
        ).where(Attempt.user_id.in_(_USERS), Attempt.quiz_id.in_(sorted(quiz_ids))),
        {"user_ids": user_ids},
    ).all()
    for user_id, quiz_id, number, phase, score, passed, submitted_at, graded_at in rows:
        standing = standings.get((user_id, quiz_id))
        if standing is None:
            standing = standings[(user_id, quiz_id)] = _QuizStanding()
        if submitted_at is None:
            continue
        standing.attempts += 1
        if graded_at is None or score is None:
            continue
        standing.has_passed = standing.has_passed or passed
        if phase == "pre":
            # The first pre-test counts: it is what the learner knew before the course.
            if standing.pre_number is None or number < standing.pre_number:
                standing.pre, standing.pre_number = score, number
            continue
        if standing.best is None or score > standing.best:
            standing.best = score
        if phase == "post":
            if gradings.get(quiz_id) == "last":
                if number > standing.last_post:
                    standing.post, standing.last_post = score, number
            elif standing.post is None or score > standing.post:
                standing.post = score
    return standings


def _organisation_names(scope: Scope) -> dict[int, tuple[str, str]]:
    # Few organisations, however many learners: (name, country) by id, within the scope only.
    stmt = sa.select(Organisation.id, Organisation.name, Organisation.country)
    if not scope.is_programme:
        stmt = stmt.where(Organisation.id.in_(sorted(scope.organisation_ids)))
    return {oid: (name, country) for oid, name, country in _execute(stmt)}


def _organisations(
    names: dict[int, tuple[str, str]], scope: Scope, user_ids: list[int]
) -> dict[int, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Return each learner's organisation names (sorted) and countries, within the scope only."""
    stmt = sa.select(Membership.user_id, Membership.organisation_id).where(Membership.user_id.in_(_USERS))
    # A manager of one organisation never learns which other organisations a learner is in.
    if not scope.is_programme:
        stmt = stmt.where(Membership.organisation_id.in_(sorted(scope.organisation_ids)))
    found: dict[int, list[tuple[str, str]]] = {}
    for user_id, organisation_id in _execute(stmt, {"user_ids": user_ids}).all():
        named = names.get(organisation_id)
        if named is not None:
            found.setdefault(user_id, []).append(named)
    result = {}
    for user_id, pairs in found.items():
        if len(pairs) > 1:
            pairs.sort()
            countries = tuple(dict.fromkeys(country for _name, country in pairs))
        else:
            countries = (pairs[0][1],)
        result[user_id] = (tuple(name for name, _country in pairs), countries)
    return result


class _CertificateDates(NamedTuple):
    issued_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None


def _certificate(code, issued_at, revoked_at, expires_at, now: datetime) -> tuple:
    """Return (code, status, verify URL) of a row's certificate; code and URL only once issued."""
    # The certificates domain's own rule, applied to plain columns (no ORM object per row).
    status = Certificate.status(_CertificateDates(issued_at, revoked_at, expires_at), now)
    return (None, status, None) if issued_at is None else (code, status, verify_url(code))


def _certificates(user_ids: list[int], course_ids: list[int], now: datetime) -> dict[tuple, tuple]:
    """Return (code, status, verify URL) per (user id, course id): issued first, newest version first."""
    found: dict[tuple[int, int], tuple[tuple, tuple]] = {}
    rows = _execute(
        sa.select(
            Certificate.user_id,
            Certificate.course_id,
            Certificate.course_version,
            Certificate.code,
            Certificate.issued_at,
            Certificate.revoked_at,
            Certificate.expires_at,
        ).where(Certificate.user_id.in_(_USERS), Certificate.course_id.in_(_COURSES)),
        {"user_ids": user_ids, "course_ids": course_ids},
    ).all()
    for user_id, course_id, version, code, issued_at, revoked_at, expires_at in rows:
        rank = (issued_at is not None, version)
        key = (user_id, course_id)
        if key not in found or found[key][0] < rank:
            found[key] = (rank, _certificate(code, issued_at, revoked_at, expires_at, now))
    return {key: value for key, (_rank, value) in found.items()}


_NO_CERTIFICATE = (None, None, None)
_NO_ORGANISATIONS: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


def _build(rows: Sequence[Any], scope: Scope, courses: dict[int, _CourseInfo], names, now: datetime):
    user_ids = sorted({row[0] for row in rows})
    course_ids = sorted({row[1] for row in rows})
    quiz_ids: set[int] = set()
    gradings: dict[int, str] = {}
    for course_id in course_ids:
        info = courses[course_id]
        quiz_ids.update(quiz for _slug, quiz in info.modules)
        if info.assessment_id is not None:
            quiz_ids.add(info.assessment_id)
            gradings[info.assessment_id] = info.assessment_grading
    organisations = _organisations(names, scope, user_ids)
    standings = _standings(user_ids, quiz_ids, gradings)
    certificates = _certificates(user_ids, course_ids, now)
    no_standing = _QuizStanding()
    new = tuple.__new__  # what CompletionRecord(...) calls, without its keyword handling
    for (
        user_id,
        course_id,
        enrolled_at,
        last_activity_at,
        completed_at,
        public_id,
        name,
        locale,
        done,
        gender,
        age_band,
    ) in rows:
        info = courses[course_id]
        org_names, countries = organisations.get(user_id, _NO_ORGANISATIONS)
        passed = attempts = 0
        module_scores: tuple[tuple[str, float | None], ...] = ()
        if info.modules:
            scores = []
            for slug, quiz_id in info.modules:
                standing = standings.get((user_id, quiz_id), no_standing)
                scores.append((slug, standing.best))
                passed += standing.has_passed
                attempts += standing.attempts
            module_scores = tuple(scores)
        pre = post = gain = None
        if info.assessment_id is not None:
            assessment = standings.get((user_id, info.assessment_id), no_standing)
            pre, post = assessment.pre, assessment.post
            gain = normalised_gain(pre, post)
        total = info.lesson_count
        yield new(
            CompletionRecord,
            (
                public_id,
                name or "",
                org_names,
                countries,
                gender,
                age_band,
                info.slug,
                info.title,
                info.version,
                locale if locale in info.locales else info.default_locale,
                enrolled_at,
                last_activity_at,
                completed_at,
                "completed" if completed_at is not None else ("in_progress" if done else "enrolled"),
                done,
                total,
                round(100 * min(done, total) / total, 1) if total else 0.0,
                module_scores,
                passed,
                len(info.modules),
                attempts,
                pre,
                post,
                gain,
                *certificates.get((user_id, course_id), _NO_CERTIFICATE),
            ),
        )


def iter_completions(
    scope: Scope, f: ReportFilter, *, now: datetime | None = None, chunk: int = CHUNK
) -> Iterator[CompletionRecord]:
    """Yield the completion records of a report, streamed from a server-side cursor.

    Memory stays constant: rows arrive `chunk` at a time, and what each chunk needs besides
    (organisations, quiz results, certificates) is loaded for that chunk only.
    """
    now = now or utcnow()
    courses = _course_infos()
    names = _organisation_names(scope)
    # A server-side cursor: rows arrive `chunk` at a time, never all at once.
    result = _execute(completions_select(scope, f), yield_per=chunk, stream_results=True)
    try:
        for rows in result.partitions(chunk):
            yield from _build(rows, scope, courses, names, now)
            del rows  # or it stays alive while the next chunk is fetched
    finally:
        result.close()


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
    result = _execute(statements_select(scope, since, until), yield_per=chunk, stream_results=True)
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
