"""Helpers shared by the certificates tests."""

import html
import re

import sqlalchemy as sa

from lms.core.db import utcnow
from lms.courses import services as courses
from lms.extensions import db

CERTIFICATE_URL = re.compile(r"/certificates/(\d+)$")


def complete(user, course) -> None:
    """Enrol a user and record the course as completed."""
    courses.enroll(user, course)
    courses.get_enrolment(user, course).completed_at = utcnow()
    db.session.flush()


def count(model, *where) -> int:
    """Count the rows of a model matching the conditions."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def ask(client, slug: str, name: str, locale: str = "en", *, confirm: bool = True):
    """Go through the request form: preview, then (if asked) confirm what the preview showed."""
    page = f"/certificates/{slug}/request"
    preview = client.post_form(page, {"name": name, "locale": locale}, token_from="/")
    if not confirm or preview.status_code != 200 or 'value="confirm"' not in preview.get_data(as_text=True):
        return preview
    shown = re.search(r'<input type="hidden" name="name" value="([^"]*)"', preview.get_data(as_text=True))
    return client.post_form(
        page, {"name": html.unescape(shown.group(1)), "locale": locale, "step": "confirm"}, token_from="/"
    )


def certificate_id(response) -> int:
    """Return the certificate id a response redirected to."""
    match = CERTIFICATE_URL.search(response.headers.get("Location", ""))
    assert match, (response.status_code, response.headers.get("Location"))
    return int(match.group(1))
