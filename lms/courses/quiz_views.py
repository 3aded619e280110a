"""Quiz and assessment pages of a course: start, answer, see the result.

The URLs live here because a module points to its quiz; the quizzes domain knows nothing of
courses and only supplies the services and the form and result macros.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from lms.courses import services
from lms.courses.page_helpers import course_locale, course_or_404, module_with, require_enrolment
from lms.extensions import db
from lms.quizzes import services as quizzes


def _submit(attempt) -> None:
    """Hand in the posted answers once; a tampered form is a 400 that records nothing."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    quizzes.submit_attempt(current_user, attempt, request.form, typed_in=str(get_locale()))


@login_required
def quiz(slug, module_slug):
    """A module quiz: what it asks, the learner's attempts and a button to start."""
    course, _modules, module, state = module_with(slug, module_slug, "quiz")
    enrolment = services.get_enrolment(current_user, course)
    return render_template(
        "courses/quiz.html",
        course=course,
        module=module,
        state=state,
        enrolment=enrolment,
        result=quizzes.best_result(current_user, module.quiz),
        history=quizzes.attempt_history(current_user, module.quiz),
        open_attempt=quizzes.open_attempt(current_user, module.quiz),
        form=FlaskForm(),
        locale=str(get_locale()),
    )


@login_required
def quiz_start(slug, module_slug):
    """Start (or resume) an attempt at a module quiz."""
    course, _modules, module, state = module_with(slug, module_slug, "quiz")
    require_enrolment(course)
    services.require_unlocked(state)
    try:
        attempt = quizzes.start_attempt(current_user, module.quiz, course_locale(course))
    except quizzes.QuizError as error:  # no attempts left, or too busy to hand out a number
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("courses.quiz", slug=slug, module_slug=module_slug), 303)
    db.session.commit()
    return redirect(
        url_for("courses.quiz_attempt", slug=slug, module_slug=module_slug, number=attempt.number), 303
    )


@login_required
def quiz_attempt(slug, module_slug, number):
    """Answer an attempt (GET shows the form, POST hands it in once)."""
    course, modules, module, _state = module_with(slug, module_slug, "quiz")
    attempt = quizzes.get_attempt(current_user, module.quiz, number) or abort(404)
    result_url = url_for("courses.quiz_result", slug=slug, module_slug=module_slug, number=number)
    if request.method == "POST":
        _submit(attempt)
        _done, states = services.learner_states(current_user, course, modules)
        services.update_completion(current_user, course, states)
        db.session.commit()
        return redirect(result_url, 303)
    if attempt.is_submitted:
        return redirect(result_url, 303)
    return render_template(
        "courses/attempt.html",
        course=course,
        title=module.title_in(str(get_locale())),
        back_url=url_for("courses.quiz", slug=slug, module_slug=module_slug),
        view=quizzes.attempt_view(attempt),
        action=request.path,
        locale=str(get_locale()),
    )


@login_required
def quiz_result(slug, module_slug, number):
    """The result of a submitted attempt, with the feedback the quiz allows."""
    course, _modules, module, _state = module_with(slug, module_slug, "quiz")
    attempt = quizzes.get_attempt(current_user, module.quiz, number) or abort(404)
    if not attempt.is_submitted:
        return redirect(
            url_for("courses.quiz_attempt", slug=slug, module_slug=module_slug, number=number), 303
        )
    return render_template(
        "courses/attempt_result.html",
        course=course,
        title=module.title_in(str(get_locale())),
        back_url=url_for("courses.quiz", slug=slug, module_slug=module_slug),
        view=quizzes.result_view(attempt, str(get_locale())),
        result=quizzes.best_result(current_user, module.quiz),
        form=FlaskForm(),
        retry_url=url_for("courses.quiz_start", slug=slug, module_slug=module_slug),
        locale=str(get_locale()),
    )


# Pre/post assessment ---------------------------------------------------------------------------


def _assessment(slug: str):
    course = course_or_404(slug)
    if course.assessment_quiz is None:
        abort(404)
    return course, course.assessment_quiz


def _all_modules_complete(course) -> bool:
    modules = services.load_outline(course)
    _done, states = services.learner_states(current_user, course, modules)
    return all(s.is_complete for s in states)


