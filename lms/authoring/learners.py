"""A published course's learners as its trainers see them: progress, essays to mark, item analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from lms.accounts.models import User
from lms.core.pagination import contains, paginate
from lms.courses import services as courses
from lms.courses.models import Enrolment, Lesson, LessonProgress
from lms.extensions import db
from lms.quizzes import services as quizzes

from .access import Workspace
from .errors import AuthoringError, NotFound


@dataclass(frozen=True)
class LearnerProgress:
    """One learner's progress in a course, as a trainer sees it: no username, no e-mail."""

    name: str  # the display name; "" when the learner gave none
    number: int  # the learner's place in the list (by enrolment), for learners without a display name
    enrolled_at: datetime
    last_activity_at: datetime
    lessons_done: int
    completed_at: datetime | None


def learners(ws: Workspace, search: str = "", page: int = 1) -> Pagination:
    """Return one page of the learners of a published course, as LearnerProgress (four queries).

    Trainers see display names only, so `search` looks in display names.
    """
    course_id = ws.course.id if ws.course is not None else None
    query = sa.select(Enrolment).where(Enrolment.course_id == course_id)
    if search:
        query = query.where(
            Enrolment.user_id.in_(sa.select(User.id).where(contains(User.display_name, search)))
        )
    found = paginate(query.order_by(Enrolment.enrolled_at, Enrolment.id), page=page)
    enrolments = list(found.items)
    user_ids = [e.user_id for e in enrolments]
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
    done = dict(
        db.session.execute(
            sa.select(LessonProgress.user_id, sa.func.count(LessonProgress.id))
            .where(
                LessonProgress.course_id == course_id,
                LessonProgress.user_id.in_(user_ids),
                # Lessons the course still has (a lesson removed by a new version does not count).
                LessonProgress.lesson_slug.in_(sa.select(Lesson.slug).where(Lesson.course_id == course_id)),
            )
            .group_by(LessonProgress.user_id)
        ).all()
    )
    first = (found.page - 1) * found.per_page
    found.items = [
        LearnerProgress(
            name=names.get(enrolment.user_id) or "",
            number=first + number,
            enrolled_at=enrolment.enrolled_at,
            last_activity_at=enrolment.last_activity_at,
            lessons_done=done.get(enrolment.user_id, 0),
            completed_at=enrolment.completed_at,
        )
        for number, enrolment in enumerate(enrolments, 1)
    ]
    return found


def item_analysis(ws: Workspace, phase: str | None = None) -> list:
    """Return the item analysis of the published course's quizzes (empty before publishing)."""
    if ws.course is None:
        return []
    return courses.item_analysis(ws.course, phase=phase)


def pending_essays(ws: Workspace, page: int = 1) -> Pagination:
    """Return one page of the essays waiting for a mark in the course's quizzes (blind: no names)."""
    return quizzes.pending_essays(courses.course_quizzes(ws.course) if ws.course is not None else [], page)


def mark_essay(user, ws: Workspace, response_id: int, fraction: float, comment: str):
    """Mark an essay of one of this course's quizzes (another course's answer is NotFound)."""
    response = quizzes.get_response(response_id)
    quiz_ids = {q.id for q in courses.course_quizzes(ws.course)} if ws.course is not None else set()
    if response is None or response.attempt.quiz_id not in quiz_ids:
        raise NotFound
    try:
        return quizzes.mark_essay(user, response, fraction, comment)
    except quizzes.QuizError as error:
        raise AuthoringError(str(error))
