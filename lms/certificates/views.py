"""Certificate pages: request, download, public verification, revocation, a course's list."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.permissions import MANAGERS, requires
from lms.certificates import codes, render, services
from lms.certificates.forms import CertificateRequestForm, ReissueForm, RevokeForm
from lms.core.i18n import language_name
from lms.core.pagination import paginate, search_text
from lms.core.safety import download_name
from lms.courses import services as courses
from lms.extensions import db, limiter

bp = Blueprint("certificates", __name__, template_folder="templates")


def _verify_limit() -> str:
    return current_app.config.get("LIMIT_VERIFY_PER_CLIENT", "30 per minute")


def _locale() -> str:
    return str(get_locale())


def _course_or_404(slug: str):
    course = courses.get_published_course(slug)
    if course is None or not course.has_certificate:
        abort(404)
    return course


def _visible_or_404(certificate_id: int):
    # Someone else's certificate is "not found", so ids reveal nothing.
    certificate = services.get_certificate(certificate_id)
    if certificate is None or not services.can_see(current_user, certificate):
        abort(404)
    return certificate


def _managed_or_404(certificate_id: int):
    # Out of the manager's organisations is "not found", as for learners; their own is 403.
    certificate = _visible_or_404(certificate_id)
    services.require_in_scope(current_user, certificate)
    return certificate


def _language_choices(course) -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in course.locales]


# The learner -----------------------------------------------------------------------------------


@bp.route("/certificates/<slug>/request", methods=["GET", "POST"])
@login_required
def request_certificate(slug):
    """Ask for a certificate: the name to print and its language, confirmed before issuing."""
    course = _course_or_404(slug)
    existing = services.current_certificate(current_user, course)
    if existing is not None and existing.is_issued:
        return redirect(url_for("certificates.detail", certificate_id=existing.id), 303)
    if not services.can_request(current_user, course):
        flash(_("Enrol in the course and complete it to receive its certificate."), "error")
        return redirect(url_for("courses.detail", slug=slug), 303)
    completed = services.is_completed(current_user, course)
    pending = services.pending_request(current_user, course)
    form = CertificateRequestForm()
    form.locale.choices = _language_choices(course)
    if request.method == "GET":
        # Never the display name: the printed name is asked for, and kept apart from it.
        form.name.data = pending.name_on_certificate if pending else services.last_name_used(current_user)
        form.locale.data = pending.locale if pending else _default_language(course)
    page = {"form": form, "course": course, "completed": completed, "pending": pending, "locale": _locale()}
    if not form.validate_on_submit() or "change" in request.form:
        return render_template("certificates/request.html", **page)
    try:
        name = services.prepare_name(form.name.data)
    except services.NameRefused as error:
        form.name.errors = [str(error)]
        return render_template("certificates/request.html", **page), 422
    if form.step.data != "confirm" or form.name.data != name:
        # Show exactly what will be printed; only that, confirmed, is issued.
        form.name.data = name
        form.step.data = "confirm"
        return render_template(
            "certificates/confirm.html",
            **page,
            name=name,
            name_dir=render.text_direction_of(name),
            language=language_name(form.locale.data),
        )
    try:
        certificate = services.request_certificate(current_user, course, name, form.locale.data)
    except services.Unavailable:
        raise
    except services.CertificateError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("certificates.request_certificate", slug=slug), 303)
    db.session.commit()
    if certificate.is_issued:
        flash(_("Your certificate is ready."))
        return redirect(url_for("certificates.detail", certificate_id=certificate.id), 303)
    flash(_("Your name is saved. Your certificate will be ready as soon as you complete the course."))
    return redirect(url_for("courses.detail", slug=slug), 303)


def _default_language(course) -> str:
    return _locale() if _locale() in course.locales else course.default_locale


@bp.get("/certificates/<int:certificate_id>")
@login_required
def detail(certificate_id):
    """A certificate: its status, code and download; revoke and reissue for staff."""
    certificate = _visible_or_404(certificate_id)
    staff = services.in_scope(current_user, certificate)
    reissue_form = ReissueForm(prefix="r")
    reissue_form.locale.choices = _language_choices(certificate.course)
    reissue_form.name.data = certificate.name_on_certificate
    reissue_form.locale.data = certificate.locale
    return render_template(
        "certificates/detail.html",
        certificate=certificate,
        status=certificate.status(),
        code=codes.format_code(certificate.code),
        verify_url=services.verify_url(certificate.code),
        name_dir=render.text_direction_of(certificate.name_on_certificate),
        is_owner=certificate.user_id == current_user.id,
        staff=staff,
        revoke_form=RevokeForm(prefix="v"),
        reissue_form=reissue_form,
        locale=_locale(),
        extras=[html for _, html in services.certificate_page.send(certificate, viewer=current_user) if html],
    )


@bp.get("/certificates/<int:certificate_id>/certificate.pdf")
@login_required
def download(certificate_id):
    """The certificate's PDF, from storage: only for its owner, managers and admins."""
    certificate = _visible_or_404(certificate_id)
    if not certificate.is_issued:
        abort(404)
    data = services.pdf_for_download(certificate)
    db.session.commit()  # only a restored file changed anything
    filename = f"certificate-{certificate.course.slug}-{codes.format_code(certificate.code)}.pdf"
    filename = download_name(filename, current_user)  # "document.pdf" in discreet mode
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# Staff -----------------------------------------------------------------------------------------


