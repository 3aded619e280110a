"""A learner's progress: lessons done, module states and locks, and the course's completion."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms.core.db import insert_ignore, utcnow
from lms.core.errors import NotFoundError
from lms.courses import signals
from lms.courses.activities import course_activity, lesson_activity, module_activity
from lms.courses.catalog import load_outline
from lms.courses.enrolment import get_enrolment, touch
from lms.courses.errors import ModuleLocked, NotEnrolled
from lms.courses.lessons import get_lesson
from lms.courses.models import Course, Enrolment, Lesson, LessonProgress, Module
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.records import services as records
from lms.tasks import services as task_services


def done_slugs(user, course: Course) -> set[str]:
    """Return the slugs of the lessons the user marked done in a course (one query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            sa.select(LessonProgress.lesson_slug).where(
                LessonProgress.user_id == user.id, LessonProgress.course_id == course.id
            )
        )
    )


def record_lesson_done(user, course: Course, lesson: Lesson) -> bool:
    """Mark a lesson done once (concurrent requests give one row); return True if new."""
    enrolment = get_enrolment(user, course)
    if enrolment is None:
        raise NotEnrolled(_("Enrol in the course first."))
    inserted = db.session.execute(
        insert_ignore(
            db.session,
            LessonProgress.__table__,
            {
                "user_id": user.id,
                "course_id": course.id,
                "lesson_slug": lesson.slug,
                "completed_at": utcnow(),
            },
            ["user_id", "course_id", "lesson_slug"],
        ).returning(LessonProgress.id)
    ).scalar()
    touch(enrolment.id, lesson.slug)
    if inserted is not None:
        module = lesson.module
        records.record(
            user,
            "completed",
            lesson_activity(course.slug, module.slug, lesson.slug, lesson.titles),
            result={"completion": True},
            context=records.Context(
                registration=enrolment.registration,
                parent=(
                    module_activity(course.slug, module.slug, module.titles),
                    course_activity(course.slug, course.titles),
                ),
            ),
        )
    return inserted is not None


def record_lesson_read(user, enrolment_id: int, course, lesson, locale: str) -> None:
    """Note that an enrolled learner opened a lesson: where they are, and an ``experienced`` record.

    ``course`` and ``lesson`` are a course outline's items (slug and titles are all it reads).
    """
    registration = touch(enrolment_id, lesson.slug)
    module = lesson.module
    records.record(
        user,
        "experienced",
        lesson_activity(course.slug, module.slug, lesson.slug, lesson.titles),
        context=records.Context(
            registration=registration,
            language=locale,
            parent=(
                module_activity(course.slug, module.slug, module.titles),
                course_activity(course.slug, course.titles),
            ),
        ),
    )


def quiz_results(user, modules: list[Module]) -> dict[int, "quiz_services.Result"]:
    """Return each module's quiz result for the user, keyed by module id (one query)."""
    quizzes = [m.quiz for m in modules if m.quiz is not None]
    if not quizzes or user is None or not getattr(user, "is_authenticated", False):
        return {}
    results = quiz_services.results_for(user, quizzes)
    return {m.id: results[m.quiz_id] for m in modules if m.quiz_id in results}


def quiz_status(user, modules: list[Module]) -> dict[int, bool]:
    """Return, per module with a quiz, whether the user has passed it."""
    results = quiz_results(user, modules)
    return {m.id: (results[m.id].has_passed if m.id in results else False) for m in modules if m.quiz_id}


