"""What the learner pages of courses share: the course, the module and the enrolment a page is about."""

from flask import abort, flash, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms.courses import services


def ui_locale() -> str:
    """Return the interface language."""
    return str(get_locale())


def course_or_404(slug: str):
    return services.get_published_course(slug) or abort(404)


def course_locale(course) -> str:
    """Return the user's language if the course is taught in it, else the course's default."""
    locale = ui_locale()
    return locale if locale in course.locales else course.default_locale


def module_with(slug: str, module_slug: str, part: str):
    """Return (course, modules, module, state) of a module with a ``part`` ("quiz" or "task"), else 404."""
    course = course_or_404(slug)
    modules = services.load_outline(course)
    module = next((m for m in modules if m.slug == module_slug), None)
    if module is None or getattr(module, part) is None:
        abort(404)
    _done, states = services.learner_states(current_user, course, modules)
    state = next(s for s in states if s.module.id == module.id)
    return course, modules, module, state


def require_enrolment(course):
    """Return the user's enrolment; without one, go back to the course page saying to enrol first."""
    enrolment = services.get_enrolment(current_user, course)
    if enrolment is None:
        flash(_("Enrol in the course first."), "error")
        abort(redirect(url_for("courses.detail", slug=course.slug), 303))
    return enrolment
