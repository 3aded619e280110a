"""The blueprint and the lookups every editor page shares (each view is guarded by `requires(TRAINERS)`)."""

from flask import Blueprint, abort, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from lms.authoring import layout, services
from lms.core.i18n import text_direction
from lms.courses.package import LOCALES

bp = Blueprint("authoring", __name__, url_prefix="/author", template_folder="../templates")


def ui_locale() -> str:
    """Return the interface language."""
    return str(get_locale())


def workspace_or_404(slug: str) -> services.Workspace:
    """Return a course the user may edit; another trainer's course is as missing as no course."""
    return services.workspace(current_user, slug) or abort(404)


def module_or_404(info: layout.Outline, module_slug: str) -> layout.ModuleInfo:
    """Return a module of this course."""
    return info.module(module_slug) or abort(404)


def lesson_or_404(module: layout.ModuleInfo, lesson_slug: str) -> layout.LessonInfo:
    """Return a lesson of this module (a lesson of another module is 404)."""
    return module.lesson(lesson_slug) or abort(404)


def course_locale_or_404(info: layout.Outline, locale: str) -> str:
    """Return a locale the course is taught in."""
    return locale if locale in info.locales else abort(404)


def any_locale_or_404(locale: str) -> str:
    """Return a supported locale."""
    return locale if locale in LOCALES else abort(404)


def content_dir(locale: str) -> str:
    """Return the text direction of content in a locale."""
    return text_direction(locale)


def media_url(slug: str):
    """Return the function that points lesson images at the draft's own media."""
    return lambda name: url_for("authoring.media_file", slug=slug, name=name)


def base_of(form) -> str | None:
    """Return the hash of the text the editor loaded ("" for a new file), or None when not sent."""
    return (form.base.data or "") if "base" in request.form else None
