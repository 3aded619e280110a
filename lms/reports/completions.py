"""Completion records: one learner in one course, streamed from a server-side cursor.

One statement (`completion_query.completions_select`, already scoped and filtered) brings every
column of every row; what is per course (title, languages, module slugs) is loaded once per
export. Python only shapes cells, so an export runs at about the speed of the query itself
and memory stays constant however long it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app

from lms.certificates.models import Certificate
from lms.core.db import utcnow
from lms.courses.models import Course, Module
from lms.reports.completion_query import ORGANISATION_SEPARATOR, completions_select
from lms.reports.filters import ReportFilter, Scope
from lms.reports.queries import CHUNK
from lms.reports.sql import execute


class CompletionRecord(NamedTuple):
    """One learner in one course, as typed values (times as UTC datetimes, lists as tuples)."""

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
    task_statuses: tuple[tuple[str, str], ...] = ()  # (module slug, status or "not_started")
    tasks_approved: int | None = None  # None: the course has no practice task
    task_versions: int | None = None
    task_points: int | None = None
    live_sessions_attended: int = 0
    live_hours: float = 0.0


class CourseInfo(NamedTuple):
    """What a completion row needs of its course besides the row: the same for all its rows."""

    title: str
    default_locale: str
    locales: frozenset[str]
    module_slugs: tuple[str, ...]  # modules with a quiz, in course order
    task_module_slugs: tuple[str, ...] = ()  # modules with a practice task, in course order


def course_infos() -> dict[int, CourseInfo]:
    """Return every course's title, languages and module slugs (few courses: loaded once)."""
    slugs: dict[int, list[str]] = {}
    task_slugs: dict[int, list[str]] = {}
    for course_id, slug, has_quiz, has_task in execute(
        sa.select(Module.course_id, Module.slug, Module.quiz_id.is_not(None), Module.task_id.is_not(None))
        .where(sa.or_(Module.quiz_id.is_not(None), Module.task_id.is_not(None)))
        .order_by(Module.course_id, Module.position, Module.id)
    ):
        if has_quiz:
            slugs.setdefault(course_id, []).append(slug)
        if has_task:
            task_slugs.setdefault(course_id, []).append(slug)
    rows = execute(sa.select(Course.id, Course.slug, Course.titles, Course.default_locale, Course.locales))
    return {
        course_id: CourseInfo(
            title=titles.get(default_locale) or next(iter(titles.values()), slug),
            default_locale=default_locale,
            locales=frozenset(locales),
            module_slugs=tuple(slugs.get(course_id, ())),
            task_module_slugs=tuple(task_slugs.get(course_id, ())),
        )
        for course_id, slug, titles, default_locale, locales in rows
    }


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


class _CertificateDates(NamedTuple):
    issued_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None


def certificate(
    code: str, issued_at, revoked_at, expires_at, now: datetime, verify_prefix: str
) -> tuple[str | None, str, str | None]:
    """Return (code, status, verify URL) of a row's certificate; code and URL only once issued.

    `verify_prefix` is `verify_url("")`, looked up once per export rather than once per row.
    """
    # The certificates domain's own rule, applied to plain columns (no ORM object per row).
    status = Certificate.status(_CertificateDates(issued_at, revoked_at, expires_at), now)
    return (None, status, None) if issued_at is None else (code, status, verify_prefix + code)


def module_scores(slugs: tuple[str, ...], scores: str | None) -> tuple[tuple[str, float | None], ...]:
    """Pair a course's module slugs with a row's best scores (the query's space-separated text)."""
    if not slugs:
        return ()
    return tuple(
        (slug, float(score) if score else None)
        for slug, score in zip(slugs, (scores or "").split(" "), strict=False)
    )


