"""The catalog: courses by slug, published courses and topics, a course's outline, quizzes and tasks."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.courses.models import Course, Module
from lms.extensions import db
from lms.quizzes import services as quiz_services


def get_course(slug: str) -> Course | None:
    """Return a course by slug, published or not."""
    return db.session.scalar(sa.select(Course).where(Course.slug == slug))


def get_published_course(slug: str) -> Course | None:
    """Return a published course by slug."""
    return db.session.scalar(sa.select(Course).where(Course.slug == slug, Course.is_published.is_(True)))


def courses_by_slug(slugs: list[str] | None) -> dict[str, Course]:
    """Return published or imported courses by slug (all of them when slugs is None), one query."""
    query = sa.select(Course)
    if slugs is not None:
        query = query.where(Course.slug.in_(slugs))
    return {course.slug: course for course in db.session.scalars(query)}


def catalog(*, topic: str | None = None, language: str | None = None) -> list[Course]:
    """Return published courses, filtered by topic and teaching language, in one query."""
    courses = db.session.scalars(
        sa.select(Course).where(Course.is_published.is_(True)).order_by(Course.id)
    ).all()
    if topic:
        courses = [c for c in courses if c.topic == topic]
    if language:
        courses = [c for c in courses if language in c.locales]
    return list(courses)


def topics() -> list[str]:
    """Return the topics of published courses."""
    return sorted(
        t
        for t in db.session.scalars(sa.select(Course.topic).where(Course.is_published.is_(True)).distinct())
        if t
    )


def load_outline(course: Course) -> list[Module]:
    """Load a course's modules and lessons in two queries."""
    return list(
        db.session.scalars(
            sa.select(Module)
            .where(Module.course_id == course.id)
            .order_by(Module.position)
            .options(selectinload(Module.lessons), selectinload(Module.quiz))
        )
    )


def course_quizzes(course: Course) -> list:
    """Return a course's module quizzes and its assessment (a fixed number of queries)."""
    quizzes = [m.quiz for m in load_outline(course) if m.quiz is not None]
    if course.assessment_quiz is not None:
        quizzes.append(course.assessment_quiz)
    return quizzes


@dataclass(frozen=True)
class QuizItems:
    """One quiz of a course with its item analysis; ``module`` is None for the knowledge check."""

    quiz: "quiz_services.Quiz"
    module: Module | None
    analysis: "quiz_services.QuizAnalysis"

    def title_in(self, locale: str) -> str | None:
        """Return the module's title (None: the knowledge check, which the caller names)."""
        return self.module.title_in(locale) if self.module is not None else None


def item_analysis(course: Course, *, phase: str | None = None) -> list[QuizItems]:
    """Return the item analysis of every quiz of a course, modules first (a fixed number of queries)."""
    pairs = [(m.quiz, m) for m in load_outline(course) if m.quiz is not None]
    if course.assessment_quiz is not None:
        pairs.append((course.assessment_quiz, None))
    analyses = quiz_services.item_analysis([quiz for quiz, _module in pairs], phase=phase)
    return [QuizItems(quiz, module, analyses[quiz.id]) for quiz, module in pairs]


def task_places(slugs: list[str] | None) -> dict[int, Module]:
    """Return task id -> its module (course loaded) for these courses (None: every course)."""
    query = (
        sa.select(Module)
        .join(Course, Course.id == Module.course_id)
        .where(Module.task_id.is_not(None))
        .options(selectinload(Module.course), selectinload(Module.task))
        .order_by(Course.slug, Module.position)
    )
    if slugs is not None:
        query = query.where(Course.slug.in_(slugs))
    return {m.task_id: m for m in db.session.scalars(query)}
