"""A published course's version and one learner's standing in it, read in one query.

A lesson page needs both on every request: the version to check the process's cached outline
against (lms.courses.outline), and the learner's enrolment, lessons done and quizzes passed.
One statement, built once, answers both; it is the only query of a lesson page besides the
session's.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import sqlalchemy as sa

from lms.courses.models import Course, Enrolment, LessonProgress, Module
from lms.courses.progress import module_states
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.tasks import services as task_services


@dataclass(frozen=True)
class Progress:
    """A learner's standing in a course; empty for visitors and learners not enrolled."""

    enrolment_id: int | None = None
    last_lesson_slug: str | None = None
    done: frozenset[str] = field(default_factory=frozenset)
    passed_quiz_ids: frozenset[int] = field(default_factory=frozenset)
    # Modules whose practice task needs an approval the learner does not have yet.
    unapproved_module_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_enrolled(self) -> bool:
        """Tell whether the learner is enrolled in the course."""
        return self.enrolment_id is not None


CourseKey = tuple[int, str, datetime]  # id, content hash, updated_at: changed by every import


def standing(slug: str, user) -> tuple[CourseKey | None, Progress]:
    """Return a published course's key (None: no such course) and the user's progress in it."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    params = {"slug": slug, "user_id": user.id} if signed_in else {"slug": slug}
    key, enrolment_id, last_slug, done, passed, unapproved = None, None, None, set(), set(), set()
    for kind, text, number, stamp in db.session.execute(_statement(signed_in), params):
        if kind == "course":
            key = (number, text, stamp)
        elif kind == "enrolment":
            enrolment_id, last_slug = number, text
        elif kind == "done":
            done.add(text)
        elif kind == "task":
            unapproved.add(number)
        else:
            passed.add(number)
    if key is None:
        return None, Progress()
    return key, Progress(enrolment_id, last_slug, frozenset(done), frozenset(passed), frozenset(unapproved))


@cache
def _statement(signed_in: bool) -> sa.CompoundSelect:
    # Built once (one round trip for the whole standing); SQLAlchemy caches its compiled form.
    slug, user_id = sa.bindparam("slug"), sa.bindparam("user_id")
    course_id = (
        sa.select(Course.id).where(Course.slug == slug, Course.is_published.is_(True)).scalar_subquery()
    )
    no_text, no_number = sa.cast(sa.null(), sa.String), sa.cast(sa.null(), sa.Integer)
    no_stamp = sa.cast(sa.null(), Course.updated_at.type)
    parts = [
        sa.select(sa.literal("course"), Course.content_hash, Course.id, Course.updated_at).where(
            Course.slug == slug, Course.is_published.is_(True)
        )
    ]
    if signed_in:
        quiz_ids = sa.select(Module.quiz_id).where(Module.course_id == course_id, Module.quiz_id.is_not(None))
        passed = quiz_services.passed_quizzes_select(user_id, quiz_ids).subquery()
        parts += [
            sa.select(sa.literal("enrolment"), Enrolment.last_lesson_slug, Enrolment.id, no_stamp).where(
                Enrolment.user_id == user_id, Enrolment.course_id == course_id
            ),
            sa.select(sa.literal("done"), LessonProgress.lesson_slug, no_number, no_stamp).where(
                LessonProgress.user_id == user_id, LessonProgress.course_id == course_id
            ),
            sa.select(sa.literal("passed"), no_text, passed.c.quiz_id, no_stamp),
            sa.select(sa.literal("task"), no_text, Module.id, no_stamp).where(
                Module.course_id == course_id,
                Module.task_id.in_(task_services.unapproved_tasks_select(user_id)),
            ),
        ]
    return sa.union_all(*parts)


def is_locked(modules, module, progress: Progress) -> bool:
    """Tell whether a module is locked for this learner (its previous module is not complete)."""
    passed = {m.id: m.quiz_id in progress.passed_quiz_ids for m in modules if m.quiz_id is not None}
    unapproved = dict.fromkeys(progress.unapproved_module_ids, False)
    states = module_states(modules, set(progress.done), passed, unapproved)
    return next(s for s in states if s.module is module).is_locked
