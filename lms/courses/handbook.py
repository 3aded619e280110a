"""PDF handbooks of a module or a whole course, for reading offline.

Handbooks are rendered once by a background job when a course is imported or published (every
locale, the whole course and each module) and stored under `HANDBOOK_STORAGE` (default
`instance/handbooks`), keyed by the course's content hash; pages serve the stored file. A request
for a handbook that is not ready yet queues its job (once) and never renders inline.
"""

import os
import time
from pathlib import Path

from flask import current_app, render_template

from lms.core.i18n import text_direction
from lms.core.pdf import FONT_STACK, FONT_STACK_ARABIC, font_face_css, render_pdf
from lms.courses.catalog import get_course, load_outline
from lms.courses.lessons import course_media, lesson_contents, render_lesson
from lms.courses.models import Course, Module
from lms.extensions import jobs

WHOLE_COURSE = ""  # the module slug that stands for the whole course
REQUEUE_AFTER_SECONDS = 600  # a queued render not done by then is queued again on request


def _render(course: Course, modules: list[Module], locale: str, title: str) -> bytes:
    contents = lesson_contents(course, modules, locale)
    chapters = []
    for module in modules:
        lessons = []
        for lesson in module.lessons:
            content = contents.get(lesson.id)
            if content is None:
                continue
            lessons.append(
                {
                    "title": content.title,
                    "html": render_lesson(content.body_md, course.slug),
                    "is_fallback": content.locale != locale,
                }
            )
        chapters.append({"title": module.title_in(locale), "lessons": lessons})
    media = {f"media/{course.slug}/{m.name}": (m.data, m.content_type) for m in course_media(course)}
    html = render_template(
        "courses/handbook.html",
        title=title,
        course_title=course.title_in(locale),
        chapters=chapters,
        locale=locale,
        direction=text_direction(locale),
        font_css=font_face_css(),
        font_stack=FONT_STACK_ARABIC if locale == "ar" else FONT_STACK,
    )
    return render_pdf(html, assets=media)


def render_course(course: Course, locale: str) -> bytes:
    """Render every module of a course as one PDF."""
    modules = load_outline(course)
    return _render(course, modules, locale, course.title_in(locale))


def render_module(course: Course, module: Module, locale: str) -> bytes:
    """Render one module as a PDF."""
    return _render(course, [module], locale, module.title_in(locale))


def storage_dir() -> Path:
    """The folder handbooks are stored in (HANDBOOK_STORAGE, else instance/handbooks)."""
    configured = current_app.config.get("HANDBOOK_STORAGE")
    return Path(configured) if configured else Path(current_app.instance_path) / "handbooks"


def stored_path(course: Course, module_slug: str, locale: str) -> Path:
    """Where the handbook of this content, scope and locale is (or will be) stored."""
    name = f"module-{module_slug}.pdf" if module_slug else "course.pdf"
    return storage_dir() / course.slug / course.content_hash[:32] / locale / name


def stored(course: Course, module_slug: str, locale: str) -> Path | None:
    """The stored handbook's path if it has been rendered."""
    path = stored_path(course, module_slug, locale)
    return path if path.is_file() else None


def queue_all(course: Course) -> int:
    """Queue the rendering of every handbook of a course (each locale: course and modules)."""
    count = 0
    scopes = [WHOLE_COURSE] + [module.slug for module in load_outline(course)]
    for locale in course.locales:
        for module_slug in scopes:
            _queue(course, module_slug, locale)
            count += 1
    return count


def queue_if_missing(course: Course, module_slug: str, locale: str) -> None:
    """Queue one handbook's rendering unless it is stored or was queued recently."""
    marker = stored_path(course, module_slug, locale).with_suffix(".queued")
    try:
        if time.time() - marker.stat().st_mtime < REQUEUE_AFTER_SECONDS:
            return
    except FileNotFoundError:
        pass
    _queue(course, module_slug, locale)


def _queue(course: Course, module_slug: str, locale: str) -> None:
    marker = stored_path(course, module_slug, locale).with_suffix(".queued")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    render_handbook.enqueue(course.slug, course.version, module_slug, locale)


@jobs.job(retries=3, retry_delay=30, timeout=600)
def render_handbook(slug: str, version: int, module_slug: str, locale: str) -> None:
    """Render one handbook and store it (a newer version of the course makes the job moot)."""
    course = get_course(slug)
    if course is None:  # removed, or its import rolled back: a request queues it again if needed
        return
    if course.version < version:
        # The job ran before the import's transaction ended: fail, and so retry a little later.
        raise RuntimeError(f"{slug} version {version} is not committed yet")
    if course.version > version or locale not in course.locales:
        return
    target = stored_path(course, module_slug, locale)
    if target.is_file():
        return
    if module_slug:
        module = next((m for m in load_outline(course) if m.slug == module_slug), None)
        if module is None:
            return
        data = render_module(course, module, locale)
    else:
        data = render_course(course, locale)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(data)
    partial.replace(target)  # atomic: a reader sees the whole file or none
    target.with_suffix(".queued").unlink(missing_ok=True)