def task_statuses(slugs: tuple[str, ...], statuses: str | None) -> tuple[tuple[str, str], ...]:
    """Pair each module with a task with the learner's status ("not_started" when none)."""
    values = (statuses or "").split(" ") if slugs else []
    values += [""] * (len(slugs) - len(values))
    return tuple((slug, value or "not_started") for slug, value in zip(slugs, values, strict=False))


def status(completed_at, lessons_done: int) -> str:
    """Return the status code of a row: completed, in_progress or enrolled."""
    if completed_at is not None:
        return "completed"
    return "in_progress" if lessons_done else "enrolled"


def live_hours(minutes: int | None) -> float:
    """Return attended minutes as hours, one decimal."""
    return round((minutes or 0) / 60, 1)


def percent_complete(done: int, total: int) -> float:
    """Return lessons done over lessons in the course, in percent, one decimal (0.0 without lessons)."""
    return round(100 * min(done, total) / total, 1) if total else 0.0


@dataclass
class CompletionRows:
    """The rows of a completions export, as the query gives them, and what shapes them.

    Iterating streams the query's rows from a server-side cursor, `chunk` at a time.
    """

    scope: Scope
    filter: ReportFilter
    now: datetime
    courses: dict[int, CourseInfo]
    chunk: int = CHUNK

    @property
    def verify_prefix(self) -> str:
        """The verification address of a certificate, without its code."""
        return verify_url("")

    def __iter__(self) -> Iterator[sa.Row]:
        result = execute(
            completions_select(self.scope, self.filter), yield_per=self.chunk, stream_results=True
        )
        try:
            for rows in result.partitions(self.chunk):
                yield from rows
                del rows  # or it stays alive while the next chunk is fetched
        finally:
            result.close()


def completion_rows(
    scope: Scope, f: ReportFilter, *, now: datetime | None = None, chunk: int = CHUNK
) -> CompletionRows:
    """Return the rows of a report's completion records, ready to stream."""
    return CompletionRows(scope, f, now or utcnow(), course_infos(), chunk)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def records(rows: CompletionRows) -> Iterator[CompletionRecord]:
    """Yield the rows as typed records, streamed (constant memory).

    Reads the row's columns by name (`completion_query.completions_select` labels them); the CSV writer,
    the hot path, unpacks them by position instead.
    """
    prefix = rows.verify_prefix
    for row in rows:
        info = rows.courses[row.course_id]
        done, total, pre, post = row.lessons_done, row.lesson_count, row.pre_test_score, row.post_test_score
        yield CompletionRecord(
            row.public_id,
            row.display_name,
            tuple(row.organisations.split(ORGANISATION_SEPARATOR)) if row.organisations else (),
            tuple(row.countries.split("; ")) if row.countries else (),
            row.gender,
            row.age_band,
            row.slug,
            info.title,
            row.version,
            row.locale if row.locale in info.locales else info.default_locale,
            _moment(row.enrolled_at),
            _moment(row.last_activity_at),
            _moment(row.completed_at),
            status(row.completed_at, done),
            done,
            total,
            percent_complete(done, total),
            module_scores(info.module_slugs, row.module_best_scores),
            row.module_quizzes_passed,
            len(info.module_slugs),
            row.quiz_attempts,
            pre,
            post,
            normalised_gain(pre, post),
            *(
                (None, None, None)
                if row.code is None
                else certificate(row.code, row.issued_at, row.revoked_at, row.expires_at, rows.now, prefix)
            ),
            task_statuses(info.task_module_slugs, row.task_statuses),
            row.tasks_approved if info.task_module_slugs else None,
            row.task_versions if info.task_module_slugs else None,
            row.task_points,
            row.live_sessions_attended or 0,
            live_hours(row.live_minutes),
        )


def iter_completions(
    scope: Scope, f: ReportFilter, *, now: datetime | None = None, chunk: int = CHUNK
) -> Iterator[CompletionRecord]:
    """Yield the completion records of a report as typed records, streamed (constant memory)."""
    return records(completion_rows(scope, f, now=now, chunk=chunk))
