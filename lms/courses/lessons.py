"""Lessons and their media: a lesson by slugs, its content per locale, its Markdown rendered."""

from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.core import markdown
from lms.courses.models import Course, Lesson, LessonContent, MediaFile, Module
from lms.extensions import db


def get_lesson(course: Course, module_slug: str, lesson_slug: str) -> Lesson | None:
    """Return a lesson by its module and lesson slugs (both checked against the course)."""
    return db.session.scalar(
        sa.select(Lesson)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.slug == lesson_slug, Module.slug == module_slug)
        .options(selectinload(Lesson.module))
    )


@lru_cache(maxsize=512)
def render_lesson(body_md: str, course_slug: str, sizes: tuple[tuple[str, int, int], ...] = ()) -> str:
    """Render lesson Markdown safely; images point into the course's own media, with their size."""
    known = {name: (width, height) for name, width, height in sizes}
    return markdown.render(
        body_md, media_url=lambda name: f"/media/{course_slug}/{name}", media_size=known.get
    )


def media_sizes(course_id: int) -> tuple[tuple[str, int, int], ...]:
    """Return (name, width, height) of each course image whose size is known (hashable, for the cache)."""
    rows = db.session.execute(
        sa.select(MediaFile.name, MediaFile.width, MediaFile.height)
        .where(MediaFile.course_id == course_id, MediaFile.width.is_not(None), MediaFile.height.is_not(None))
        .order_by(MediaFile.name)
    )
    return tuple((name, width, height) for name, width, height in rows)


def course_media(course: Course) -> list[MediaFile]:
    """Return every media file of a course."""
    return list(db.session.scalars(sa.select(MediaFile).where(MediaFile.course_id == course.id)))


def get_media(course: Course, name: str) -> MediaFile | None:
    """Return a media file of a course."""
    return db.session.scalar(
        sa.select(MediaFile).where(MediaFile.course_id == course.id, MediaFile.name == name)
    )


def lesson_contents(course: Course, modules: list[Module], locale: str) -> dict[int, LessonContent]:
    """Return each lesson's content in a locale (default locale as fallback), in one query."""
    ids = [lesson.id for module in modules for lesson in module.lessons]
    rows = db.session.scalars(
        sa.select(LessonContent).where(
            LessonContent.lesson_id.in_(ids), LessonContent.locale.in_({locale, course.default_locale})
        )
    )
    chosen: dict[int, LessonContent] = {}
    for row in rows:
        if row.locale == locale or row.lesson_id not in chosen:
            chosen[row.lesson_id] = row
    return chosen
