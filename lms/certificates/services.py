"""Certificate services: eligibility, requests, issuing once, storage, verification, revocation."""

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import force_locale, format_date, format_decimal
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from lms.certificates import codes, render
from lms.certificates.models import Certificate
from lms.cohorts import services as cohorts
from lms.core.db import utcnow
from lms.core.i18n import text_direction
from lms.core.pdf import RenderTimeout
from lms.courses import services as courses
from lms.extensions import db
from lms.records import services as records

log = logging.getLogger(__name__)

STAFF_ROLES = frozenset({"manager", "admin"})
# xAPI has no ADL verb for this; the TinCan registry's "earned" is the one LRSs know.
VERB_EARNED = "http://id.tincanapi.com/verb/earned"
DEFAULT_ISSUER = {"ar": "تمكين"}

# Signals for the domains above (credentials): certificates never imports them.
_signals = Namespace()
#: Sent after a certificate is revoked (flushed, not committed): sender=certificate, actor=user.
certificate_revoked = _signals.signal("certificate-revoked")
#: Sent after a certificate is issued again (flushed, not committed): sender=certificate, actor=user.
certificate_reissued = _signals.signal("certificate-reissued")
#: Sent while rendering a certificate's page: sender=certificate, viewer=user; each receiver
#: returns safe HTML (Markup) to show under the download button, or None.
certificate_page = _signals.signal("certificate-page")


class CertificateError(Exception):
    """A certificate operation that cannot be done; the message is for the user."""


class NotEligible(CertificateError):
    """The learner has not (yet) earned this certificate."""


class NameRefused(CertificateError):
    """The name cannot be printed as typed."""


class StorageFailed(CertificateError):
    """The PDF could not be written (disk full or failing): nothing was issued."""


class RenderFailed(CertificateError):
    """The PDF could not be rendered in time: nothing was issued."""


@dataclass(frozen=True)
class Verification:
    """What the public verify page may show, and nothing else."""

    status: str  # "valid", "revoked" or "expired"
    name: str
    name_dir: str
    course_title: str
    course_title_dir: str
    issued_at: datetime
    expires_at: datetime | None
    issuer: str
    code: str


# Settings and helpers --------------------------------------------------------------------------


def storage_dir() -> Path:
    """Return the folder PDFs are stored in (CERTIFICATE_STORAGE, else instance/certificates)."""
    configured = current_app.config.get("CERTIFICATE_STORAGE")
    return Path(configured) if configured else Path(current_app.instance_path) / "certificates"


def _setting(name: str, locale: str, default: str | dict[str, str]) -> str:
    # A setting is one string, or a mapping of locale to string with "" as the fallback key.
    value = current_app.config.get(name, default)
    if isinstance(value, dict):
        return value.get(locale) or value.get("") or value.get("en") or ""
    return str(value or "")


def issuer(locale: str) -> str:
    """Return the issuing organisation's name in a locale (CERTIFICATE_ISSUER)."""
    return _setting("CERTIFICATE_ISSUER", locale, {**DEFAULT_ISSUER, "": "Tamkeen"})


def signatory(locale: str) -> str:
    """Return the signatory's name in a locale (CERTIFICATE_SIGNATORY; may be empty)."""
    return _setting("CERTIFICATE_SIGNATORY", locale, "")


def verify_url(code: str) -> str:
    """Return the public verification URL of a code."""
    return f"{current_app.config['SITE_URL'].rstrip('/')}/verify/{codes.format_code(code)}"


def is_staff(user) -> bool:
    """Tell whether a user may manage certificates at all (manager, admin); see `in_scope`."""
    role = getattr(user, "role", None)
    return bool(getattr(user, "is_authenticated", False)) and getattr(role, "value", role) in STAFF_ROLES


# What a manager may see: the ids of the learners in their scope as a select (None: everyone).
LearnerScope = Callable[[object], sa.Select | None]
SCOPE_KEY = "tamkeen-certificate-scope"


def register_learner_scope(app, scope: LearnerScope) -> None:
    """Let the domain that knows managers' organisations (reports) say which learners they see."""
    app.extensions[SCOPE_KEY] = scope


