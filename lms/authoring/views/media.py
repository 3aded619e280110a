"""A course's images: the media/ folder, upload (checked by content, metadata stripped), delete."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from lms.accounts.permissions import TRAINERS, requires
from lms.authoring import images, services
from lms.authoring.forms import ConfirmForm, UploadForm
from lms.authoring.views.common import workspace_or_404
from lms.core.security import accepts_upload
from lms.courses.package import MEDIA_MAX_BYTES
from lms.extensions import db

MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


@requires(TRAINERS)
def media(slug):
    """The course's images, with an upload form."""
    ws = workspace_or_404(slug)
    return render_template(
        "authoring/media.html",
        ws=ws,
        names=services.media_names(ws),
        form=UploadForm(),
        delete_form=ConfirmForm(formdata=None),
        limit=MEDIA_MAX_BYTES,
    )


@accepts_upload(2 * MEDIA_MAX_BYTES)  # a little too large gets a message; far too large, 413
@requires(TRAINERS)
def upload_media(slug):
    """Upload an image: its type is checked by content, its metadata stripped, its size limited."""
    ws = workspace_or_404(slug)
    try:
        form = UploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        valid = None
    if valid is None:
        flash(str(services.IMAGE_ERRORS["too-large"]), "error")
    elif not valid:
        flash(_("Choose an image to upload."), "error")
    else:
        data = form.file.data.stream.read(MEDIA_MAX_BYTES + 1)
        try:
            name = services.upload_media(current_user, ws, form.file.data.filename, data)
        except services.AuthoringError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The image is saved as media/%(name)s.", name=name))
    return redirect(url_for("authoring.media", slug=slug), 303)


@requires(TRAINERS)
def media_file(slug, name):
    """One image of the draft (only the course's own)."""
    ws = workspace_or_404(slug)
    data = services.media_data(ws, name)
    if data is None:
        abort(404)
    kind = images.sniff(data)
    if kind is None:
        abort(404)
    return Response(data, mimetype=MEDIA_TYPES[kind], headers={"Content-Disposition": "inline"})


@requires(TRAINERS)
def delete_media(slug, name):
    """Delete an image from the draft's media/."""
    ws = workspace_or_404(slug)
    if name not in services.media_names(ws):
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.apply(current_user, ws, {f"media/{name}": None}, "media.delete", name)
    db.session.commit()
    flash(_("The image is deleted. Lessons that show it need another one before publishing."))
    return redirect(url_for("authoring.media", slug=slug), 303)


def add_routes(bp: Blueprint) -> None:
    """Add this module's pages to the blueprint (called once by the package's views)."""
    bp.add_url_rule("/<slug>/media", view_func=media, methods=["GET"])
    bp.add_url_rule("/<slug>/media", view_func=upload_media, methods=["POST"])
    bp.add_url_rule("/<slug>/media/<name>", view_func=media_file, methods=["GET"])
    bp.add_url_rule("/<slug>/media/<name>/delete", view_func=delete_media, methods=["POST"])
