"""Mentors' review of practice tasks: which submissions a trainer may review, and the queue.

A course's mentors are its owners (trainers) and every admin; cohort facilitators come with
cohorts. Every submission id is checked against the tasks of the courses the user may edit.
"""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination

from lms.accounts import services as accounts
from lms.accounts.permissions import TRAINERS, has_role
from lms.cohorts import services as cohorts
from lms.core.pagination import paginate
from lms.courses import services as courses
from lms.tasks import services as tasks

from .access import owned_slugs, users_named


def places(user, course_slug: str | None = None):
    """Return task id -> module (with its course) for the tasks the user may review."""
    if not has_role(user, TRAINERS):
        return {}
    found = courses.task_places(owned_slugs(user))
    if course_slug:
        found = {task_id: m for task_id, m in found.items() if m.course.slug == course_slug}
    return found


def waiting(user) -> int:
    """Count the submissions waiting for this mentor's review (the editor's front page)."""
    return tasks.waiting_count(places(user))


def cohort_choices(user) -> list:
    """Return the cohorts following the courses this user mentors (the queue's cohort filter)."""
    if not has_role(user, TRAINERS):
        return []
    return cohorts.cohorts_teaching(owned_slugs(user))


def queue(
    user,
    *,
    course_slug: str | None = None,
    locale: str | None = None,
    cohort_id: int | None = None,
    search: str = "",
    page: int = 1,
) -> Pagination:
    """Return one page of (submission, module, author name) waiting for review, oldest first.

    With `cohort_id` (one of `cohort_choices`), only its members' submissions; with `search`,
    only those of learners whose display name or username contains it.
    """
    found = places(user, course_slug)
    learners = []
    if cohort_id is not None and any(c.id == cohort_id for c in cohort_choices(user)):
        learners.append(cohorts.member_ids(cohort_id))
    if search:
        learners.append(users_named(search))
    rows = paginate(tasks.review_queue(found, locale=locale or None, learners=learners), page=page)
    names = accounts.user_names({s.user_id for s in rows.items})
    rows.items = [(s, found[s.task_id], names.get(s.user_id, "")) for s in rows.items]
    return rows


def submission_for(user, slug: str, submission_id: int):
    """Return (submission, module) if the user may review it in this course, else None."""
    found = places(user, slug)
    submission = tasks.get_submission_by_id(submission_id, found) if found else None
    return (submission, found[submission.task_id]) if submission else None
