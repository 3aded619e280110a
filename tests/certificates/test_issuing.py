"""Requesting and issuing: the name asked and confirmed, once per version, stored once, disk full."""

import errno
import os
import threading

import pytest
import sqlalchemy as sa

from lms.certificates import render, services
from lms.certificates.models import Certificate
from lms.courses import services as courses
from lms.extensions import db as _db
from lms.records.models import Statement
from tests.certificates.helpers import ask, certificate_id, complete, count
from tests.conftest import PASSWORD
from tests.courses.course_builder import write_course


def test_the_form_never_offers_the_display_name(client, learner, fake_pdf):
    page = client.get("/certificates/cert-course/request").get_data(as_text=True)
    assert "Display Name Not Printed" not in page
    assert 'name="name"' in page and 'value="ar"' in page and 'value="en"' in page


def test_preview_shows_the_cleaned_name_and_issues_nothing(client, learner, fake_pdf):
    response = ask(client, "cert-course", "  Amina\u202e  Haddad\u2066 ", confirm=False)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ">Amina Haddad</strong>" in body
    assert count(Certificate) == 0 and not fake_pdf


def test_confirming_issues_once_and_asking_again_returns_the_same(client, learner, fake_pdf, db):
    first = ask(client, "cert-course", "Amina Haddad", "ar")
    assert first.status_code == 303
    cid = certificate_id(first)
    certificate = db.session.get(Certificate, cid)
    assert certificate.name_on_certificate == "Amina Haddad" and certificate.locale == "ar"
    assert certificate.is_issued and certificate.course_version == 1 and certificate.expires_at is None
    assert len(certificate.code) == 26 and certificate.pdf_sha256
    again = ask(client, "cert-course", "Someone Else", "en")
    assert certificate_id(again) == cid
    assert (
        client.get("/certificates/cert-course/request").headers["Location"].endswith(f"/certificates/{cid}")
    )
    assert count(Certificate) == 1 and len(fake_pdf) == 1
    statement = db.session.scalar(
        sa.select(Statement).where(
            Statement.actor_id == learner.public_id, Statement.verb == services.VERB_EARNED
        )
    )
    assert statement.body["object"]["id"].endswith("/courses/cert-course/certificate")


def test_the_next_request_is_prefilled_with_the_last_name_given(client, learner, fake_pdf, tmp_path, db):
    certificate_id(ask(client, "cert-course", "Amina Haddad"))
    courses.import_path(
        write_course(tmp_path / "more", slug="second-course", modules=1, lessons_per_module=1)
    )
    complete(learner, courses.get_course("second-course"))
    page = client.get("/certificates/second-course/request").get_data(as_text=True)
    assert 'value="Amina Haddad"' in page


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Amina 😀 Haddad", "cannot print these characters"),
        ("王小明", "cannot print these characters"),
        ("A" * 500, "at most 120 characters"),
        ("\u202e\u2066 ", "Type the name"),
    ],
    ids=["emoji", "cjk", "500-characters", "only-bidi-controls"],
)
def test_unprintable_names_are_refused_before_issuing(client, learner, fake_pdf, name, message):
    response = ask(client, "cert-course", name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Certificate) == 0 and not fake_pdf


def test_markup_and_formulas_are_printed_as_text(client, learner, fake_pdf, db):
    name = '<b>Bold</b> =HYPERLINK("http://x")'
    cid = certificate_id(ask(client, "cert-course", name))
    assert db.session.get(Certificate, cid).name_on_certificate == name
    assert "&lt;b&gt;Bold&lt;/b&gt;" in fake_pdf[0] and "<b>Bold" not in fake_pdf[0]
    assert "&lt;b&gt;Bold&lt;/b&gt;" in client.get(f"/certificates/{cid}").get_data(as_text=True)


def test_a_tampered_confirmation_is_shown_again(client, learner, fake_pdf):
    page = "/certificates/cert-course/request"
    data = {"name": "Amina\u202eHaddad", "locale": "en", "step": "confirm"}
    response = client.post_form(page, data, token_from=page)
    assert response.status_code == 200 and 'value="confirm"' in response.get_data(as_text=True)
    assert count(Certificate) == 0


def test_a_language_the_course_lacks_is_refused(client, learner, fake_pdf):
    page = "/certificates/cert-course/request"
    response = client.post_form(page, {"name": "Amina", "locale": "tr", "step": "confirm"}, token_from=page)
    assert response.status_code == 200 and count(Certificate) == 0


def test_before_completion_the_name_is_kept_and_issued_on_completion(
    client, make_user, auth, storage, course, fake_pdf, db
):
    user = make_user(username="early-bird")
    courses.enroll(user, course)
    auth.login("early-bird")
    response = ask(client, "cert-course", "Early Bird", "ar")
    assert response.status_code == 303 and response.headers["Location"].endswith("/courses/cert-course/")
    pending = services.pending_request(user, course)
    assert pending.name_on_certificate == "Early Bird" and not pending.is_issued and not fake_pdf
    assert client.get(f"/certificates/{pending.id}/certificate.pdf").status_code == 404
    complete(user, course)
    page = client.get("/certificates/cert-course/request").get_data(as_text=True)
    assert 'value="Early Bird"' in page
    cid = certificate_id(ask(client, "cert-course", "Early Bird", "ar"))
    assert cid == pending.id and count(Certificate) == 1


