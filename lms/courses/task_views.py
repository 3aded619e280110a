"""Practice-task pages of a course: the brief, the learner's draft, submission and feedback, and
peer reviews.

The URLs live here because a module points to its task; the tasks domain knows nothing of
courses and supplies the services and the rubric macros.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from lms.core.downloads import send_download
from lms.courses import services, signals
from lms.courses.page_helpers import course_locale, module_with, require_enrolment
from lms.extensions import db
from lms.tasks import services as tasks

FILE_REFUSALS = {
    "empty": lambda: _("The file is empty."),
    "too_big": lambda: _("The file is larger than 5 MB."),
    "type": lambda: _("Attach a PDF, DOCX or ODT file."),
    "disguised": lambda: _(
        "The file's content is not what its name says: attach a real PDF, DOCX or ODT file."
    ),
    "encrypted": lambda: _("The file is encrypted or protected by a password: attach it without one."),
}


def _page(course, module, state, submission, *, draft=None, status=200):
    task = module.task
    locale = str(get_locale())
    enrolment = services.get_enrolment(current_user, course)
    feedback = tasks.feedback(submission)
    changes = {f.version.number: tasks.version_changes(submission, f.version.number) for f in feedback}
    return (
        render_template(
            "tasks/task.html",
            course=course,
            module=module,
            task=task,
            state=state,
            enrolment=enrolment,
            submission=submission,
            draft=draft if draft is not None else (submission.draft if submission else {}),
            keys=tasks.section_keys(task),
            feedback=feedback,
            changes=changes,
            assignments=tasks.peer_assignments(current_user, task) if task.review == "mentor+peer" else [],
            attachments=tasks.attachments(submission),
            form=FlaskForm(),
            locale=locale,
            render=lambda md: services.render_lesson(md, course.slug),
        ),
        status,
    )


@login_required
def task(slug, module_slug):
    """A practice task: the brief, the answer form (or the version waiting), and the feedback."""
    course, _modules, module, state = module_with(slug, module_slug, "task")
    return _page(course, module, state, tasks.get_submission(current_user, module.task))


@login_required
def task_save(slug, module_slug):
    """Save the draft, or submit it as a new version; a refused submit keeps the draft."""
    course, modules, module, state = module_with(slug, module_slug, "task")
    if not FlaskForm().validate_on_submit():
        abort(400)
    require_enrolment(course)
    services.require_unlocked(state)
    action = request.form.get("action")
    if action not in ("save", "submit"):
        abort(400)
    here = url_for("courses.task", slug=slug, module_slug=module_slug)
    # Peers review work of the same course and, for a cohort's member, of the same cohort.
    group = signals.peer_group_for(current_app._get_current_object(), current_user, course)
    where = {"locale": course_locale(course), "context": f"{course.slug}#{group}" if group else course.slug}
    upload = request.files.get("attachment")
    checked = None
    if upload is not None and upload.filename and module.task.has_attachments:
        try:
            checked = tasks.check_file(upload.filename, upload.read(tasks.MAX_FILE_BYTES + 1))
        except tasks.FileRefused as refused:
            # The text is kept; the file and the submit are refused with the reason.
            try:
                tasks.save_draft(current_user, module.task, request.form, **where)
            except tasks.TaskError:
                db.session.rollback()
            else:
                db.session.commit()
            flash(FILE_REFUSALS[refused.reason](), "error")
            return redirect(here, 303)
    try:
        if action == "save":
            tasks.save_draft(current_user, module.task, request.form, attachment=checked, **where)
            message = _("Your draft is saved.")
        else:
            tasks.submit(current_user, module.task, request.form, attachment=checked, **where)
            message = _("Your answer is submitted. A mentor will review it.")
    except tasks.OverWordLimit as error:
        # The draft was saved before the check: keep it, say why the submit was refused.
        db.session.commit()
        flash(str(error), "error")
        return redirect(here, 303)
    except tasks.TaskError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _page(
            course,
            module,
            state,
            tasks.get_submission(current_user, module.task),
            draft=request.form,
            status=422,
        )
    db.session.commit()
    flash(message)
    return redirect(here, 303)


@login_required
def task_attachment(slug, module_slug, attachment_id):
    """Download an attachment of one's own submission."""
    _course, _modules, module, _state = module_with(slug, module_slug, "task")
    submission = tasks.get_submission(current_user, module.task) or abort(404)
    attachment = tasks.get_attachment(submission, attachment_id) or abort(404)
    return send_download(attachment.data, attachment.content_type, attachment.filename)


@login_required
def task_peer_request(slug, module_slug):
    """Ask for one's share of other learners' work to review (after submitting one's own)."""
    _course, _modules, module, _state = module_with(slug, module_slug, "task")
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        found = tasks.request_peer_work(current_user, module.task)
    except tasks.TaskError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        if not found:
            flash(_("No other answer is waiting for a review from you now. Come back later."))
    return redirect(url_for("courses.task", slug=slug, module_slug=module_slug, _anchor="peers"), 303)


@login_required
def task_peer(slug, module_slug, assignment_id):
    """Review another learner's work, anonymised: scores and a comment, advice only."""
    course, _modules, module, _state = module_with(slug, module_slug, "task")
    assignment = tasks.get_peer_assignment(current_user, module.task, assignment_id) or abort(404)
    here = url_for("courses.task_peer", slug=slug, module_slug=module_slug, assignment_id=assignment_id)
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            tasks.record_peer_review(current_user, assignment, request.form)
        except tasks.InvalidReview:
            db.session.rollback()
            abort(400)
        except tasks.TaskError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(here, 303)
        db.session.commit()
        flash(_("Thank you: your review is saved."))
        return redirect(url_for("courses.task", slug=slug, module_slug=module_slug), 303)
    _submission, version = tasks.peer_submission(assignment)
    return render_template(
        "tasks/peer.html",
        course=course,
        module=module,
        task=module.task,
        version=version,
        is_done=assignment.done_at is not None,
        keys=tasks.section_keys(module.task),
        form=FlaskForm(),
        locale=str(get_locale()),
        render=lambda md: services.render_lesson(md, course.slug),
    )


def add_routes(bp: Blueprint) -> None:
    """Add this module's pages to the blueprint (called once by the package's views)."""
    bp.add_url_rule("/courses/<slug>/<module_slug>/task", view_func=task, methods=["GET"])
    bp.add_url_rule("/courses/<slug>/<module_slug>/task", view_func=task_save, methods=["POST"])
    bp.add_url_rule(
        "/courses/<slug>/<module_slug>/task/attachments/<int:attachment_id>",
        view_func=task_attachment,
        methods=["GET"],
    )
    bp.add_url_rule("/courses/<slug>/<module_slug>/task/peer", view_func=task_peer_request, methods=["POST"])
    bp.add_url_rule(
        "/courses/<slug>/<module_slug>/task/peer/<int:assignment_id>",
        view_func=task_peer,
        methods=["GET", "POST"],
    )
