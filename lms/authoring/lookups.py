"""Reads of other domains' tables that their services do not offer yet.

TODO(#7): courses_by_slug and learner_progress belong in
lms/courses/services.py, user_names in lms/accounts/services.py; authoring calls them from
there once they exist. Until then this is the only module of authoring that reads another
domain's models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from lms.accounts.models import User
from lms.courses import services as courses
from lms.courses.models import Course, Enrolment, Lesson, LessonProgress
from lms.extensions import db


def course_files(course: Course) -> dict[str, bytes]:
    """Return every stored file of a published course, {path: bytes}."""
    return courses.course_files(course)


def courses_by_slug(slugs: list[str] | None) -> dict[str, Course]:
    """Return published or imported courses by slug (all of them when slugs is None), one query."""
    query = sa.select(Course)
    if slugs is not None:
        query = query.where(Course.slug.in_(slugs))
    return {course.slug: course for course in db.session.scalars(query)}


@dataclass(frozen=True)
class LearnerProgress:
    """One learner's progress in a course, as a trainer sees it: no username, no e-mail."""

    name: str  # the display name; "" when the learner gave none
    number: int  # stable within the page, for learners without a display name
    enrolled_at: datetime
    last_activity_at: datetime
    lessons_done: int
    completed_at: datetime | None


def learner_progress(course: Course) -> list[LearnerProgress]:
    """Return the progress of every learner enrolled in a course, in two queries."""
    rows = db.session.execute(
        sa.select(Enrolment, User.display_name)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.course_id == course.id)
        .order_by(Enrolment.enrolled_at, Enrolment.id)
    ).all()
    done = dict(
        db.session.execute(
            sa.select(LessonProgress.user_id, sa.func.count(LessonProgress.id))
            .join(
                Lesson,
                sa.and_(
                    Lesson.course_id == LessonProgress.course_id, Lesson.slug == LessonProgress.lesson_slug
                ),
            )
            .where(LessonProgress.course_id == course.id)
            .group_by(LessonProgress.user_id)
        ).all()
    )
    return [
        LearnerProgress(
            name=display_name or "",
            number=number,
            enrolled_at=enrolment.enrolled_at,
            last_activity_at=enrolment.last_activity_at,
            lessons_done=done.get(enrolment.user_id, 0),
            completed_at=enrolment.completed_at,
        )
        for number, (enrolment, display_name) in enumerate(rows, 1)
    ]


def course_quizzes(course: Course) -> list:
    """Return the quizzes of a course: its modules' quizzes and its assessment (two queries)."""
    return courses.course_quizzes(course)


def user_names(user_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Return {user id: (display name, username)} for staff lists (one query)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.display_name, User.username).where(User.id.in_(user_ids))
    )
    return {uid: (display or "", username) for uid, display, username in rows}
