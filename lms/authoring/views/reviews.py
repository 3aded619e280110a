"""Mentors' review pages: the queue across one's courses, and reviewing one submission."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from lms.accounts import services as accounts
from lms.accounts.permissions import TRAINERS, requires
from lms.authoring import reviews
from lms.authoring.views.common import ui_locale
from lms.core.downloads import send_download
from lms.core.pagination import page_number, search_text
from lms.courses import services as courses
from lms.courses.package import LOCALES
from lms.extensions import db
from lms.tasks import services as tasks


@requires(TRAINERS)
def review_queue():
    """Practice-task submissions waiting for review across the mentor's courses, oldest first."""
    course_slug = request.args.get("course") or None
    locale = request.args.get("lang") or None
    if locale is not None and locale not in LOCALES:
        locale = None
    blind = request.args.get("blind") == "1"
    cohort_id = request.args.get("cohort", type=int)
    cohort_choices = reviews.cohort_choices(current_user)
    if cohort_id not in {c.id for c in cohort_choices}:
        cohort_id = None  # another mentor's cohort, or a tampered id: no filter
    every = reviews.places(current_user)
    course_choices = {m.course.slug: m.course.title_in(ui_locale()) for m in every.values()}
    search = "" if blind else search_text()  # a blind review names nobody, so finds nobody by name
    page = reviews.queue(
        current_user,
        course_slug=course_slug,
        locale=locale,
        cohort_id=cohort_id,
        search=search,
        page=page_number(),
    )
    return render_template(
        "authoring/review_queue.html",
        page=page,
        search=search,
        cohort_choices=cohort_choices,
        cohort_id=cohort_id,
        course_choices=course_choices,
        course_slug=course_slug,
        locale_filter=locale,
        locales=LOCALES,
        blind=blind,
        locale=ui_locale(),
    )


def _review_page(slug, submission, module, *, blind, status=200):
    task = module.task
    latest = submission.versions[-1] if submission.versions else None
    return (
        render_template(
            "tasks/review.html",
            submission=submission,
            module=module,
            course=module.course,
            task=task,
            latest=latest,
            feedback=tasks.feedback(submission),
            changes={v.number: tasks.version_changes(submission, v.number) for v in submission.versions},
            keys=tasks.section_keys(task),
            attachments=tasks.attachments(submission),
            author="" if blind else accounts.user_names([submission.user_id]).get(submission.user_id, ""),
            blind=blind,
            form=FlaskForm(),
            locale=ui_locale(),
            render=lambda md: courses.render_lesson(md, module.course.slug),
        ),
        status,
    )


@requires(TRAINERS)
def review(slug, submission_id):
    """Review one submission with the rubric; of two mentors deciding at once, the second is told."""
    found = reviews.submission_for(current_user, slug, submission_id) or abort(404)
    submission, module = found
    blind = request.values.get("blind") == "1"
    if request.method == "GET":
        return _review_page(slug, submission, module, blind=blind)
    if not FlaskForm().validate_on_submit():
        abort(400)
    lock = request.form.get("lock", "")
    if not lock.isdigit():
        abort(400)
    try:
        tasks.record_decision(
            current_user,
            submission,
            lock=int(lock),
            form=request.form,
            decision=request.form.get("decision", ""),
        )
    except tasks.InvalidReview:
        db.session.rollback()
        abort(400)
    except tasks.TaskError as error:
        db.session.rollback()
        flash(str(error), "error")
        found = reviews.submission_for(current_user, slug, submission_id) or abort(404)
        return _review_page(
            slug, *found, blind=blind, status=409 if isinstance(error, tasks.AlreadyReviewed) else 422
        )
    if submission.status == "approved":
        courses.recheck_completion(accounts.get_user(submission.user_id), module.course)
    db.session.commit()
    flash(_("Your review is saved and the learner can read it."))
    return redirect(url_for("authoring.review_queue", blind="1" if blind else None), 303)


@requires(TRAINERS)
def review_attachment(slug, submission_id, attachment_id):
    """Download an attachment of a submission the mentor may review."""
    submission, _module = reviews.submission_for(current_user, slug, submission_id) or abort(404)
    attachment = tasks.get_attachment(submission, attachment_id) or abort(404)
    return send_download(attachment.data, attachment.content_type, attachment.filename)


def add_routes(bp: Blueprint) -> None:
    """Add this module's pages to the blueprint (called once by the package's views)."""
    bp.add_url_rule("/reviews", view_func=review_queue, methods=["GET"])
    bp.add_url_rule("/<slug>/reviews/<int:submission_id>", view_func=review, methods=["GET", "POST"])
    bp.add_url_rule(
        "/<slug>/reviews/<int:submission_id>/attachments/<int:attachment_id>",
        view_func=review_attachment,
        methods=["GET"],
    )