@login_required
def assessment(slug):
    """The course knowledge check: before the course (optional) and after it."""
    course, quiz = _assessment(slug)
    enrolment = services.get_enrolment(current_user, course)
    history = quizzes.attempt_history(current_user, quiz)
    return render_template(
        "courses/assessment.html",
        course=course,
        enrolment=enrolment,
        scores=quizzes.assessment_scores(current_user, quiz),
        has_pre=any(a.phase == "pre" for a in history),
        has_post=any(a.phase == "post" and a.submitted_at for a in history),
        post_open=_all_modules_complete(course),
        history=history,
        form=FlaskForm(),
        locale=str(get_locale()),
    )


@login_required
def assessment_start(slug, phase):
    """Start the pre-test (before the course) or the post-test (once every module is complete)."""
    course, quiz = _assessment(slug)
    require_enrolment(course)
    if phase == "post" and not _all_modules_complete(course):
        flash(_("The final knowledge check opens when every module is complete."), "error")
        return redirect(url_for("courses.assessment", slug=slug), 303)
    try:
        attempt = quizzes.start_attempt(current_user, quiz, course_locale(course), phase=phase)
    except quizzes.QuizError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("courses.assessment", slug=slug), 303)
    db.session.commit()
    return redirect(url_for("courses.assessment_attempt", slug=slug, number=attempt.number), 303)


@login_required
def assessment_attempt(slug, number):
    """Answer a pre-test or post-test attempt."""
    course, quiz = _assessment(slug)
    attempt = quizzes.get_attempt(current_user, quiz, number) or abort(404)
    result_url = url_for("courses.assessment_result", slug=slug, number=number)
    if request.method == "POST":
        _submit(attempt)
        db.session.commit()
        return redirect(result_url, 303)
    if attempt.is_submitted:
        return redirect(result_url, 303)
    return render_template(
        "courses/attempt.html",
        course=course,
        title=_("Knowledge check"),
        back_url=url_for("courses.assessment", slug=slug),
        view=quizzes.attempt_view(attempt),
        action=request.path,
        locale=str(get_locale()),
    )


@login_required
def assessment_result(slug, number):
    """The score of a pre-test or post-test."""
    course, quiz = _assessment(slug)
    attempt = quizzes.get_attempt(current_user, quiz, number) or abort(404)
    if not attempt.is_submitted:
        return redirect(url_for("courses.assessment_attempt", slug=slug, number=number), 303)
    return render_template(
        "courses/attempt_result.html",
        course=course,
        title=_("Knowledge check"),
        back_url=url_for("courses.assessment", slug=slug),
        view=quizzes.result_view(attempt, str(get_locale())),
        result=None,
        form=FlaskForm(),
        retry_url=None,
        locale=str(get_locale()),
    )


def add_routes(bp: Blueprint) -> None:
    """Add this module's pages to the blueprint (called once by the package's views)."""
    bp.add_url_rule("/courses/<slug>/<module_slug>/quiz", view_func=quiz, methods=["GET"])
    bp.add_url_rule("/courses/<slug>/<module_slug>/quiz/start", view_func=quiz_start, methods=["POST"])
    bp.add_url_rule(
        "/courses/<slug>/<module_slug>/quiz/attempts/<int:number>",
        view_func=quiz_attempt,
        methods=["GET", "POST"],
    )
    bp.add_url_rule(
        "/courses/<slug>/<module_slug>/quiz/attempts/<int:number>/result",
        view_func=quiz_result,
        methods=["GET"],
    )
    bp.add_url_rule("/courses/<slug>/assessment", view_func=assessment, methods=["GET"])
    bp.add_url_rule(
        "/courses/<slug>/assessment/<any(pre, post):phase>/start",
        view_func=assessment_start,
        methods=["POST"],
    )
    bp.add_url_rule(
        "/courses/<slug>/assessment/attempts/<int:number>",
        view_func=assessment_attempt,
        methods=["GET", "POST"],
    )
    bp.add_url_rule(
        "/courses/<slug>/assessment/attempts/<int:number>/result",
        view_func=assessment_result,
        methods=["GET"],
    )
