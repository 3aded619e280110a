"""Practice tasks in reports: the task columns of a completion record and the dashboard's task figures."""

from __future__ import annotations

import statistics

import sqlalchemy as sa

from lms.courses.models import Course, Enrolment, Module
from lms.extensions import db
from lms.reports.filters import ReportFilter, Scope
from lms.reports.queries import filtered
from lms.reports.sql import joined
from lms.tasks.models import Review, Submission, SubmissionVersion


def task_columns() -> tuple[sa.ScalarSelect, ...]:
    """Return the practice-task columns of a completion row, as subqueries correlated to Enrolment.

    Statuses per module with a task (in course order, "" when not started), approved tasks,
    submitted versions, and the rubric points of each task's latest mentor review, summed.
    """
    with_task = sa.and_(Module.course_id == Enrolment.course_id, Module.task_id.is_not(None))
    own = sa.and_(Submission.task_id == Module.task_id, Submission.user_id == Enrolment.user_id)
    status = sa.select(Submission.status).where(own).correlate(Enrolment, Module).limit(1).scalar_subquery()
    statuses = joined(
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
