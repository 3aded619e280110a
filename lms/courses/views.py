"""Learner pages: catalog, course, lessons, progress, media and PDF handbooks."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup

from lms.core.i18n import language_name
from lms.core.safety import download_name
from lms.courses import handbook, quiz_views, services, signals, task_views
from lms.courses.page_helpers import course_or_404, ui_locale
from lms.extensions import db

bp = Blueprint("courses", __name__, template_folder="templates")
HANDBOOK_RETRY_SECONDS = 15

TOPIC_NAMES = {
    "civil-society": _l("Civil society"),
    "lobbying": _l("Lobbying and advocacy"),
    "human-rights-mechanisms": _l("Human rights mechanisms"),
    "funding": _l("Funding and projects"),
}


@bp.get("/courses/")
def catalog():
    """List published courses, filtered by topic and language."""
    topic = request.args.get("topic") or None
    language = request.args.get("lang") or None
    courses = services.catalog(topic=topic, language=language)
    return render_template(
        "courses/catalog.html",
        courses=courses,
        topics=services.topics(),
        topic=topic,
        language=language,
        locale=ui_locale(),
        topic_names=TOPIC_NAMES,
    )


@bp.get("/courses/<slug>/sources")
def sources(slug):
    """The public references a course uses."""
    course = course_or_404(slug)
    if not course.sources_md:
        abort(404)
    return render_template(
        "courses/sources.html",
        course=course,
        html=services.render_lesson(course.sources_md, course.slug),
        locale=ui_locale(),
    )


@bp.get("/courses/<slug>/")
def detail(slug):
    """A course: its modules and lessons, with the learner's progress."""
    course = course_or_404(slug)
    modules = services.load_outline(course)
    enrolment = services.get_enrolment(current_user, course)
    done, states = services.learner_states(current_user, course, modules)
    return render_template(
        "courses/course.html",
        course=course,
        states=states,
        quiz_results=services.quiz_results(current_user, modules),
        done=done,
        enrolment=enrolment,
        form=FlaskForm(),
        locale=ui_locale(),
        language_name=language_name,
        # The boxes are HTML rendered by autoescaping templates.
        extra=Markup("").join(  # noqa: S704
            Markup(box)  # noqa: S704
            for box in signals.course_boxes(current_app._get_current_object(), current_user, course, states)
        )
        if enrolment
        else "",
    )


@bp.post("/courses/<slug>/enroll")
@login_required
def enroll(slug):
    """Enrol the signed-in learner (idempotent)."""
    course = course_or_404(slug)
    services.enroll(current_user, course)
    db.session.commit()
    flash(_("You are enrolled in %(title)s.", title=course.title_in(ui_locale())))
    if course.assessment_quiz_id:
        # Offer the optional pre-test now; the page lets the learner skip it.
        return redirect(url_for("courses.assessment", slug=slug), 303)
    return redirect(url_for("courses.detail", slug=slug), 303)


@bp.get("/courses/<slug>/<module_slug>/<lesson_slug>")
def lesson(slug, module_slug, lesson_slug):
    """A lesson in the learner's language, or the course's default language with a note."""
    locale = ui_locale()
    try:
        view = services.lesson_page(current_user, slug, module_slug, lesson_slug, locale)
    except services.ModuleLocked:
        flash(_("Finish the previous module first: this one builds on it."), "error")
        return redirect(url_for("courses.detail", slug=slug), 303)
    body_top, body_bottom = _lesson_body(view.course, view.page, locale)
    html = render_template(
        "courses/lesson.html",
        course=view.course,
        page=view.page,
        body_top=body_top,
        body_bottom=body_bottom,
        is_done=view.is_done,
        enrolment=view.is_enrolled,
        locale=locale,
        language_name=language_name,
    )
    if view.moves_place:
        # After rendering: a commit expires the signed-in user, whom the page would read again.
        services.record_lesson_read(current_user, view.enrolment_id, view.course, view.lesson, locale)
        db.session.commit()
    return html


def _lesson_body(course, page, locale: str) -> tuple[str, str]:
    """Return the parts of a lesson page that are the same for every learner, rendered once a process."""
    body = page.bodies.get(request.script_root)
    if body is None:
        parts = ("courses/_lesson_body.html", "top"), ("courses/_lesson_body.html", "bottom")
        body = tuple(get_template_attribute(*part)(course, page, locale) for part in parts)
        page.bodies[request.script_root] = body
    return body


@bp.post("/courses/<slug>/<module_slug>/<lesson_slug>/done")
@login_required
def mark_done(slug, module_slug, lesson_slug):
    """Mark a lesson as done and go to the next one."""
    course = course_or_404(slug)
    try:
        lesson, following = services.mark_lesson_done(current_user, course, module_slug, lesson_slug)
    except services.NotEnrolled as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("courses.detail", slug=slug), 303)
    db.session.commit()
    if following is not None and following.module_id == lesson.module_id:
        target = url_for(
            "courses.lesson", slug=slug, module_slug=following.module.slug, lesson_slug=following.slug
        )
    else:
        target = url_for("courses.detail", slug=slug, _anchor=f"module-{lesson.module.slug}")
    return redirect(target, 303)


@bp.get("/media/<slug>/<name>")
def media(slug, name):
    """A course image (only the course's own media)."""
    course = course_or_404(slug)
    item = services.get_media(course, name) or abort(404)
    response = Response(item.data, mimetype=item.content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/courses/<slug>/handbook.pdf")
def course_handbook(slug):
    """The whole course as a PDF handbook for offline reading (rendered in the background)."""
    course = course_or_404(slug)
    return _handbook(course, handbook.WHOLE_COURSE, f"{course.slug}-{ui_locale()}.pdf")


@bp.get("/courses/<slug>/<module_slug>/handbook.pdf")
def module_handbook(slug, module_slug):
    """One module as a PDF handbook for offline reading (rendered in the background)."""
    course = course_or_404(slug)
    module = next((m for m in services.load_outline(course) if m.slug == module_slug), None) or abort(404)
    return _handbook(course, module.slug, f"{course.slug}-{module.slug}-{ui_locale()}.pdf")


def _handbook(course, module_slug: str, filename: str) -> Response:
    locale = ui_locale() if ui_locale() in course.locales else course.default_locale
    path = handbook.stored(course, module_slug, locale)
    if path is None:
        handbook.queue_if_missing(course, module_slug, locale)
        db.session.commit()
        body = render_template("courses/handbook_pending.html", course=course, seconds=HANDBOOK_RETRY_SECONDS)
        return Response(body, 202, {"Retry-After": str(HANDBOOK_RETRY_SECONDS), "Cache-Control": "no-store"})
    etag = path.parent.parent.name + "-" + locale + "-" + (module_slug or "course")
    response = _pdf(path.read_bytes(), filename)
    response.set_etag(etag)
    return response.make_conditional(request)


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{download_name(filename, current_user)}"',
            "Cache-Control": "private, max-age=3600",
        },
    )


def my_learning_panel(user) -> Markup:
    """The "My learning" panel: each course with a progress bar and a continue link."""
    rows = services.my_enrolments(user)
    continue_lessons = services.continue_lessons([enrolment for enrolment, _count in rows])
    return Markup(  # noqa: S704 - rendered by an autoescaping template
        render_template(
            "courses/my_learning.html", rows=rows, continue_lessons=continue_lessons, locale=ui_locale()
        )
    )


# The quiz and practice-task pages live in their own modules; they join this blueprint here.
quiz_views.add_routes(bp)
task_views.add_routes(bp)
