"""Who may ask for a certificate, and what may be printed on it (the name, the language)."""

from flask_babel import gettext as _

from lms.certificates import render
from lms.certificates.errors import CertificateError, NameRefused
from lms.courses import services as courses


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
