"""Issuing certificates: a learner's request, issuing once (under concurrency too), bulk issuing."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from lms.certificates import codes, render
from lms.certificates.content import certificate_data
from lms.certificates.eligibility import can_request, check_locale, is_completed, prepare_name
from lms.certificates.errors import CertificateError, NameRefused, NotEligible, StorageFailed
from lms.certificates.models import Certificate
from lms.certificates.queries import current_certificate, pending_request
from lms.certificates.storage import discard_file, relative_path, render_and_store, store_pdf
from lms.core.db import insert_ignore, utcnow
from lms.courses import services as courses
from lms.extensions import db
from lms.records import services as records

log = logging.getLogger(__name__)

# xAPI has no ADL verb for this; the TinCan registry's "earned" is the one LRSs know.
VERB_EARNED = "http://id.tincanapi.com/verb/earned"
# One certificate per learner, course and course version.
_ONE_PER_VERSION = ["user_id", "course_id", "course_version"]


def add_years(moment: datetime, years: int) -> datetime:
    """Return `moment` plus whole years (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _new_request(user, course, name: str, locale: str):
    # Two requests at once both succeed: the unique constraint keeps one row.
    return insert_ignore(
        db.session,
        Certificate.__table__,
        {
            "user_id": user.id,
            "course_id": course.id,
            "course_version": course.version,
            "code": codes.new_code(),
            "name_on_certificate": name,
            "locale": locale,
            "requested_at": utcnow(),
        },
        _ONE_PER_VERSION,
    )


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
        db.session.execute(_new_request(user, course, name, locale))
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
    render_and_store(certificate, course)
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
        db.session.execute(_new_request(user, course, name, locale))
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
            relative = relative_path(certificate, digest)
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
