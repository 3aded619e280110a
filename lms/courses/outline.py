"""Published courses' outlines and rendered lessons, kept per process and checked on every request.

A lesson page needs the course's modules, lessons, neighbours and rendered Markdown: the same for
every learner until the course is imported again. Each app process keeps them as plain data,
keyed by the course row's id, content hash and update time (every import sets both). Each
request reads that key from the database (lms.courses.learner, with the learner's progress), so
a new import is seen at once on every app server. Nothing here holds a learner's data or an ORM
object.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from lms.core.caches import caches
from lms.courses.lessons import media_sizes, render_lesson
from lms.courses.models import Course, Lesson, LessonContent, Module, text_in
from lms.extensions import db


@dataclass(eq=False)
class ModuleItem:
    """A module of a cached outline."""

    id: int
    slug: str
    titles: dict[str, str]
    requires_previous: bool
    quiz_id: int | None
    lessons: list["LessonItem"] = field(default_factory=list)

    def title_in(self, locale: str) -> str:
        """Return the title in a locale, else the first one (the default locale's)."""
        return text_in(self.titles, locale)


@dataclass(eq=False)
class LessonItem:
    """A lesson of a cached outline."""

    id: int
    slug: str
    sequence: int
    titles: dict[str, str]
    module: ModuleItem


@dataclass(frozen=True)
class LessonPage:
    """Everything a lesson page shows that is the same for every learner."""

    lesson: LessonItem
    module: ModuleItem
    locale: str
    is_fallback: bool
    title: str
    html: str
    previous: LessonItem | None
    next: LessonItem | None
    # A translation older than its source (translations.toml says it was made from another text).
    is_outdated: bool = False
    # The page's body around the learner's own part, once per URL prefix (see courses.views.lesson).
    bodies: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False)


@dataclass(eq=False)
class CourseOutline:
    """A published course as lesson pages need it, with the pages rendered so far."""

    key: tuple[int, str, datetime]
    slug: str
    default_locale: str
    titles: dict[str, str]
    modules: list[ModuleItem]
    media_sizes: tuple[tuple[str, int, int], ...]
    pages: dict[tuple[int, str], LessonPage] = field(default_factory=dict)

    def title_in(self, locale: str) -> str:
        """Return the title in a locale, else the default locale's."""
        return text_in(self.titles, locale, self.default_locale)

    def find_lesson(self, module_slug: str, lesson_slug: str) -> LessonItem | None:
        """Return a lesson by its module and lesson slugs."""
        module = next((m for m in self.modules if m.slug == module_slug), None)
        return next((item for item in module.lessons if item.slug == lesson_slug), None) if module else None

    def lesson_at(self, sequence: int) -> LessonItem | None:
        """Return the lesson at a course-wide position, or None."""
        return next((item for m in self.modules for item in m.lessons if item.sequence == sequence), None)


def published_outline(key: tuple[int, str, datetime], slug: str) -> CourseOutline:
    """Return the outline of the course whose current key was just read (lms.courses.learner)."""
    cache = caches(current_app).outlines
    outline = cache.get(slug)
    if outline is None or outline.key != key:
        outline = cache[slug] = _load(key)
    return outline


def _load(key: tuple[int, str, datetime]) -> CourseOutline:
    course_id = key[0]
    course = db.session.execute(
        sa.select(Course.slug, Course.default_locale, Course.titles).where(Course.id == course_id)
    ).one()
    # One statement for modules and lessons: a consistent snapshot even while an import runs.
    rows = db.session.execute(
        sa.select(
            Module.id,
            Module.slug,
            Module.titles,
            Module.requires_previous,
            Module.quiz_id,
            Lesson.id.label("lesson_id"),
            Lesson.slug.label("lesson_slug"),
            Lesson.sequence,
            Lesson.titles.label("lesson_titles"),
        )
        .outerjoin(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id == course_id)
        .order_by(Module.position, Lesson.position)
    )
    modules: dict[int, ModuleItem] = {}
    for row in rows:
        module = modules.get(row.id)
        if module is None:
            module = modules[row.id] = ModuleItem(
                row.id, row.slug, row.titles, row.requires_previous, row.quiz_id
            )
        if row.lesson_id is not None:
            module.lessons.append(
                LessonItem(row.lesson_id, row.lesson_slug, row.sequence, row.lesson_titles, module)
            )
    sizes = media_sizes(course_id)
    return CourseOutline(
        key, course.slug, course.default_locale, course.titles, list(modules.values()), sizes
    )


def lesson_page(outline: CourseOutline, lesson: LessonItem, locale: str) -> LessonPage | None:
    """Return a lesson in a locale, or in the course's default with a note (rendered once a process)."""
    page = outline.pages.get((lesson.id, locale))
    if page is not None:
        return page
    contents = {
        c.locale: c
        for c in db.session.execute(
            sa.select(
                LessonContent.locale, LessonContent.title, LessonContent.body_md, LessonContent.is_outdated
            ).where(
                LessonContent.lesson_id == lesson.id,
                LessonContent.locale.in_({locale, outline.default_locale}),
            )
        )
    }
    content = contents.get(locale) or contents.get(outline.default_locale)
    if content is None:  # imported again since the outline was read: the next request reloads it
        return None
    page = LessonPage(
        lesson=lesson,
        module=lesson.module,
        locale=content.locale,
        is_fallback=content.locale != locale,
        title=content.title,
        html=render_lesson(content.body_md, outline.slug, outline.media_sizes),
        previous=outline.lesson_at(lesson.sequence - 1),
        next=outline.lesson_at(lesson.sequence + 1),
        is_outdated=content.is_outdated and content.locale != outline.default_locale,
    )
    outline.pages[(lesson.id, locale)] = page
    return page
