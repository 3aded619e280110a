"""A lesson page's data in one call: the cached outline and page, and the learner's standing.

`lesson_page` reads the course's key and the learner's progress in one query
(lms.courses.learner), takes the outline and the rendered lesson from the process's cache
(lms.courses.outline), checks the module's lock and returns it all as one frozen value.
"""

from dataclasses import dataclass

from lms.core.errors import NotFoundError
from lms.courses import learner, outline
from lms.courses.errors import ModuleLocked
from lms.courses.outline import CourseOutline, LessonItem, LessonPage


@dataclass(frozen=True)
class LessonView:
    """What one learner's lesson page shows."""

    course: CourseOutline
    page: LessonPage
    is_done: bool
    enrolment_id: int | None  # None: a visitor, or a learner not enrolled
    # The learner comes from another lesson: their place is to be recorded (a reload writes nothing).
    moves_place: bool

    @property
    def lesson(self) -> LessonItem:
        """Return the lesson of the page."""
        return self.page.lesson

    @property
    def is_enrolled(self) -> bool:
        """Tell whether the learner is enrolled in the course."""
        return self.enrolment_id is not None


def lesson_page(user, slug: str, module_slug: str, lesson_slug: str, locale: str) -> LessonView:
    """Return a published lesson in a locale (or the course's default) as this learner sees it.

    Raise NotFoundError for a course, lesson or content that does not exist, and ModuleLocked
    when the lesson's module waits for the previous one.
    """
    key, standing = learner.standing(slug, user)
    if key is None:
        raise NotFoundError()
    course = outline.published_outline(key, slug)
    item = course.find_lesson(module_slug, lesson_slug)
    if item is None:
        raise NotFoundError()
    if learner.is_locked(course.modules, item.module, standing):
        raise ModuleLocked()
    page = outline.lesson_page(course, item, locale)
    if page is None:
        raise NotFoundError()
    return LessonView(
        course=course,
        page=page,
        is_done=item.slug in standing.done,
        enrolment_id=standing.enrolment_id,
        moves_place=standing.is_enrolled and standing.last_lesson_slug != item.slug,
    )
