"""Courses in the editor: list, create, import, settings, owners, history, publish, export."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from lms.accounts.permissions import TRAINERS, requires
from lms.authoring import layout, reviews, services
from lms.authoring.forms import ConfirmForm, NewCourseForm, OwnerForm, PublishForm, UploadForm, settings_form
from lms.authoring.views.common import ui_locale, workspace_or_404
from lms.core.pagination import page_number, search_text
from lms.core.security import accepts_upload
from lms.courses import archive
from lms.courses.package import LOCALES
from lms.extensions import db


def _index(new_form=None, upload_form=None, problems=None, status=200):
    return (
        render_template(
            "authoring/index.html",
            courses=services.my_courses(current_user, ui_locale()),
            reviews_waiting=reviews.waiting(current_user),
            new_form=new_form or NewCourseForm(),
            upload_form=upload_form or UploadForm(),
            problems=problems or [],
        ),
        status,
    )


@requires(TRAINERS)
def index():
    """The courses the trainer may edit, with forms to start or import one."""
    return _index()


@requires(TRAINERS)
def new_course():
    """Start a new course; its creator becomes its owner."""
    form = NewCourseForm()
    if not form.validate_on_submit():
        return _index(new_form=form)
    try:
        services.create_course(
            current_user,
            form.slug.data,
            form.default_locale.data,
            form.locales.data or [],
            form.title.data,
            form.summary.data,
        )
    except services.AuthoringError as error:
        db.session.rollback()
        form.slug.errors = [*form.slug.errors, str(error)]
        return _index(new_form=form)
    db.session.commit()
    flash(_("The course is created. Add its first module."))
    return redirect(url_for("authoring.course", slug=form.slug.data), 303)


@accepts_upload(archive.MAX_BYTES + 1024 * 1024)
@requires(TRAINERS)
def import_zip():
    """Import a course .zip into the course's draft, checked as `flask courses import` checks it."""
    try:
        form = UploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return _index(problems=[_("The file is too large.")])
    if not valid:
        return _index(upload_form=form)
    try:
        ws = services.import_zip(current_user, form.file.data.stream, form.file.data.filename)
    except services.Problems as error:
        db.session.rollback()
        return _index(upload_form=form, problems=[str(error), *error.problems])
    except services.AuthoringError as error:
        db.session.rollback()
        return _index(upload_form=form, problems=[str(error)])
    db.session.commit()
    flash(_("The course is imported into its draft. Check it, then publish it."))
    return redirect(url_for("authoring.course", slug=ws.slug), 303)


@requires(TRAINERS)
def course(slug):
    """A course's outline, state, problems and owners."""
    ws = workspace_or_404(slug)
    info = services.outline(ws)
    return render_template(
        "authoring/course.html",
        ws=ws,
        info=info,
        problems=services.check(ws),
        has_changes=services.has_unpublished_changes(ws),
        owners=services.owners(slug),
        owner_form=OwnerForm(),
        form=ConfirmForm(),
        locale=ui_locale(),
    )


@requires(TRAINERS)
def settings(slug):
    """Titles and summaries per language, languages, pass mark, certificate."""
    ws = workspace_or_404(slug)
    info = services.outline(ws)
    form = settings_form(info.locales)()
    if request.method == "GET":
        current = info.settings
        form.locales.data, form.default_locale.data = list(current["locales"]), current["default_locale"]
        form.topic.data, form.estimated_minutes.data = current["topic"], current["estimated_minutes"]
        form.pass_mark.data, form.certificate.data = current["pass_mark"], current["certificate"]
        form.certificate_valid_years.data = current["certificate_valid_years"]
        for code in LOCALES:
            form[f"title_{code}"].data = current["titles"].get(code, "")
            form[f"summary_{code}"].data = current["summaries"].get(code, "")
    elif form.validate_on_submit():
        chosen = [code for code in LOCALES if code in form.locales.data]
        new = dict(info.settings)
        new.update(
            default_locale=form.default_locale.data,
            locales=[form.default_locale.data, *[c for c in chosen if c != form.default_locale.data]],
            topic=form.topic.data or None,
            estimated_minutes=form.estimated_minutes.data,
            pass_mark=form.pass_mark.data,
            certificate=form.certificate.data,
            certificate_valid_years=form.certificate_valid_years.data,
            titles={
                c: form[f"title_{c}"].data.strip() for c in LOCALES if (form[f"title_{c}"].data or "").strip()
            },
            summaries={
                c: form[f"summary_{c}"].data.strip()
                for c in LOCALES
                if (form[f"summary_{c}"].data or "").strip()
            },
        )
        services.apply(current_user, ws, {"course.toml": layout.course_toml(new)}, "settings", "course.toml")
        db.session.commit()
        flash(_("The course settings are saved in the draft."))
        return redirect(url_for("authoring.course", slug=slug), 303)
    return render_template("authoring/settings.html", ws=ws, info=info, form=form, locales=LOCALES)


@requires(TRAINERS)
def add_owner(slug):
    """Make another trainer a co-owner of the course."""
    ws = workspace_or_404(slug)
    form = OwnerForm()
    if form.validate_on_submit():
        try:
            owner = services.add_owner(current_user, ws, form.username.data)
        except services.AuthoringError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s can now edit this course.", name=owner.name))
    return redirect(url_for("authoring.course", slug=slug, _anchor="owners"), 303)


