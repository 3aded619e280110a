"""Trainers' view of their learners: progress (display names only), essays to mark, item analysis."""

import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.permissions import TRAINERS, requires
from lms.authoring import services
from lms.authoring.forms import EssayMarkForm
from lms.authoring.views.common import ui_locale, workspace_or_404
from lms.core.i18n import language_name
from lms.core.pagination import page_number, search_text
from lms.extensions import db
from lms.quizzes.services import ALL, write_item_analysis_csv


@requires(TRAINERS)
def learners(slug):
    """The progress of every learner enrolled in the published course."""
    ws = workspace_or_404(slug)
    search = search_text()
    return render_template(
        "authoring/learners.html", ws=ws, page=services.learners(ws, search, page_number()), search=search
    )


@requires(TRAINERS)
def essays(slug):
    """Essays waiting for a mark, without the learner's name (blind marking)."""
    ws = workspace_or_404(slug)
    page = services.pending_essays(ws, page_number())
    return render_template("authoring/essays.html", ws=ws, page=page, form=EssayMarkForm(formdata=None))


@requires(TRAINERS)
def mark_essay(slug, response_id):
    """Mark one essay of this course (an answer to another course's quiz is not found)."""
    ws = workspace_or_404(slug)
    form = EssayMarkForm()
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            abort(400)
        flash(_("A mark is a percentage from 0 to 100."), "error")
        return redirect(url_for("authoring.essays", slug=slug), 303)
    try:
        services.mark_essay(current_user, ws, response_id, form.mark.data / 100, form.comment.data or "")
    except services.NotFound:
        raise
    except services.AuthoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("authoring.essays", slug=slug), 303)
    db.session.commit()
    flash(_("The mark is saved."))
    return redirect(url_for("authoring.essays", slug=slug), 303)


PHASES = ("pre", "post")


def _phase() -> str | None:
    """Return the knowledge-check attempts asked for: before or after the course, else all."""
    phase = request.args.get("phase") or None
    return phase if phase in PHASES else None


@requires(TRAINERS)
def items(slug):
    """How each question of the course's quizzes performs, per language and overall."""
    ws = workspace_or_404(slug)
    phase = _phase()
    analyses = services.item_analysis(ws, phase)
    locales = sorted({loc for q in analyses for loc in q.analysis.locales})
    locale = request.args.get("locale") or ALL
    if locale not in locales:
        locale = ALL
    return render_template(
        "authoring/items.html",
        ws=ws,
        analyses=analyses,
        locales=locales,
        locale=locale,
        phase=phase,
        ui_locale=ui_locale(),
        language_name=language_name,
    )


@requires(TRAINERS)
def items_csv(slug):
    """The item analysis as CSV (UTF-8 with a byte order mark, so Excel reads Arabic)."""
    ws = workspace_or_404(slug)
    analyses = services.item_analysis(ws, _phase())
    labels = {None: _("Knowledge check")}
    out = io.StringIO()
    out.write("\ufeff")
    write_item_analysis_csv([(q.title_in(ui_locale()) or labels[None], q.analysis) for q in analyses], out)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{slug}-item-analysis.csv"'},
    )


def add_routes(bp: Blueprint) -> None:
    """Add this module's pages to the blueprint (called once by the package's views)."""
    bp.add_url_rule("/<slug>/learners", view_func=learners, methods=["GET"])
    bp.add_url_rule("/<slug>/essays", view_func=essays, methods=["GET"])
    bp.add_url_rule("/<slug>/essays/<int:response_id>", view_func=mark_essay, methods=["POST"])
    bp.add_url_rule("/<slug>/items", view_func=items, methods=["GET"])
    bp.add_url_rule("/<slug>/items.csv", view_func=items_csv, methods=["GET"])
