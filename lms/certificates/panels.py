"""The boxes certificates adds to other domains' pages: "My learning" and the course page."""

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

from lms.certificates import codes
from lms.certificates.eligibility import can_request, is_completed
from lms.certificates.queries import (
    course_certificates_of,
    current_certificate,
    my_certificates,
    pending_request,
)


def my_certificates_panel(user) -> Markup:
    """The "My learning" panel: the learner's certificates and pending requests."""
    certificates = my_certificates(user)
    if not certificates:
        return Markup("")
    return Markup(  # noqa: S704 - rendered by an autoescaping template
        render_template(
            "certificates/my_certificates.html",
            certificates=certificates,
            codes=codes,
            locale=str(get_locale()),
        )
    )


def course_panel(user, course) -> Markup:
    """The course page's certificate box: request, pending, or the certificate itself."""
    if not course.has_certificate or not getattr(user, "is_authenticated", False):
        return Markup("")
    if not can_request(user, course):
        return Markup("")
    return Markup(  # noqa: S704 - rendered by an autoescaping template
        render_template(
            "certificates/course_panel.html",
            course=course,
            certificates=[c for c in course_certificates_of(user, course) if c.is_issued],
            current=current_certificate(user, course),
            pending=pending_request(user, course),
            completed=is_completed(user, course),
        )
    )