@requires(TRAINERS)
def remove_owner(slug, user_id):
    """Remove a co-owner (an owner of another course is not found here)."""
    ws = workspace_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.remove_owner(current_user, ws, user_id)
    except services.NotFound:
        raise
    except services.AuthoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("authoring.course", slug=slug, _anchor="owners"), 303)
    db.session.commit()
    flash(_("The owner is removed."))
    if not services.can_edit(current_user, slug):
        return redirect(url_for("authoring.index"), 303)
    return redirect(url_for("authoring.course", slug=slug, _anchor="owners"), 303)


@requires(TRAINERS)
def history(slug):
    """Every change: who, what, when."""
    ws = workspace_or_404(slug)
    search = search_text()
    page = services.history(ws, search, page_number())
    return render_template("authoring/history.html", ws=ws, page=page, search=search)


@requires(TRAINERS)
def revision(slug, revision_id):
    """One saved state of a file, compared with the file as it is now."""
    ws = workspace_or_404(slug)
    rev = services.get_revision(ws, revision_id) or abort(404)
    old, changes = services.revision_changes(ws, rev)
    return render_template(
        "authoring/revision.html",
        ws=ws,
        rev=rev,
        text=old,
        is_text=not rev.path.startswith("media/"),
        changes=changes,
        form=ConfirmForm(),
    )


@requires(TRAINERS)
def restore(slug, revision_id):
    """Write an earlier revision back into the draft."""
    ws = workspace_or_404(slug)
    rev = services.get_revision(ws, revision_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        path = services.restore(current_user, ws, rev)
    except services.AuthoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("authoring.revision", slug=slug, revision_id=revision_id), 303)
    db.session.commit()
    flash(_("%(path)s is restored in the draft.", path=path))
    return redirect(url_for("authoring.revision", slug=slug, revision_id=revision_id), 303)


@requires(TRAINERS)
def publish(slug):
    """Check the draft and publish it: all or nothing, learners' progress kept."""
    ws = workspace_or_404(slug)
    form = PublishForm()
    message = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            version = services.publish(current_user, ws, accept_translations=form.accept_translations.data)
        except services.UnconfirmedTranslations as error:
            db.session.rollback()
            ws = workspace_or_404(slug)
            message = str(error)
        except services.Problems as error:
            db.session.rollback()
            ws = workspace_or_404(slug)
            message = str(error)
        except services.AuthoringError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("authoring.publish", slug=slug), 303)
        else:
            db.session.commit()
            flash(_("Version %(version)s is published. Learners see it now.", version=version))
            return redirect(url_for("authoring.course", slug=slug), 303)
    return render_template(
        "authoring/publish.html",
        ws=ws,
        info=services.outline(ws),
        problems=services.check(ws),
        has_changes=services.has_unpublished_changes(ws),
        issues=services.translation_issues(ws),
        message=message,
        form=form,
    )


@requires(TRAINERS)
def reset(slug):
    """Discard the draft's changes: go back to the published course (the history keeps them)."""
    ws = workspace_or_404(slug)
    form = ConfirmForm()
    if not form.validate_on_submit() or not form.confirm.data:
        flash(_("Tick the box to confirm."), "error")
        return redirect(url_for("authoring.course", slug=slug), 303)
    try:
        services.reset_to_published(current_user, ws)
    except services.AuthoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("authoring.course", slug=slug), 303)
    db.session.commit()
    flash(_("The draft is the published course again."))
    return redirect(url_for("authoring.course", slug=slug), 303)


def _zip(files: dict[str, bytes], slug: str, filename: str) -> Response:
    return Response(
        services.export_zip(files, slug),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@requires(TRAINERS)
def export_draft(slug):
    """The draft as a course package .zip (what `flask courses import` reads)."""
    ws = workspace_or_404(slug)
    return _zip(services.current_files(ws), slug, f"{slug}.zip")


@requires(TRAINERS)
def export_published(slug):
    """The published course as a course package .zip."""
    ws = workspace_or_404(slug)
    if ws.course is None:
        abort(404)
    return _zip(services.published_files(ws), slug, f"{slug}-v{ws.course.version}.zip")


def add_routes(bp: Blueprint) -> None:
    """Add this module's pages to the blueprint (called once by the package's views)."""
    bp.add_url_rule("/", view_func=index, methods=["GET"])
    bp.add_url_rule("/new", view_func=new_course, methods=["POST"])
    bp.add_url_rule("/import", view_func=import_zip, methods=["POST"])
    bp.add_url_rule("/<slug>/", view_func=course, methods=["GET"])
    bp.add_url_rule("/<slug>/settings", view_func=settings, methods=["GET", "POST"])
    bp.add_url_rule("/<slug>/owners", view_func=add_owner, methods=["POST"])
    bp.add_url_rule("/<slug>/owners/<int:user_id>/remove", view_func=remove_owner, methods=["POST"])
    bp.add_url_rule("/<slug>/history", view_func=history, methods=["GET"])
    bp.add_url_rule("/<slug>/revisions/<int:revision_id>", view_func=revision, methods=["GET"])
    bp.add_url_rule("/<slug>/revisions/<int:revision_id>/restore", view_func=restore, methods=["POST"])
    bp.add_url_rule("/<slug>/publish", view_func=publish, methods=["GET", "POST"])
    bp.add_url_rule("/<slug>/reset", view_func=reset, methods=["POST"])
    bp.add_url_rule("/<slug>/export.zip", view_func=export_draft, methods=["GET"])
    bp.add_url_rule("/<slug>/published.zip", view_func=export_published, methods=["GET"])