def test_not_enrolled_cannot_ask(client, make_user, auth, storage, course, fake_pdf):
    user = make_user(username="stranger")
    auth.login("stranger")
    response = client.get("/certificates/cert-course/request")
    assert response.status_code == 303 and response.headers["Location"].endswith("/courses/cert-course/")
    with pytest.raises(services.NotEligible):
        services.issue_certificate(user, course, "Stranger", "en")
    courses.enroll(user, course)
    with pytest.raises(services.NotEligible):
        services.issue_certificate(user, course, "Stranger", "en")
    assert count(Certificate) == 0 and not fake_pdf


def test_a_new_course_version_gets_its_own_certificate(client, learner, fake_pdf, tmp_path, db, course):
    first = certificate_id(ask(client, "cert-course", "Amina Haddad"))
    courses.import_path(
        write_course(tmp_path / "v2", slug="cert-course", version=2, modules=1, lessons_per_module=2)
    )
    second = certificate_id(ask(client, "cert-course", "Amina Haddad"))
    assert first != second
    versions = db.session.scalars(sa.select(Certificate.course_version).order_by(Certificate.id)).all()
    assert versions == [1, 2]


def test_expiry_comes_from_the_course(client, learner, fake_pdf, db, course):
    course.certificate_valid_years = 2
    db.session.flush()
    cid = certificate_id(ask(client, "cert-course", "Amina Haddad"))
    certificate = db.session.get(Certificate, cid)
    assert certificate.expires_at.year == certificate.issued_at.year + 2
    assert certificate.expires_at.month == certificate.issued_at.month


def test_the_pdf_is_stored_once_and_served_from_storage(client, learner, fake_pdf, storage, db):
    cid = certificate_id(ask(client, "cert-course", "Amina Haddad"))
    certificate = db.session.get(Certificate, cid)
    path = storage / certificate.pdf_path
    first = client.get(f"/certificates/{cid}/certificate.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert "attachment" in first.headers["Content-Disposition"]
    stat = path.stat()
    second = client.get(f"/certificates/{cid}/certificate.pdf")
    assert second.data == first.data == path.read_bytes()
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert len(fake_pdf) == 1  # rendered when issued, never again
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".partial-")]


def test_a_lost_file_is_rendered_again_on_download(client, learner, fake_pdf, storage, db):
    cid = certificate_id(ask(client, "cert-course", "Amina Haddad"))
    certificate = db.session.get(Certificate, cid)
    (storage / certificate.pdf_path).write_bytes(b"damaged")
    response = client.get(f"/certificates/{cid}/certificate.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert len(fake_pdf) == 2


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_full_disk_gives_503_no_file_and_no_certificate(
    client, learner, fake_pdf, storage, monkeypatch, failing
):
    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, full)
    response = ask(client, "cert-course", "Amina Haddad")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "storage is full or failing" in body and "Nothing was issued" in body
    monkeypatch.undo()
    assert count(Certificate) == 0
    assert not [p for p in storage.rglob("*") if p.is_file()]


def test_concurrent_requests_give_one_certificate(race_app, tmp_path, monkeypatch):
    from lms.accounts import services as accounts

    monkeypatch.setitem(race_app.config, "CERTIFICATE_STORAGE", str(tmp_path / "store"))
    monkeypatch.setattr(render, "html_to_pdf", lambda html, **kw: b"%PDF fake")
    with race_app.app_context():
        courses.import_path(write_course(tmp_path, slug="race-cert", modules=1, lessons_per_module=1))
        user = accounts.register("cert-racer", PASSWORD)
        course = courses.get_course("race-cert")
        complete(user, course)
        _db.session.commit()
        user_id, course_id = user.id, course.id
    errors, results, barrier = [], [], threading.Barrier(6)

    def worker(n):
        try:
            with race_app.app_context():
                u = accounts.get_user(user_id)
                c = _db.session.get(type(course), course_id)
                barrier.wait()
                results.append(services.issue_certificate(u, c, f"Racer {n}", "en").code)
                _db.session.commit()
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        assert len(set(results)) == 1
        with race_app.app_context():
            assert count(Certificate, Certificate.user_id == user_id) == 1
    finally:
        with race_app.app_context():
            _db.session.execute(sa.delete(courses.Course).where(courses.Course.slug == "race-cert"))
            racer = _db.session.scalar(
                sa.text("SELECT public_id FROM users WHERE username_key = 'cert-racer'")
            )
            _db.session.execute(sa.delete(Statement).where(Statement.actor_id == racer))
            _db.session.execute(sa.text("DELETE FROM users WHERE username_key = 'cert-racer'"))
            _db.session.commit()