def task_status(user, modules: list[Module]) -> dict[int, bool]:
    """Return, per module whose task needs approval, whether the user's submission is approved."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    approval = task_services.approval_status(user, [m.task_id for m in modules if m.task_id is not None])
    return {m.id: approval[m.task_id] for m in modules if m.task_id in approval}


@dataclass(frozen=True)
class ModuleState:
    """A module as one learner sees it."""

    module: Module
    lessons_done: int
    lessons_total: int
    quiz_passed: bool | None  # None: the module has no quiz
    is_complete: bool
    is_locked: bool
    task_approved: bool | None = None  # None: no task, or one that needs no approval


def module_states(
    modules: list[Module],
    done: set[str],
    passed_quizzes: dict[int, bool] | None = None,
    approved_tasks: dict[int, bool] | None = None,
) -> list[ModuleState]:
    """Work out completion and locks: a module needs its lessons done, its quiz passed and its
    task approved (when the task says approval is required)."""
    passed_quizzes = passed_quizzes or {}
    approved_tasks = approved_tasks or {}
    states, previous_complete = [], True
    for module in modules:
        total = len(module.lessons)
        finished = sum(1 for lesson in module.lessons if lesson.slug in done)
        quiz_passed = passed_quizzes.get(module.id)
        task_approved = approved_tasks.get(module.id)
        complete = finished == total and quiz_passed is not False and task_approved is not False
        locked = module.requires_previous and not previous_complete
        states.append(ModuleState(module, finished, total, quiz_passed, complete, locked, task_approved))
        previous_complete = complete
    return states


def update_completion(user, course: Course, states: Iterable[ModuleState]) -> datetime | None:
    """Record course completion once, with its time, when every module is complete."""
    enrolment = get_enrolment(user, course)
    if enrolment is None:
        return None
    if (
        enrolment.completed_at is None
        and all(s.is_complete for s in states)
        and all(r.is_met for r in extra_requirements(user, course))
    ):
        # Conditional update: two requests completing at once record one time.
        now = utcnow()
        db.session.execute(
            sa.update(Enrolment)
            .where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None))
            .values(completed_at=now)
        )
        db.session.refresh(enrolment)
        if enrolment.completed_at == now:
            records.record(
                user,
                "completed",
                course_activity(course.slug, course.titles),
                result={"completion": True},
                context=records.Context(registration=enrolment.registration),
            )
            signals.send_course_completed(current_app._get_current_object(), user, course)
    return enrolment.completed_at


def extra_requirements(user, course: Course) -> list[signals.Requirement]:
    """Return what higher domains add to this course's completion (live-session attendance...)."""
    return signals.requirements_for(current_app._get_current_object(), user, course)


def recheck_completion(user, course: Course) -> datetime | None:
    """Work out a learner's module states afresh and record the course's completion if now due.

    For changes made by someone else: a mentor approving the learner's practice task, a
    facilitator taking the roll of a live session.
    """
    modules = load_outline(course)
    _done, states = learner_states(user, course, modules)
    return update_completion(user, course, states)


def learner_states(user, course: Course, modules: list[Module]) -> tuple[set[str], list[ModuleState]]:
    """Return the lessons the user has done in a course and the state of each of its modules."""
    done = done_slugs(user, course)
    return done, module_states(modules, done, quiz_status(user, modules), task_status(user, modules))


def require_unlocked(state: ModuleState) -> None:
    """Refuse (403) work in a module whose previous module the learner has not completed."""
    if state.is_locked:
        raise ModuleLocked()


def mark_lesson_done(
    user, course: Course, module_slug: str, lesson_slug: str
) -> tuple[Lesson, Lesson | None]:
    """Mark a lesson done and record the course's completion if now due (flushes).

    Return the lesson and the one after it in the course (None after the last). Raise
    NotFoundError for a lesson the course does not have, ModuleLocked in a locked module and
    NotEnrolled for a learner not enrolled.
    """
    lesson = get_lesson(course, module_slug, lesson_slug)
    if lesson is None:
        raise NotFoundError()
    modules = load_outline(course)
    _done, states = learner_states(user, course, modules)
    require_unlocked(next(s for s in states if s.module.id == lesson.module_id))
    record_lesson_done(user, course, lesson)
    _done, states = learner_states(user, course, modules)
    update_completion(user, course, states)
    following = next((x for m in modules for x in m.lessons if x.sequence == lesson.sequence + 1), None)
    return lesson, following
