"""PDF handbooks of a module or a whole course, for reading offline."""

from flask import render_template

from lms.core.i18n import text_direction
from lms.core.pdf import FONT_STACK, FONT_STACK_ARABIC, font_face_css, render_pdf
from lms.courses import services
from lms.courses.models import Course, Module


def _render(course: Course, modules: list[Module], locale: str, title: str) -> bytes:
    contents = services.lesson_contents(course, modules, locale)
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
                    "html": services.render_lesson(content.body_md, course.slug),
                    "is_fallback": content.locale != locale,
                }
            )
        chapters.append({"title": module.title_in(locale), "lessons": lessons})
    media = {f"media/{course.slug}/{m.name}": (m.data, m.content_type) for m in services.course_media(course)}
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
    modules = services.load_outline(course)
    return _render(course, modules, locale, course.title_in(locale))


def render_module(course: Course, module: Module, locale: str) -> bytes:
    """Render one module as a PDF."""
    return _render(course, [module], locale, module.title_in(locale))
