"""Modules, lessons, translations and the learner's-eye preview."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.permissions import TRAINERS, requires
from lms.authoring import layout, services, structure
from lms.authoring.forms import AddForm, ConfirmForm, LessonForm, module_form
from lms.authoring.views.common import (
    any_locale_or_404,
    base_of,
    content_dir,
    course_locale_or_404,
    lesson_or_404,
    media_url,
    module_or_404,
    ui_locale,
    workspace_or_404,
)
from lms.core import markdown
from lms.core.pagination import page_number, search_text
from lms.courses.package import LOCALES, QuizSettings
from lms.extensions import db

MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def _back_to_course(slug, anchor=None):
    return redirect(url_for("authoring.course", slug=slug, _anchor=anchor), 303)


# Modules ---------------------------------------------------------------------------------------


@requires(TRAINERS)
def add_module(slug):
    """Add a module at the end of the course."""
    ws = workspace_or_404(slug)
    info = services.outline(ws)
    form = AddForm()
    if not form.validate_on_submit():
        flash(_("Give the module a slug (lowercase letters, digits, hyphens) and a title."), "error")
        return _back_to_course(slug)
    if info.module(form.slug.data):
        flash(_("Another module has this slug."), "error")
        return _back_to_course(slug)
    titles = {info.default_locale: form.title.data.strip()}
    services.apply(
        current_user, ws, structure.add_module(info, form.slug.data, titles), "module.add", form.slug.data
    )
    db.session.commit()
    flash(_("The module is added. Give it its first lesson."))
    return redirect(url_for("authoring.module", slug=slug, module_slug=form.slug.data), 303)


@requires(TRAINERS)
def module(slug, module_slug):
    """A module: titles per language, lock, quiz settings, lessons."""
    ws = workspace_or_404(slug)
    info = services.outline(ws)
    mod = module_or_404(info, module_slug)
    form = module_form()()
    if request.method == "GET":
        form.requires_previous.data = mod.requires_previous
        quiz = mod.quiz_settings or QuizSettings()
        form.quiz_pass_mark.data, form.quiz_max_attempts.data = quiz.pass_mark, quiz.max_attempts
        form.quiz_shuffle.data, form.quiz_questions_per_attempt.data = (
            quiz.shuffle,
            quiz.questions_per_attempt,
        )
        form.quiz_shuffle_choices.data = quiz.shuffle_choices
        form.quiz_feedback.data, form.quiz_grading.data = quiz.feedback, quiz.grading
        for code in LOCALES:
            form[f"title_{code}"].data = mod.titles.get(code, "")
    elif form.validate_on_submit():
        mod.titles = {
            c: form[f"title_{c}"].data.strip() for c in LOCALES if (form[f"title_{c}"].data or "").strip()
        }
        mod.requires_previous = form.requires_previous.data
        if mod.quizzes or mod.quiz_settings is not None:
            mod.quiz_settings = QuizSettings(
                pass_mark=form.quiz_pass_mark.data,
                max_attempts=form.quiz_max_attempts.data,
                shuffle=form.quiz_shuffle.data,
                shuffle_choices=form.quiz_shuffle_choices.data,
                questions_per_attempt=form.quiz_questions_per_attempt.data,
                feedback=form.quiz_feedback.data,
                grading=form.quiz_grading.data,
            )
        changes = {f"{mod.dirname}/module.toml": layout.module_toml(mod, info.locales)}
        services.apply(current_user, ws, changes, "module.edit", mod.slug)
        db.session.commit()
        flash(_("The module is saved in the draft."))
        return redirect(url_for("authoring.module", slug=slug, module_slug=module_slug), 303)
    return render_template(
        "authoring/module.html",
        ws=ws,
        info=info,
        module=mod,
        form=form,
        add_form=AddForm(formdata=None),
        move_form=ConfirmForm(formdata=None),
        locales=LOCALES,
    )


@requires(TRAINERS)
def move_module(slug, module_slug):
    """Move a module up or down; renumbering keeps learners' progress (keyed by lesson slug)."""
    ws = workspace_or_404(slug)
    files = services.current_files(ws)
    info = services.outline(ws, files)
    mod = module_or_404(info, module_slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    step = -1 if request.form.get("direction") == "up" else 1
    services.apply(
        current_user, ws, structure.move_module(info, files, mod.slug, step), "module.move", mod.slug
    )
    db.session.commit()
    return _back_to_course(slug, f"module-{mod.slug}")


@requires(TRAINERS)
def delete_module(slug, module_slug):
    """Delete a module and its lessons and quiz, after a confirmation."""
    ws = workspace_or_404(slug)
    files = services.current_files(ws, media=False)
    info = services.outline(ws, files)
    mod = module_or_404(info, module_slug)
    form = ConfirmForm()
    if form.validate_on_submit() and form.confirm.data:
        services.apply(current_user, ws, structure.delete_module(files, mod), "module.delete", mod.slug)
        db.session.commit()
        flash(_("The module is deleted from the draft. The history keeps its files."))
        return _back_to_course(slug)
    what = mod.title_in(ui_locale(), info.default_locale)
    return render_template(
        "authoring/confirm_delete.html", ws=ws, form=form, what=what, count=len(mod.lessons)
    )


# Lessons ---------------------------------------------------------------------------------------


@requires(TRAINERS)
def add_lesson(slug, module_slug):
    """Add a lesson at the end of a module, in the course's main language."""
    ws = workspace_or_404(slug)
    info = services.outline(ws)
    mod = module_or_404(info, module_slug)
    form = AddForm()
    if not form.validate_on_submit():
        flash(_("Give the lesson a slug (lowercase letters, digits, hyphens) and a title."), "error")
        return redirect(url_for("authoring.module", slug=slug, module_slug=module_slug), 303)
    if info.lesson(form.slug.data):
        flash(_("Another lesson of this course has this slug: lesson slugs are unique in a course."), "error")
        return redirect(url_for("authoring.module", slug=slug, module_slug=module_slug), 303)
    changes = structure.add_lesson(mod, form.slug.data, form.title.data.strip(), info.default_locale)
    services.apply(current_user, ws, changes, "lesson.add", form.slug.data)
    db.session.commit()
    return redirect(
        url_for(
            "authoring.lesson",
            slug=slug,
            module_slug=module_slug,
            lesson_slug=form.slug.data,
            locale=info.default_locale,
        ),
        303,
    )


@requires(TRAINERS)
def lesson(slug, module_slug, lesson_slug, locale):
    """Edit a lesson in one language, its source language beside it, with a safe preview."""
    ws = workspace_or_404(slug)
    files = services.current_files(ws, media=False)
    info = services.outline(ws, files)
    mod = module_or_404(info, module_slug)
    item = lesson_or_404(mod, lesson_slug)
    locale = course_locale_or_404(info, locale)
    path = layout.lesson_file_for(mod, item, locale)
    source_path = layout.lesson_file_for(mod, item, info.default_locale)
    form = LessonForm()
    preview, status = None, 200
    if request.method == "GET":
        form.body.data = layout.text(files.get(path))
        form.base.data = layout.sha256(files[path]) if path in files else ""
    elif form.validate_on_submit():
        body = (form.body.data or "").replace("\r\n", "\n")
        form.body.data = body
        if request.form.get("action") == "preview":
            preview = markdown.render(body, media_url=media_url(slug))
        elif markdown.title_of(body) is None:
            form.body.errors = [_("The first line starting with “# ” is the lesson's title: add one.")]
        else:
            try:
                services.save_file(current_user, ws, path, body.encode(), base_of(form), "lesson.edit", path)
            except services.Conflict as error:
                db.session.rollback()
                form.form_errors.append(str(error))
                current = services.current_files(ws, media=False).get(path)
                form.base.data = layout.sha256(current) if current is not None else ""
                status = 409
            else:
                db.session.commit()
                flash(_("The lesson is saved in the draft."))
                return redirect(request.path, 303)
    state, source_changes = services.source_changes(ws, files, path, source_path)
    return (
        render_template(
            "authoring/lesson.html",
            ws=ws,
            info=info,
            module=mod,
            lesson=item,
            locale=locale,
            path=path,
            form=form,
            preview=preview,
            state=state,
            source=layout.text(files.get(source_path)) if locale != info.default_locale else None,
            source_changes=source_changes,
            content_dir=content_dir,
        ),
        status,
    )


@requires(TRAINERS)
def move_lesson(slug, module_slug, lesson_slug):
    """Move a lesson up or down in its module."""
    ws = workspace_or_404(slug)
    files = services.current_files(ws, media=False)
    info = services.outline(ws, files)
    mod = module_or_404(info, module_slug)
    item = lesson_or_404(mod, lesson_slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    step = -1 if request.form.get("direction") == "up" else 1
    services.apply(
        current_user, ws, structure.move_lesson(mod, files, item.slug, step), "lesson.move", item.slug
    )
    db.session.commit()
    return redirect(url_for("authoring.module", slug=slug, module_slug=module_slug), 303)


@requires(TRAINERS)
def delete_lesson(slug, module_slug, lesson_slug):
    """Delete a lesson in every language, after a confirmation."""
    ws = workspace_or_404(slug)
    info = services.outline(ws)
    mod = module_or_404(info, module_slug)
    item = lesson_or_404(mod, lesson_slug)
    form = ConfirmForm()
    if form.validate_on_submit() and form.confirm.data:
        services.apply(current_user, ws, structure.delete_lesson(item), "lesson.delete", item.slug)
        db.session.commit()
        flash(_("The lesson is deleted from the draft. Its history can bring it back."))
        return redirect(url_for("authoring.module", slug=slug, module_slug=module_slug), 303)
    what = item.title_in(ui_locale(), info.default_locale)
    return render_template("authoring/confirm_delete.html", ws=ws, form=form, what=what, count=None)


@requires(TRAINERS)
def lesson_history(slug, module_slug, lesson_slug):
    """Every saved state of a lesson, in every language."""
    ws = workspace_or_404(slug)
    info = services.outline(ws)
    mod = module_or_404(info, module_slug)
    item = lesson_or_404(mod, lesson_slug)
    return render_template(
        "authoring/lesson_history.html",
        ws=ws,
        info=info,
        module=mod,
        lesson=item,
        page=services.lesson_history(ws, item.slug, search=search_text(), page=page_number()),
        search=search_text(),
    )


# Translations and preview ----------------------------------------------------------------------


@requires(TRAINERS)
def translations(slug):
    """What is missing and what is stale, per language."""
    ws = workspace_or_404(slug)
    info, rows = services.translation_table(ws)
    return render_template("authoring/translations.html", ws=ws, info=info, rows=rows, locale=ui_locale())


@requires(TRAINERS)
def preview_course(slug, locale):
    """The draft's outline as a learner reading in this language would see it."""
    ws = workspace_or_404(slug)
    locale = any_locale_or_404(locale)
    info = services.outline(ws)
    return render_template(
        "authoring/preview_course.html", ws=ws, info=info, locale=locale, content_dir=content_dir(locale)
    )


@requires(TRAINERS)
def preview_lesson(slug, locale, module_slug, lesson_slug):
    """A draft lesson exactly as a learner would see it, through the learners' sanitiser."""
    ws = workspace_or_404(slug)
    locale = any_locale_or_404(locale)
    files = services.current_files(ws, media=False)
    info = services.outline(ws, files)
    mod = module_or_404(info, module_slug)
    item = lesson_or_404(mod, lesson_slug)
    shown = locale if locale in item.files else info.default_locale
    path = item.files.get(shown) or abort(404)
    sequence = [(m, lesson) for m in info.modules for lesson in m.lessons]
    index = next(i for i, (m, lesson) in enumerate(sequence) if lesson.slug == item.slug)
    return render_template(
        "authoring/preview_lesson.html",
        ws=ws,
        info=info,
        module=mod,
        lesson=item,
        locale=locale,
        shown=shown,
        html=markdown.render(layout.text(files[path]), media_url=media_url(slug)),
        previous=sequence[index - 1] if index > 0 else None,
        next=sequence[index + 1] if index + 1 < len(sequence) else None,
        content_dir=content_dir(shown),
    )


def add_routes(bp: Blueprint) -> None:
    """Add this module's pages to the blueprint (called once by the package's views)."""
    bp.add_url_rule("/<slug>/modules", view_func=add_module, methods=["POST"])
    bp.add_url_rule("/<slug>/modules/<module_slug>/", view_func=module, methods=["GET", "POST"])
    bp.add_url_rule("/<slug>/modules/<module_slug>/move", view_func=move_module, methods=["POST"])
    bp.add_url_rule("/<slug>/modules/<module_slug>/delete", view_func=delete_module, methods=["GET", "POST"])
    bp.add_url_rule("/<slug>/modules/<module_slug>/lessons", view_func=add_lesson, methods=["POST"])
    bp.add_url_rule(
        "/<slug>/modules/<module_slug>/lessons/<lesson_slug>/<locale>",
        view_func=lesson,
        methods=["GET", "POST"],
    )
    bp.add_url_rule(
        "/<slug>/modules/<module_slug>/lessons/<lesson_slug>/move", view_func=move_lesson, methods=["POST"]
    )
    bp.add_url_rule(
        "/<slug>/modules/<module_slug>/lessons/<lesson_slug>/delete",
        view_func=delete_lesson,
        methods=["GET", "POST"],
    )
    bp.add_url_rule(
        "/<slug>/modules/<module_slug>/lessons/<lesson_slug>/history",
        view_func=lesson_history,
        methods=["GET"],
    )
    bp.add_url_rule("/<slug>/translations", view_func=translations, methods=["GET"])
    bp.add_url_rule("/<slug>/preview/<locale>/", view_func=preview_course, methods=["GET"])
    bp.add_url_rule(
        "/<slug>/preview/<locale>/<module_slug>/<lesson_slug>", view_func=preview_lesson, methods=["GET"]
    )
