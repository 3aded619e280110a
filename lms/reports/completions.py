"""Completion records: one learner in one course, streamed from a server-side cursor.

The main query (`queries.completions_select`, already scoped and filtered) brings what is
single-valued per row; what may be several per row (organisations, quiz attempts,
certificates) is loaded for each chunk of rows in one query each, so that memory stays
constant however long the export is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app

from lms.accounts.models import Membership, Organisation
from lms.certificates.models import Certificate
from lms.core.db import utcnow
from lms.courses.models import Course, Module
from lms.quizzes.models import Attempt, Quiz
from lms.reports.filters import ReportFilter, Scope
from lms.reports.queries import CHUNK, among, completions_select, execute


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
    rows = execute(
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
    rows = execute(
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
        for row in execute(
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
        execute(sa.select(Quiz.id, Quiz.grading).where(Quiz.id.in_(list(assessments.values())))).all()
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
    rows = execute(
        sa.select(
            Attempt.user_id,
            Attempt.quiz_id,
            Attempt.number,
            Attempt.phase,
            Attempt.score,
            Attempt.is_passed,
            Attempt.submitted_at,
            Attempt.graded_at,
        ).where(among(Attempt.user_id, "user_ids"), Attempt.quiz_id.in_(sorted(quiz_ids))),
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


def _organisation_names(scope: Scope) -> dict[int, tuple[tuple[str], tuple[str]]]:
    """Return ((name,), (country,)) by organisation id, within the scope only.

    Few organisations, however many learners: loaded once per export, in the shape a learner
    with one organisation needs, so that the common case costs one dictionary lookup.
    """
    stmt = sa.select(Organisation.id, Organisation.name, Organisation.country)
    if not scope.is_programme:
        stmt = stmt.where(Organisation.id.in_(sorted(scope.organisation_ids)))
    return {oid: ((name,), (country,)) for oid, name, country in execute(stmt)}


def _organisations(names: dict, scope: Scope, user_ids: list[int]) -> dict[int, tuple]:
    """Return each learner's organisation names (sorted) and countries, within the scope only."""
    stmt = sa.select(Membership.user_id, Membership.organisation_id).where(
        among(Membership.user_id, "user_ids")
    )
    # A manager of one organisation never learns which other organisations a learner is in.
    if not scope.is_programme:
        stmt = stmt.where(Membership.organisation_id.in_(sorted(scope.organisation_ids)))
    found: dict[int, tuple] = {}
    several: dict[int, list[tuple[str, str]]] = {}
    for user_id, organisation_id in execute(stmt, {"user_ids": user_ids}).all():
        one = names.get(organisation_id)
        if one is None:
            continue
        if user_id not in found:
            found[user_id] = one
            continue
        if user_id not in several:
            several[user_id] = [(found[user_id][0][0], found[user_id][1][0])]
        several[user_id].append((one[0][0], one[1][0]))
    for user_id, pairs in several.items():
        pairs.sort()
        found[user_id] = (
            tuple(name for name, _country in pairs),
            tuple(dict.fromkeys(country for _name, country in pairs)),
        )
    return found


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
    rows = execute(
        sa.select(
            Certificate.user_id,
            Certificate.course_id,
            Certificate.course_version,
            Certificate.code,
            Certificate.issued_at,
            Certificate.revoked_at,
            Certificate.expires_at,
        ).where(among(Certificate.user_id, "user_ids"), among(Certificate.course_id, "course_ids")),
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
    result = execute(completions_select(scope, f), yield_per=chunk, stream_results=True)
    try:
        for rows in result.partitions(chunk):
            yield from _build(rows, scope, courses, names, now)
            del rows  # or it stays alive while the next chunk is fetched
    finally:
        result.close()