@bp.post("/certificates/<int:certificate_id>/revoke")
@requires(MANAGERS)
def revoke(certificate_id):
    """Revoke a certificate with a reason (managers and admins)."""
    certificate = _managed_or_404(certificate_id)
    form = RevokeForm(prefix="v")
    try:
        if not form.validate_on_submit():
            raise services.CertificateError(_("Give the reason for revoking this certificate."))
        services.revoke(current_user, certificate, form.reason.data)
    except services.CertificateError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The certificate is revoked. Its verification page now says so."))
    return redirect(url_for("certificates.detail", certificate_id=certificate_id), 303)


@bp.post("/certificates/<int:certificate_id>/reissue")
@requires(MANAGERS)
def reissue(certificate_id):
    """Render a certificate again, lifting any revocation (managers and admins)."""
    certificate = _managed_or_404(certificate_id)
    form = ReissueForm(prefix="r")
    form.locale.choices = _language_choices(certificate.course)
    try:
        if not form.validate_on_submit():
            raise services.CertificateError(_("Give the name and the language to print."))
        old_file = services.reissue(current_user, certificate, name=form.name.data, locale=form.locale.data)
    except services.Unavailable:
        raise
    except services.CertificateError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        services.discard_file(old_file)
        flash(_("The certificate was issued again."))
    return redirect(url_for("certificates.detail", certificate_id=certificate_id), 303)


@bp.get("/certificates/courses/<slug>/")
@requires(MANAGERS)
def course_list(slug):
    """The certificates of a course a manager or admin manages, paged, searchable by learner."""
    course = courses.get_course(slug) or abort(404)
    search = search_text()
    page = paginate(services.course_certificates_select(course, current_user, search))
    rows = [
        (c, c.status(), codes.format_code(c.code), render.text_direction_of(c.name_on_certificate))
        for c in page.items
    ]
    return render_template(
        "certificates/course_list.html", course=course, rows=rows, page=page, search=search, locale=_locale()
    )


@bp.get("/certificates/courses/<slug>/certificates.zip")
@requires(MANAGERS)
def course_zip(slug):
    """Every valid or expired certificate of a course as one ZIP, streamed (managers and admins)."""
    course = courses.get_course(slug) or abort(404)
    return Response(
        services.course_archive(course, current_user),
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="certificates-{course.slug}.zip"',
            "Cache-Control": "no-store",
        },
    )


# Public verification ---------------------------------------------------------------------------


def _public(response_body, status: int = 200):
    # Status can change (revocation); names must not end up in search engines or caches.
    return response_body, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


@bp.get("/verify")
@limiter.limit(_verify_limit)
def verify_form():
    """A form to type a verification code (GET: it changes nothing)."""
    typed = request.args.get("code", "").strip()
    if not typed:
        return _public(render_template("certificates/verify_form.html", typed="", not_found=False))
    code = codes.parse_code(typed)
    if code is None:
        return _public(
            render_template("certificates/verify_form.html", typed=typed[:80], not_found=True), 404
        )
    return redirect(url_for("certificates.verify", code=codes.format_code(code)), 303)


@bp.get("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code):
    """Public: whether a certificate is valid, revoked or expired, and what it says."""
    result = services.verify(code)
    if result is None:
        return _public(render_template("certificates/verify_form.html", typed=code[:80], not_found=True), 404)
    return _public(render_template("certificates/verify.html", v=result))
