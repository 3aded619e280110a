"""The public verify page: valid, revoked, expired; what it shows and what it never shows."""

from datetime import timedelta

import pytest

from lms.certificates import codes, services
from lms.certificates.models import Certificate
from lms.core.db import utcnow
from tests.certificates.helpers import ask, certificate_id


@pytest.fixture
def issued(client, learner, fake_pdf, db):
    """A certificate issued to the learner, then the learner signs out."""
    cid = certificate_id(ask(client, "cert-course", "Amina Haddad", "ar"))
    client.post_form("/logout")
    return db.session.get(Certificate, cid)


def _page(client, code, **kw):
    response = client.get(f"/verify/{code}", **kw)
    return response, response.get_data(as_text=True)


def test_a_valid_certificate_shows_only_what_was_printed(client, issued, learner):
    response, body = _page(client, codes.format_code(issued.code))
    assert response.status_code == 200
    assert "This certificate is valid." in body
    assert "Amina Haddad" in body and "Course cert-course (ar)" in body and "تمكين" in body
    for private in (learner.username, learner.email, learner.display_name, learner.public_id):
        assert private not in body
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]


@pytest.mark.parametrize("shape", ["grouped", "lower", "compact", "compact-lower", "spaces"])
def test_any_typing_of_the_code_works(client, issued, shape):
    shown = codes.format_code(issued.code)
    typed = {
        "grouped": shown,
        "lower": shown.lower(),
        "compact": issued.code,
        "compact-lower": issued.code.lower(),
        "spaces": shown.replace("-", "%20"),
    }[shape]
    response, body = _page(client, typed)
    assert response.status_code == 200 and "Amina Haddad" in body


def test_the_form_sends_to_the_page(client, issued):
    response = client.get("/verify?code=" + issued.code.lower())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/verify/" + codes.format_code(issued.code))
    assert client.get("/verify").status_code == 200


# A well-formed code typed in the form goes to its page (which says not found); a malformed one
# is refused by the form itself.
@pytest.mark.parametrize(
    ("code", "form_status"), [("0000-0000-0000-0000-0000-0000-00", 303), ("not-a-code", 404)]
)
def test_unknown_codes_say_not_found(client, issued, code, form_status):
    response, body = _page(client, code)
    assert response.status_code == 404 and "No certificate has this code" in body
    assert client.get(f"/verify?code={code}").status_code == form_status


def test_a_pending_request_does_not_verify(client, make_user, course, storage, db):
    from lms.courses import services as courses

    user = make_user(username="pending-one")
    courses.enroll(user, course)
    pending = services.request_certificate(user, course, "Pending Person", "en")
    db.session.flush()
    response, _body = _page(client, pending.code)
    assert response.status_code == 404


def test_revoked_and_expired_are_shown_as_such(client, issued, db, make_user):
    manager = make_user(role="admin")
    services.revoke(manager, issued, "Issued by mistake")
    db.session.flush()
    response, body = _page(client, issued.code)
    assert response.status_code == 200 and "has been revoked" in body and "Issued by mistake" not in body
    issued.revoked_at = None
    issued.expires_at = utcnow() - timedelta(days=1)
    db.session.flush()
    response, body = _page(client, issued.code)
    assert "has expired" in body and "Amina Haddad" in body


def test_the_page_works_in_every_interface_language(client, issued, app):
    for locale in app.config["LANGUAGES"]:
        response, body = _page(client, issued.code, headers={"Accept-Language": locale})
        assert response.status_code == 200 and f'lang="{locale}"' in body
    _response, arabic = _page(client, issued.code, headers={"Accept-Language": "ar"})
    assert 'dir="rtl"' in arabic


def test_verification_is_rate_limited(client, issued, app, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_VERIFY_PER_CLIENT", "3 per minute")
    statuses = [client.get(f"/verify/{issued.code}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