def _scope_clause(user) -> sa.ColumnElement[bool]:
    """Return the condition on Certificate.user_id for the certificates a staff user manages."""
    role = getattr(user.role, "value", user.role)
    if role == "admin":
        return sa.true()
    scope = current_app.extensions.get(SCOPE_KEY)
    if role != "manager" or scope is None:
        return sa.false()  # no scope registered: a manager sees nothing rather than everything
    learners = scope(user)
    return sa.true() if learners is None else Certificate.user_id.in_(learners)


def in_scope(user, certificate: Certificate) -> bool:
    """Tell whether a manager or admin may see, revoke and reissue this certificate."""
    if not is_staff(user):
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True)).where(Certificate.id == certificate.id, _scope_clause(user))
        )
    )


def add_years(moment: datetime, years: int) -> datetime:
    """Return `moment` plus whole years (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _insert_ignore(values: dict):
    table = Certificate.__table__
    keys = ["user_id", "course_id", "course_version"]
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    if dialect == "sqlite":
        return sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    raise NotImplementedError(dialect)


# Reading ---------------------------------------------------------------------------------------


def get_certificate(certificate_id: int) -> Certificate | None:
    """Return a certificate (or pending request) by id, with its course."""
    return db.session.scalar(
        sa.select(Certificate)
        .where(Certificate.id == certificate_id)
        .options(selectinload(Certificate.course))
    )


def can_see(user, certificate: Certificate) -> bool:
    """Tell whether a user may see and download a certificate: its owner and staff in scope."""
    if not getattr(user, "is_authenticated", False):
        return False
    return certificate.user_id == user.id or in_scope(user, certificate)


def current_certificate(user, course) -> Certificate | None:
    """Return the user's certificate or pending request for the course's current version."""
    return db.session.scalar(
        sa.select(Certificate).where(
            Certificate.user_id == user.id,
            Certificate.course_id == course.id,
            Certificate.course_version == course.version,
        )
    )


def pending_request(user, course) -> Certificate | None:
    """Return the user's pending request for a course (any version), if any."""
    return db.session.scalar(
        sa.select(Certificate).where(
            Certificate.user_id == user.id,
            Certificate.course_id == course.id,
            Certificate.issued_at.is_(None),
        )
    )


def course_certificates_of(user, course) -> list[Certificate]:
    """Return the user's certificates of a course, newest version first."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.user_id == user.id, Certificate.course_id == course.id)
            .order_by(Certificate.course_version.desc())
        )
    )


def my_certificates(user) -> list[Certificate]:
    """Return the user's certificates and pending requests with their courses (two queries)."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.user_id == user.id)
            .options(selectinload(Certificate.course))
            .order_by(Certificate.requested_at.desc())
        )
    )


def last_name_used(user) -> str:
    """Return the name the user last asked to be printed, to pre-fill the next request."""
    return (
        db.session.scalar(
            sa.select(Certificate.name_on_certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.requested_at.desc())
            .limit(1)
        )
        or ""
    )


def course_certificates(course, viewer) -> list[Certificate]:
    """Return the issued certificates of a course that a manager or admin may see (list, ZIP)."""
    if not is_staff(viewer):
        return []
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(
                Certificate.course_id == course.id,
                Certificate.issued_at.is_not(None),
                _scope_clause(viewer),
            )
            .options(selectinload(Certificate.course))
            .order_by(Certificate.issued_at, Certificate.id)
        )
    )


# Eligibility and names -------------------------------------------------------------------------


def is_completed(user, course) -> bool:
    """Tell whether the user has completed the course."""
    enrolment = courses.get_enrolment(user, course)
    return enrolment is not None and enrolment.completed_at is not None


def can_request(user, course) -> bool:
    """Tell whether the user may ask for a certificate of this course (enrolled, course has one)."""
    return course.has_certificate and courses.get_enrolment(user, course) is not None


def prepare_name(raw: str | None) -> str:
    """Return the name exactly as it will be printed, or raise NameRefused."""
    try:
        return render.check_name(raw)
    except render.UnprintableName as error:
        raise NameRefused(str(error))


