"""Quiz banks: questions side by side with their source, a form per type, GIFT or Aiken imports.

A module quiz lives at /<slug>/modules/<module>/quiz/<locale>, the course assessment at
/<slug>/assessment/<locale>; the same views serve both.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.accounts.permissions import TRAINERS, requires
from lms.authoring import layout, questions, services
from lms.authoring.forms import QTYPE_NAMES, ConfirmForm, SourceForm
from lms.authoring.question_forms import QuestionForm
from lms.authoring.views.common import (
    base_of,
    content_dir,
    course_locale_or_404,
    module_or_404,
    workspace_or_404,
)
from lms.core.security import accepts_upload
from lms.extensions import db
from lms.quizzes import gift

ASSESSMENT = {"module_slug": None}


def _bank(slug: str, module_slug: str | None, locale: str):
    """Return the workspace, files, outline, module (None: assessment), bank path and source path."""
    ws = workspace_or_404(slug)
    files = services.current_files(ws, media=False)
    info = services.outline(ws, files)
    locale = course_locale_or_404(info, locale)
    if module_slug is None:
        return ws, files, info, None, f"assessment.{locale}.gift", f"assessment.{info.default_locale}.gift"
    mod = module_or_404(info, module_slug)
    return ws, files, info, mod, mod.quiz_path(locale), mod.quiz_path(info.default_locale)


def _bank_url(endpoint: str, slug: str, module_slug: str | None, locale: str, **kw) -> str:
    return url_for(endpoint, slug=slug, module_slug=module_slug, locale=locale, **kw)


@requires(TRAINERS)
def quiz(slug, module_slug, locale):
    """A quiz bank in one language, each question beside its source-language question."""
    ws, files, info, mod, path, source_path = _bank(slug, module_slug, locale)
    text = layout.text(files.get(path))
    return render_template(
        "authoring/quiz.html",
        ws=ws,
        info=info,
        module=mod,
        locale=locale,
        path=path,
        is_source=path == source_path,
        rows=services.bank_rows(ws, files, path, source_path),
        errors=gift.check(text) if text else [],
        qtypes=QTYPE_NAMES,
        form=ConfirmForm(formdata=None),
        content_dir=content_dir,
    )


@requires(TRAINERS)
def question(slug, module_slug, locale):
    """Add or edit one question with a form for its type (?qtype=... to add, ?qid=... to edit)."""
    ws, files, info, mod, path, source_path = _bank(slug, module_slug, locale)
    qid = request.args.get("qid")
    place = services.question_place(files, path, source_path, qid, request.args.get("qtype"), QTYPE_NAMES)
    form = QuestionForm()
    status = 200
    is_translation = path != source_path
    if request.method == "GET":
        if place.original or place.from_source:
            form.fill(place.original or place.from_source, fixed=is_translation)
            if place.key is not None and place.key.qtype != "truefalse":
                # A translation that lost a choice or a pair gets its row back to fill in.
                while len(form.answers.entries) < len(place.key.answers):
                    form.answers.append_entry()
                while len(form.pairs.entries) < len(place.key.pairs):
                    form.pairs.append_entry()
        else:
            form.add_rows(place.qtype)
            if place.qtype == "multichoice":
                form.answers.entries[0].form.percent.data = 100
        form.base.data = layout.sha256(files[path]) if path in files else ""
    elif form.validate_on_submit():
        new_id = qid if path != source_path and qid else form.qid.data.strip()
        form.qid.data = new_id
        if new_id != qid and new_id in place.bank:
            form.qid.errors = [_("Another question of this quiz has this id.")]
        elif (built := form.question(place.qtype, key=place.key)) is not None:
            try:
                problems = services.save_question(
                    current_user,
                    ws,
                    files,
                    path,
                    source_path,
                    built,
                    replacing=qid if place.original else None,
                    base_sha=base_of(form),
                )
            except services.Conflict as error:
                db.session.rollback()
                form.form_errors.append(str(error))
                status = 409
            else:
                form.form_errors += problems
                if not problems:
                    db.session.commit()
                    flash(_("The question is saved in the draft."))
                    return redirect(_bank_url("authoring.quiz", slug, module_slug, locale), 303)
        form.add_rows(place.qtype, len(form.answers.entries), len(form.pairs.entries), fixed=is_translation)
    return (
        render_template(
            "authoring/question.html",
            ws=ws,
            info=info,
            module=mod,
            locale=locale,
            qtype=place.qtype,
            qtype_name=QTYPE_NAMES[place.qtype],
            form=form,
            is_translation=is_translation,
            source=place.key,
            content_dir=content_dir,
        ),
        status,
    )


@requires(TRAINERS)
def delete_question(slug, module_slug, locale, qid):
    """Delete a question from the quiz in every language (ids stay aligned)."""
    ws, files, info, mod, path, _source_path = _bank(slug, module_slug, locale)
    if qid not in {q.id for q in questions.parse(layout.text(files.get(path)))}:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit() or not form.confirm.data:
        flash(_("Tick the box to confirm."), "error")
        return redirect(_bank_url("authoring.quiz", slug, module_slug, locale), 303)
    paths = [mod.quiz_path(code) if mod else f"assessment.{code}.gift" for code in info.locales]
    changes = services.without_question(files, paths, qid)
    services.apply(current_user, ws, changes, "quiz.delete", f"{path}#{qid}")
    db.session.commit()
    flash(_("The question is deleted in every language."))
    return redirect(_bank_url("authoring.quiz", slug, module_slug, locale), 303)


@accepts_upload(1024 * 1024)  # a GIFT file of up to 400 kB, or pasted text
@requires(TRAINERS)
def quiz_source(slug, module_slug, locale):
    """Paste or upload GIFT or Aiken questions; errors are shown by line and nothing is saved."""
    ws, files, info, mod, path, source_path = _bank(slug, module_slug, locale)
    form = SourceForm()
    errors: list[str] = []
    current = layout.text(files.get(path))
    if form.validate_on_submit():
        raw = form.text.data or ""
        if form.file.data:
            try:
                raw = form.file.data.stream.read(400_000).decode("utf-8")
            except UnicodeDecodeError:
                errors.append(_("The file is not UTF-8: save it as UTF-8."))
        if not errors:
            name = form.file.data.filename if form.file.data else _("pasted text")
            text, count, errors = services.merge_source(
                files, path, source_path, raw, kind=form.kind.data, mode=form.mode.data, name=name
            )
        if not errors:
            services.apply(current_user, ws, {path: text.encode()}, "quiz.source", path, reviewed={path})
            db.session.commit()
            flash(
                ngettext(
                    "%(num)d question is saved in the draft.",
                    "%(num)d questions are saved in the draft.",
                    count,
                )
            )
            return redirect(_bank_url("authoring.quiz", slug, module_slug, locale), 303)
    return render_template(
        "authoring/quiz_source.html",
        ws=ws,
        info=info,
        module=mod,
        locale=locale,
        path=path,
        form=form,
        errors=errors,
        current=current,
        content_dir=content_dir,
    )


def add_routes(bp: Blueprint) -> None:
    """Add this module's pages to the blueprint (called once by the package's views)."""
    bp.add_url_rule(
        "/<slug>/modules/<module_slug>/quiz/<locale>", view_func=quiz, methods=["GET"], endpoint="quiz"
    )
    bp.add_url_rule(
        "/<slug>/assessment/<locale>", view_func=quiz, methods=["GET"], defaults=ASSESSMENT, endpoint="quiz"
    )
    bp.add_url_rule(
        "/<slug>/modules/<module_slug>/quiz/<locale>/question",
        view_func=question,
        methods=["GET", "POST"],
        endpoint="question",
    )
    bp.add_url_rule(
        "/<slug>/assessment/<locale>/question",
        view_func=question,
        methods=["GET", "POST"],
        defaults=ASSESSMENT,
        endpoint="question",
    )
    bp.add_url_rule(
        "/<slug>/modules/<module_slug>/quiz/<locale>/questions/<qid>/delete",
        view_func=delete_question,
        methods=["POST"],
        endpoint="delete_question",
    )
    bp.add_url_rule(
        "/<slug>/assessment/<locale>/questions/<qid>/delete",
        view_func=delete_question,
        methods=["POST"],
        defaults=ASSESSMENT,
        endpoint="delete_question",
    )
    bp.add_url_rule(
        "/<slug>/modules/<module_slug>/quiz/<locale>/source",
        view_func=quiz_source,
        methods=["GET", "POST"],
        endpoint="quiz_source",
    )
    bp.add_url_rule(
        "/<slug>/assessment/<locale>/source",
        view_func=quiz_source,
        methods=["GET", "POST"],
        defaults=ASSESSMENT,
        endpoint="quiz_source",
    )
