"""Enrolments: enrolling, where a learner is in a course, and who is enrolled with what done."""

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.core.db import insert_ignore, utcnow
from lms.courses.activities import course_activity
from lms.courses.models import Course, Enrolment, Lesson, LessonProgress
from lms.extensions import db
from lms.records import services as records


def get_enrolment(user, course: Course) -> Enrolment | None:
    """Return the user's enrolment in a course, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    )


def enroll(user, course: Course) -> Enrolment:
    """Enrol a learner; enrolling twice (even at once) is harmless."""
    now = utcnow()
    db.session.execute(
        insert_ignore(
            db.session,
            Enrolment.__table__,
            {
                "user_id": user.id,
                "course_id": course.id,
                "enrolled_at": now,
                "last_activity_at": now,
                "registration": str(uuid.uuid4()),
            },
            ["user_id", "course_id"],
        )
    )
    enrolment = get_enrolment(user, course)
    if enrolment.enrolled_at == now:
        records.record(
            user,
            "registered",
            course_activity(course.slug, course.titles),
            context=records.Context(registration=enrolment.registration),
        )
    return enrolment


def touch(enrolment_id: int, lesson_slug: str) -> str | None:
    """Remember where the learner is, for "continue where you left off"; return the registration."""
    return db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.id == enrolment_id)
        .values(last_activity_at=utcnow(), last_lesson_slug=lesson_slug)
        .returning(Enrolment.registration)
    ).scalar()


def my_enrolments(user) -> list[tuple[Enrolment, int]]:
    """Return the user's enrolments with their lessons-done counts, in two queries."""
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.user_id == user.id)
        .options(selectinload(Enrolment.course))
        .order_by(Enrolment.last_activity_at.desc())
    ).all()
    counts = _lessons_done(LessonProgress.course_id, LessonProgress.user_id == user.id)
    return [(e, counts.get(e.course_id, 0)) for e in enrolments]


def continue_lessons(enrolments: Iterable[Enrolment]) -> dict[int, Lesson]:
    """Return, per course id, the lesson each enrolment was last at (two queries in all)."""
    pairs = [(e.course_id, e.last_lesson_slug) for e in enrolments if e.last_lesson_slug]
    if not pairs:
        return {}
    rows = db.session.scalars(
        sa.select(Lesson)
        .where(sa.tuple_(Lesson.course_id, Lesson.slug).in_(pairs))
        .options(selectinload(Lesson.module))
    )
    return {lesson.course_id: lesson for lesson in rows}


def _lessons_done(key, *where) -> dict:
    """Count lessons done (of lessons the course still has) grouped by ``key``, in one query."""
    return dict(
        db.session.execute(
            sa.select(key, sa.func.count(LessonProgress.id))
            .join(
                Lesson,
                sa.and_(
                    Lesson.course_id == LessonProgress.course_id, Lesson.slug == LessonProgress.lesson_slug
                ),
            )
            .where(*where)
            .group_by(key)
        ).all()
    )