def check_locale(course, locale: str | None) -> str:
    """Return a certificate language among the course's languages, or raise."""
    if locale not in course.locales:
        raise CertificateError(_("Choose one of the languages this course is taught in."))
    return locale


# Issuing ---------------------------------------------------------------------------------------


def certificate_data(
    certificate: Certificate, course=None, *, sample: bool = False
) -> render.CertificateData:
    """Return the plain data a certificate is rendered from."""
    course = course or certificate.course
    locale = certificate.locale
    minutes = 0 if sample else cohorts.certified_live_minutes(certificate.user_id, course)
    with force_locale(locale):
        issued_on = format_date(certificate.issued_at, format="long")
        expires_on = format_date(certificate.expires_at, format="long") if certificate.expires_at else None
        live_hours = format_decimal(round(minutes / 60, 1), format="#,##0.#") if minutes else None
    return render.CertificateData(
        locale=locale,
        name=certificate.name_on_certificate,
        course_title=course.title_in(locale),
        issued_on=issued_on,
        expires_on=expires_on,
        issuer=issuer(locale),
        signatory=signatory(locale),
        code=codes.format_code(certificate.code),
        verify_url=verify_url(certificate.code),
        is_sample=sample,
        live_hours=live_hours,
    )


def _relative_path(certificate: Certificate, digest: str) -> str:
    # Content-addressed: a reissue writes a new file and never overwrites the one being served.
    return f"{certificate.course_id}/{certificate.code}-{digest[:16]}.pdf"


def store_pdf(relative: str, data: bytes) -> None:
    """Write a PDF durably: temporary file in the same folder, fsync, rename, fsync the folder."""
    target = storage_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-", suffix=".pdf")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _render_and_store(certificate: Certificate, course) -> None:
    try:
        pdf = render.render_certificate(certificate_data(certificate, course))
    except RenderTimeout:
        log.exception("certificate %s took too long to render", certificate.id)
        raise RenderFailed(
            _("Your certificate could not be prepared just now. Nothing was issued: try again later.")
        )
    digest = hashlib.sha256(pdf).hexdigest()
    relative = _relative_path(certificate, digest)
    try:
        store_pdf(relative, pdf)
    except OSError as error:
        log.error("certificate %s could not be stored: %s", certificate.id, error)
        raise StorageFailed(
            _(
                "Your certificate could not be saved because the server's storage is full or failing. "
                "Nothing was issued: please try again later."
            )
        )
    certificate.pdf_path = relative
    certificate.pdf_sha256 = digest


