"""Trainers' view of their learners: progress (display names only) and essays to mark."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.authoring import services
from lms.authoring.forms import EssayMarkForm
from lms.authoring.views.common import bp, workspace_or_404
from lms.extensions import db


@bp.get("/<slug>/learners")
def learners(slug):
    """The progress of every learner enrolled in the published course."""
    ws = workspace_or_404(slug)
    return render_template("authoring/learners.html", ws=ws, rows=services.learners(ws))


@bp.get("/<slug>/essays")
def essays(slug):
    """Essays waiting for a mark, without the learner's name (blind marking)."""
    ws = workspace_or_404(slug)
    return render_template(
        "authoring/essays.html", ws=ws, essays=services.pending_essays(ws), form=EssayMarkForm(formdata=None)
    )


@bp.post("/<slug>/essays/<int:response_id>")
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
    except LookupError:
        abort(404)
    except services.AuthoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("authoring.essays", slug=slug), 303)
    db.session.commit()
    flash(_("The mark is saved."))
    return redirect(url_for("authoring.essays", slug=slug), 303)
