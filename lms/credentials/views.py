"""Credential pages: the issuer's DID document, status lists, badge downloads, public verification."""

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.certificates import services as certificates
from lms.credentials import services, vc
from lms.credentials.forms import DownloadForm, VerifyForm
from lms.extensions import db, limiter

bp = Blueprint("credentials", __name__, template_folder="templates")

FORM_OVERHEAD = 16 * 1024  # the other fields and multipart boundaries of the verify form


def _upload_limit() -> int:
    return current_app.config.get("CREDENTIALS_MAX_UPLOAD_BYTES", 256 * 1024)


@bp.url_value_preprocessor
def _limit_uploads(endpoint, _values):
    # Runs before every before_request hook (CSRF reads the form there): oversized bodies get 413.
    if endpoint == "credentials.verify":
        request.max_content_length = _upload_limit() + FORM_OVERHEAD


def _verify_limit() -> str:
    return current_app.config.get("LIMIT_VERIFY_PER_CLIENT", "30 per minute")


@bp.get("/.well-known/did.json")
def did_document():
    """The issuer's DID document (did:web): every public signing key, old ones included."""
    document = services.did_document()
    return Response(
        json.dumps(document, indent=2),
        mimetype="application/did+json",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@bp.get("/credentials/status/<int:number>")
def status_list(number):
    """A revocation status list (BitstringStatusListCredential), signed now, as a VC-JWT."""
    token = services.status_list_token(number)
    if token is None:
        abort(404)
    return Response(
        token,
        mimetype="text/plain",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@bp.post("/certificates/<int:certificate_id>/badge")
@login_required
def download(certificate_id):
    """The learner's certificate as an Open Badge: JSON with a Data Integrity proof, a VC-JWT, or a baked PNG."""
    certificate = certificates.get_certificate(certificate_id)
    if certificate is None or not services.is_owner(current_user, certificate):
        abort(404)  # someone else's certificate is "not found", so ids reveal nothing
    form = DownloadForm()
    kind = request.form.get("format", "json")
    if not form.validate_on_submit() or kind not in services.FORMATS:
        abort(400)
    try:
        data, mimetype, extension = services.download(
            current_user, certificate, kind, with_name=form.with_name.data
        )
    except services.KeysUnavailable:
        raise
    except services.CredentialError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("certificates.detail", certificate_id=certificate_id), 303)
    db.session.commit()
    name = f"open-badge-{certificate.course.slug}.{extension}"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


STATUS_TITLES = {
    "valid": lambda: _("Valid"),
    "revoked": lambda: _("Revoked"),
    "expired": lambda: _("Expired"),
    "not_yet_valid": lambda: _("Not yet valid"),
    "tampered": lambda: _("Tampered with"),
    "unknown_issuer": lambda: _("Unknown issuer"),
    "malformed": lambda: _("Not a credential we can read"),
}


def _explanation(status: str) -> str:
    return {
        "valid": _(
            "The signature matches the issuer's published key, and the credential is neither revoked nor expired."
        ),
        "revoked": _("The issuer has revoked this credential: it no longer vouches for it."),
        "expired": _("The credential was valid but its validity period has ended."),
        "not_yet_valid": _("The credential's validity period has not started yet."),
        "tampered": _("The credential was changed after it was signed, so its signature does not match."),
        "unknown_issuer": _("It was not signed by this site with any key this site publishes."),
        "malformed": _(
            "This is not a credential that can be read: check that you pasted or uploaded the whole file."
        ),
    }[status]


def _public(body, status: int = 200):
    return body, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


@bp.route("/credentials/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def verify():
    """Public: check a pasted or uploaded credential (VC-JWT or baked PNG) against this issuer."""
    limit = _upload_limit()
    form = VerifyForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _public(render_template("credentials/verify.html", form=form, outcome=None, limit=limit))
    upload = form.upload.data
    data = upload.read(limit + 1) if upload and upload.filename else (form.pasted.data or "").encode("utf-8")
    if len(data) > limit:
        return _too_large(limit)
    if not data.strip():
        form.pasted.errors = [_("Paste a credential or choose a file.")]
        return _public(render_template("credentials/verify.html", form=form, outcome=None, limit=limit), 422)
    outcome = services.verify_upload(data)
    page = render_template(
        "credentials/verify.html",
        form=VerifyForm(formdata=None),
        outcome=outcome,
        title=STATUS_TITLES[outcome.status](),
        explanation=_explanation(outcome.status),
        summary=_summary(outcome),
        limit=limit,
    )
    return _public(page, 200 if outcome.status != "malformed" else 422)


def _too_large(limit: int):
    form = VerifyForm(formdata=None)
    form.pasted.errors = [_("That is too large to be a credential (at most %(kib)d KiB).", kib=limit // 1024)]
    return _public(render_template("credentials/verify.html", form=form, outcome=None, limit=limit), 413)


def _summary(outcome) -> dict | None:
    # What the checked credential says, shown only once its signature has been checked.
    if outcome.status not in {"valid", "revoked", "expired", "not_yet_valid"} or not outcome.credential:
        return None
    credential = outcome.credential
    subject = credential.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    names = [i.get("identityHash") for i in subject.get("identifier", []) if i.get("identityType") == "name"]
    issuer = credential.get("issuer")
    return {
        "achievement": achievement.get("name"),
        "issuer": issuer.get("name") if isinstance(issuer, dict) else issuer,
        "awarded": _date(credential.get("awardedDate")),
        "valid_until": _date(credential.get("validUntil")),
        "name": names[0] if names else None,
    }


def _date(text):
    if text is None:
        return None
    try:
        return vc.parse_iso(text)
    except vc.MalformedCredential:
        return None