def _claim(user, course, name: str, locale: str) -> Certificate:
    """Return the row for this version, locked: the pending request, else a new one, else the winner's."""
    pending = db.session.scalar(
        sa.select(Certificate)
        .where(
            Certificate.user_id == user.id,
            Certificate.course_id == course.id,
            Certificate.issued_at.is_(None),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if pending is not None and pending.course_version != course.version:
        # A request made under an earlier version is issued under the current one.
        clash = current_certificate(user, course)
        if clash is None:
            pending.course_version = course.version
        db.session.flush()
    if pending is None:
        db.session.execute(
            _insert_ignore(
                {
                    "user_id": user.id,
                    "course_id": course.id,
                    "course_version": course.version,
                    "code": codes.new_code(),
                    "name_on_certificate": name,
                    "locale": locale,
                    "requested_at": utcnow(),
                }
            )
        )
    # Concurrent requests meet here: the unique constraint let one insert, the lock orders them.
    return db.session.scalar(
        sa.select(Certificate)
        .where(
            Certificate.user_id == user.id,
            Certificate.course_id == course.id,
            Certificate.course_version == course.version,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def issue_certificate(user, course, name: str | None, locale: str | None) -> Certificate:
    """Issue the user's certificate for the course's current version, once (flushes).

    Asking again returns the certificate already issued, whatever name is given. The PDF is
    rendered and stored before the row is marked issued; if either fails, StorageFailed or
    RenderFailed is raised and the caller must roll back, so nothing is left half-issued.
    """
    existing = current_certificate(user, course)
    if existing is not None and existing.is_issued:
        return existing
    if not course.has_certificate or not is_completed(user, course):
        raise NotEligible(_("Complete the course to receive its certificate."))
    name = prepare_name(name)
    locale = check_locale(course, locale)
    certificate = _claim(user, course, name, locale)
    if certificate.is_issued:
        return certificate  # a concurrent request issued it first
    certificate.name_on_certificate = name
    certificate.locale = locale
    _mark_issued(certificate, course)
    _render_and_store(certificate, course)
    _record_issue(user, certificate, course)
    db.session.flush()
    return certificate


def _mark_issued(certificate: Certificate, course) -> None:
    now = utcnow()
    certificate.issued_at = now
    years = course.certificate_valid_years or 0
    certificate.expires_at = add_years(now, years) if years > 0 else None


def _record_issue(user, certificate: Certificate, course) -> None:
    site = current_app.config["SITE_URL"].rstrip("/")
    enrolment = courses.get_enrolment(user, course)
    records.record(
        user,
        VERB_EARNED,
        records.Activity(
            f"{site}/courses/{course.slug}/certificate",
            "certificate",
            {locale: course.title_in(locale) for locale in course.locales},
        ),
        context=records.Context(
            registration=enrolment.registration if enrolment else None,
            language=certificate.locale,
            parent=(courses.course_activity(course.slug, course.titles),),
        ),
        result={
            "completion": True,
            "extensions": {
                f"{site}/xapi/course-version": certificate.course_version,
                f"{site}/xapi/certificate-language": certificate.locale,
            },
        },
    )


def request_certificate(user, course, name: str | None, locale: str | None) -> Certificate:
    """Issue now if the course is complete; otherwise keep the request until it is (flushes)."""
    if is_completed(user, course) or not can_request(user, course):
        return issue_certificate(user, course, name, locale)
    name = prepare_name(name)
    locale = check_locale(course, locale)
    pending = pending_request(user, course)
    if pending is None:
        db.session.execute(
            _insert_ignore(
                {
                    "user_id": user.id,
                    "course_id": course.id,
                    "course_version": course.version,
                    "code": codes.new_code(),
                    "name_on_certificate": name,
                    "locale": locale,
                    "requested_at": utcnow(),
                }
            )
        )
        pending = pending_request(user, course)
    if pending is None:  # the row for this version was issued meanwhile
        return current_certificate(user, course)
    pending.name_on_certificate = name
    pending.locale = locale
    pending.requested_at = utcnow()
    db.session.flush()
    return pending


def issue_on_completion(sender, /, *, user, course) -> None:
    """Issue the certificate a learner asked for before completing, now that they have (flushes).

    Subscribed to `courses.signals.course_completed`, so it runs in the transaction that records
    the completion. A failure (the PDF cannot be rendered or stored, the name cannot be printed)
    must not undo the completion: it is rolled back to a savepoint, logged, and the request stays
    pending for `flask certificates issue`.
    """
    pending = pending_request(user, course)
    if pending is None or not course.has_certificate:
        return
    locale = pending.locale if pending.locale in course.locales else course.default_locale
    try:
        with db.session.begin_nested():
            issue_certificate(user, course, pending.name_on_certificate, locale)
    except CertificateError as error:
        log.warning("certificate request %s not issued on completion: %s", pending.id, error)


# Stored PDFs -----------------------------------------------------------------------------------


def stored_pdf(certificate: Certificate) -> bytes | None:
    """Return the stored PDF if it is there and intact, else None."""
    if not certificate.pdf_path:
        return None
    try:
        data = (storage_dir() / certificate.pdf_path).read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != certificate.pdf_sha256:
        log.error("stored PDF of certificate %s does not match its checksum", certificate.id)
        return None
    return data


def restore_pdf(certificate: Certificate) -> bytes:
    """Render and store again a PDF that is missing or damaged (flushes)."""
    log.warning("certificate %s: stored PDF missing or damaged, rendering it again", certificate.id)
    _render_and_store(certificate, certificate.course)
    db.session.flush()
    data = stored_pdf(certificate)
    if data is None:
        raise StorageFailed(_("The certificate file could not be read back. Please try again later."))
    return data


def pdf_for_download(certificate: Certificate) -> bytes:
    """Return a certificate's PDF from storage, restoring it only if it is gone (flushes)."""
    if not certificate.is_issued:
        raise CertificateError(_("This certificate has not been issued yet."))
    return stored_pdf(certificate) or restore_pdf(certificate)


def discard_file(relative: str | None) -> None:
    """Delete a stored PDF that nothing points to any more (after the commit)."""
    if relative:
        with contextlib.suppress(FileNotFoundError):
            (storage_dir() / relative).unlink()


# Verification ----------------------------------------------------------------------------------


def verify(code_text: str) -> Verification | None:
    """Look up a typed code; return only what the public may see, or None."""
    code = codes.parse_code(code_text)
    if code is None:
        return None
    certificate = db.session.scalar(
        sa.select(Certificate)
        .where(Certificate.code == code, Certificate.issued_at.is_not(None))
        .options(selectinload(Certificate.course))
    )
    if certificate is None:
        return None
    title = certificate.course.title_in(certificate.locale)
    return Verification(
        status=certificate.status(),
        name=certificate.name_on_certificate,
        name_dir=render.text_direction_of(certificate.name_on_certificate),
        course_title=title,
        course_title_dir=render.text_direction_of(title) if title else text_direction(certificate.locale),
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        issuer=issuer(certificate.locale),
        code=codes.format_code(certificate.code),
    )


# Revocation and reissue ------------------------------------------------------------------------


def _require_staff(actor, certificate: Certificate) -> None:
    if not in_scope(actor, certificate):
        raise CertificateError(_("Only managers and administrators can do this."))


def revoke(actor, certificate: Certificate, reason: str | None) -> None:
    """Revoke an issued certificate with a reason (flushes); revoking twice keeps the first."""
    _require_staff(actor, certificate)
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise CertificateError(_("Give the reason for revoking this certificate."))
    if not certificate.is_issued:
        raise CertificateError(_("This certificate has not been issued yet."))
    if certificate.revoked_at is not None:
        return
    certificate.revoked_at = utcnow()
    certificate.revoke_reason = reason
    certificate.revoked_by_id = actor.id
    db.session.flush()
    certificate_revoked.send(certificate, actor=actor)


def reissue(
    actor, certificate: Certificate, *, name: str | None = None, locale: str | None = None
) -> str | None:
    """Render a certificate again (corrected name or language, revocation lifted); flushes.

    Returns the old file's path, for the caller to discard after committing.
    """
    _require_staff(actor, certificate)
    if not certificate.is_issued:
        raise CertificateError(_("This certificate has not been issued yet."))
    course = certificate.course
    if name is not None:
        certificate.name_on_certificate = prepare_name(name)
    if locale is not None:
        certificate.locale = check_locale(course, locale)
    old_path = certificate.pdf_path
    certificate.revoked_at = None
    certificate.revoke_reason = None
    certificate.revoked_by_id = None
    certificate.reissued_at = utcnow()
    _render_and_store(certificate, course)
    db.session.flush()
    certificate_reissued.send(certificate, actor=actor)
    return old_path if old_path != certificate.pdf_path else None


# Privacy ---------------------------------------------------------------------------------------


def export_for(user) -> list[dict]:
    """Return a learner's certificates for their data download."""
    return [
        {
            "course": c.course.slug,
            "course_version": c.course_version,
            "name_on_certificate": c.name_on_certificate,
            "language": c.locale,
            "status": c.status(),
            "code": codes.format_code(c.code) if c.is_issued else None,
            "requested_at": c.requested_at.isoformat(),
            "issued_at": c.issued_at.isoformat() if c.issued_at else None,
            "expires_at": c.expires_at.isoformat() if c.expires_at else None,
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
        }
        for c in my_certificates(user)
    ]


def erase_for(user) -> None:
    """Delete a learner's certificates and their files (their name is on them); flushes."""
    certificates = my_certificates(user)
    for certificate in certificates:
        discard_file(certificate.pdf_path)
        db.session.delete(certificate)
    db.session.flush()


# Bulk issuing ----------------------------------------------------------------------------------


def _completed_pairs(course):
    enrolment = courses.Enrolment
    return sa.select(enrolment.user_id).where(
        enrolment.course_id == course.id, enrolment.completed_at.is_not(None)
    )


def issuable_requests(course) -> list[int]:
    """Return the ids of pending requests whose learners have completed the course."""
    return list(
        db.session.scalars(
            sa.select(Certificate.id)
            .where(
                Certificate.course_id == course.id,
                Certificate.issued_at.is_(None),
                Certificate.user_id.in_(_completed_pairs(course)),
            )
            .order_by(Certificate.id)
        )
    )


def completed_without_request(course) -> int:
    """Count learners who completed the course but never gave a name for its certificate."""
    asked = sa.select(Certificate.user_id).where(Certificate.course_id == course.id)
    enrolment = courses.Enrolment
    return db.session.scalar(
        sa.select(sa.func.count(enrolment.id)).where(
            enrolment.course_id == course.id,
            enrolment.completed_at.is_not(None),
            enrolment.user_id.not_in(asked),
        )
    )


@dataclass
class BatchResult:
    """What one bulk batch did."""

    issued: int = 0
    skipped: list[tuple[int, str]] | None = None


def issue_batch(course, ids: list[int], *, fallback_locale: str | None, render_many) -> BatchResult:
    """Issue a batch of pending requests (flushes; the CLI commits after each batch).

    `render_many(htmls)` returns, in order, PDF bytes or the exception each render raised (a
    list, or an iterator of results as they come); the CLI passes one backed by a process pool.
    The steps overlap: each document's HTML is handed over as soon as it is made (the pool
    renders it while the next is prepared), and each PDF is stored as soon as it is rendered
    (while the pool renders the rest). Rows another process holds are skipped (they are
    being issued there).
    """
    result = BatchResult(skipped=[])
    if not course.has_certificate:
        return result
    rows = db.session.scalars(
        sa.select(Certificate)
        .where(Certificate.id.in_(ids), Certificate.issued_at.is_(None))
        .options(selectinload(Certificate.user))
        .order_by(Certificate.id)
        .with_for_update(skip_locked=True, of=Certificate)
    ).all()
    prepared = []

    def documents():
        for certificate in rows:
            try:
                certificate.name_on_certificate = prepare_name(certificate.name_on_certificate)
            except NameRefused as error:
                result.skipped.append((certificate.id, str(error)))
                continue
            if certificate.locale not in course.locales:
                certificate.locale = (
                    fallback_locale if fallback_locale in course.locales else course.default_locale
                )
            if certificate.course_version != course.version:
                if current_certificate(certificate.user, course) is not None:
                    result.skipped.append((certificate.id, "already has a certificate for this version"))
                    continue
                certificate.course_version = course.version
            _mark_issued(certificate, course)
            prepared.append(certificate)
            yield render.render_html(certificate_data(certificate, course))

    outcomes = render_many(documents())  # consumes every document before it returns
    stored: list[str] = []
    try:
        for certificate, outcome in zip(prepared, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                certificate.issued_at = certificate.expires_at = None
                result.skipped.append((certificate.id, f"rendering failed: {type(outcome).__name__}"))
                continue
            digest = hashlib.sha256(outcome).hexdigest()
            relative = _relative_path(certificate, digest)
            try:
                store_pdf(relative, outcome)
            except OSError as error:
                raise StorageFailed(f"could not store certificate {certificate.id}: {error}")
            stored.append(relative)
            certificate.pdf_path, certificate.pdf_sha256 = relative, digest
            _record_issue(certificate.user, certificate, course)
            result.issued += 1
        db.session.flush()
    except BaseException:
        # The caller rolls the batch back: leave no file that no row points to.
        for relative in stored:
            discard_file(relative)
        raise
    return result
