"""What a certificate says: its issuer and signatory, its verify URL, the data it is rendered from."""

from flask import current_app
from flask_babel import force_locale, format_date, format_decimal

from lms.certificates import codes, render
from lms.certificates.models import Certificate
from lms.cohorts import services as cohorts

DEFAULT_ISSUER = {"ar": "تمكين"}


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
