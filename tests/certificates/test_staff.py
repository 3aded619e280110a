"""Managers and admins: revoke, reissue, course lists, the ZIP, bulk issuing from the CLI."""

import io
import zipfile

import pytest
import sqlalchemy as sa

from lms.certificates import services
from lms.certificates.models import Certificate
from lms.courses import services as courses
from lms.records.models import Statement
from tests.certificates.helpers import ask, certificate_id, complete, count
from tests.conftest import PASSWORD


@pytest.fixture
def issued(client, learner, fake_pdf, db):
    """A certificate issued to the learner, who then signs out."""
    cid = certificate_id(ask(client, "cert-course", "Amina Haddad", "en"))
    client.post_form("/logout")
    return db.session.get(Certificate, cid)


@pytest.fixture
def manager(make_user, auth):
    """A signed-in programme-wide manager."""
    from lms.reports import services as reports

    user = make_user(role="manager", username="cert-manager")
    reports.grant_scope(None, user, None)
    auth.login("cert-manager")
    return user


def test_manager_revokes_with_a_reason_and_reissues(client, issued, manager, storage, fake_pdf, db):
    page = f"/certificates/{issued.id}"
    assert client.post_form(f"{page}/revoke", {"v-reason": ""}).status_code == 303
    db.session.refresh(issued)
    assert issued.revoked_at is None  # no reason, no revocation
    response = client.post_form(f"{page}/revoke", {"v-reason": "Name misspelt"})
    assert response.status_code == 303
    db.session.refresh(issued)
    assert (
        issued.revoked_at and issued.revoke_reason == "Name misspelt" and issued.revoked_by_id == manager.id
    )
    assert "has been revoked" in client.get(f"/verify/{issued.code}").get_data(as_text=True)
    old_file = storage / issued.pdf_path
    response = client.post_form(f"{page}/reissue", {"r-name": "Amina Haddad-Smith", "r-locale": "ar"})
    assert response.status_code == 303
    db.session.refresh(issued)
    assert issued.revoked_at is None and issued.reissued_at is not None
    assert issued.name_on_certificate == "Amina Haddad-Smith" and issued.locale == "ar"
    assert not old_file.exists() and (storage / issued.pdf_path).exists()
    assert len(fake_pdf) == 2 and 'lang="ar"' in fake_pdf[-1]
    assert "This certificate is valid." in client.get(f"/verify/{issued.code}").get_data(as_text=True)


def test_a_reissue_that_cannot_be_stored_keeps_the_old_certificate(
    client, issued, manager, storage, monkeypatch, db
):
    import os

    before = (issued.pdf_path, issued.pdf_sha256)

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    response = client.post_form(f"/certificates/{issued.id}/reissue", {"r-name": "Other", "r-locale": "en"})
    monkeypatch.undo()
    assert response.status_code == 503 and response.headers["Retry-After"] == "300"
    assert "storage is full or failing" in response.get_data(as_text=True)
    db.session.refresh(issued)
    assert (issued.pdf_path, issued.pdf_sha256) == before and issued.name_on_certificate == "Amina Haddad"
    assert (storage / issued.pdf_path).exists()


def test_learners_cannot_revoke(client, issued, learner, auth, db):
    auth.login("cert-learner")
    assert client.post_form(f"/certificates/{issued.id}/revoke", {"v-reason": "mine"}).status_code == 403
    db.session.refresh(issued)
    assert issued.revoked_at is None


def test_staff_see_the_revoke_form_and_the_course_list(client, issued, manager):
    detail = client.get(f"/certificates/{issued.id}").get_data(as_text=True)
    assert "/revoke" in detail and "/reissue" in detail
    listing = client.get("/certificates/courses/cert-course/").get_data(as_text=True)
    assert "Amina Haddad" in listing and "certificates.zip" in listing


def test_zip_has_every_valid_certificate(client, issued, manager, make_user, course, fake_pdf, db, storage):
    other = make_user(username="second-learner")
    complete(other, course)
    revoked = services.issue_certificate(other, course, "Revoked Person", "ar")
    services.revoke(manager, revoked, "test")
    db.session.flush()
    response = client.get("/certificates/courses/cert-course/certificates.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.is_streamed
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == 1 and names[0].startswith("Amina Haddad-") and names[0].endswith(".pdf")
    assert archive.read(names[0]) == (storage / issued.pdf_path).read_bytes()


def test_bulk_issue_covers_completed_learners_who_gave_a_name(
    runner, make_user, course, storage, db, fake_pdf
):
    early = [make_user(username=f"early-{n}") for n in range(3)]
    for n, user in enumerate(early):
        courses.enroll(user, course)
        services.request_certificate(user, course, f"Early Learner {n}", "ar" if n else "en")
    for user in early[:2]:
        complete(user, course)
    silent = make_user(username="never-asked")
    complete(silent, course)
    db.session.flush()
    result = runner.invoke(args=["certificates", "issue", "--course", "cert-course", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "Issued 2 certificate(s)" in result.output
    assert "1 learner(s) completed the course without asking" in result.output
    issued = db.session.scalars(sa.select(Certificate).where(Certificate.issued_at.is_not(None))).all()
    assert sorted(c.name_on_certificate for c in issued) == ["Early Learner 0", "Early Learner 1"]
    assert all((storage / c.pdf_path).exists() for c in issued)
    actors = [user.public_id for user in early]
    assert count(Statement, Statement.verb == services.VERB_EARNED, Statement.actor_id.in_(actors)) == 2
    assert services.pending_request(early[2], course) is not None  # not completed yet
    again = runner.invoke(args=["certificates", "issue", "--course", "cert-course", "--workers", "1"])
    assert "Issued 0 certificate(s)" in again.output


@pytest.mark.slow
def test_bulk_issue_renders_in_a_process_pool(app, runner, make_user, course, storage, db):
    for n in range(3):
        user = make_user(username=f"pool-{n}")
        courses.enroll(user, course)
        services.request_certificate(
            user, course, f"سارة حداد {n}" if n else "Amina Haddad", "ar" if n else "en"
        )
        complete(user, course)
    db.session.flush()
    result = runner.invoke(args=["certificates", "issue", "--course", "cert-course", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "Issued 3 certificate(s)" in result.output
    for certificate in db.session.scalars(sa.select(Certificate)):
        assert (storage / certificate.pdf_path).read_bytes().startswith(b"%PDF")


def test_bulk_issue_refuses_unknown_courses(runner, course):
    result = runner.invoke(args=["certificates", "issue", "--course", "no-such-course"])
    assert result.exit_code != 0 and "no course" in result.output
    result = runner.invoke(args=["certificates", "issue", "--course", "cert-course", "--locale", "tr"])
    assert result.exit_code != 0


def test_someone_elses_certificate_is_not_found(client, issued, make_user, auth):
    make_user(username="nosy")
    auth.login("nosy", PASSWORD)
    assert client.get(f"/certificates/{issued.id}").status_code == 404
    assert client.get(f"/certificates/{issued.id}/certificate.pdf").status_code == 404
