"""A certificate asked for before finishing is issued when the course is completed (a typed signal)."""

import errno
import os

from lms.app import create_app
from lms.certificates import services
from lms.certificates.models import Certificate
from lms.courses import services as courses
from lms.courses import signals
from tests.certificates.helpers import ask, count

LESSON = "/courses/cert-course/module-1/m1-lesson-1"


def asked_early(make_user, auth, client, course, username="early"):
    """A signed-in learner, enrolled, who gave the name for the certificate before finishing."""
    user = make_user(username=username)
    courses.enroll(user, course)
    auth.login(username)
    response = ask(client, "cert-course", "Amina Haddad", "ar")
    assert response.status_code == 303
    assert services.pending_request(user, course) is not None
    return user


def test_certificates_subscribe_to_course_completion(app):
    # Nothing subscribed: the promise "issued as soon as you complete the course" would be false.
    assert services.issue_on_completion in list(signals.course_completed.receivers_for(app))
    other = create_app(dict(app.config))
    assert services.issue_on_completion in list(signals.course_completed.receivers_for(other))


def test_completing_the_course_issues_the_requested_certificate_shown_on_my_learning(
    client, make_user, auth, storage, course, fake_pdf, db
):
    user = asked_early(make_user, auth, client, course)
    assert not fake_pdf
    assert client.post_form(f"{LESSON}/done", token_from=LESSON).status_code == 303
    assert courses.get_enrolment(user, course).completed_at is not None
    certificate = services.current_certificate(user, course)
    assert certificate.is_issued and certificate.name_on_certificate == "Amina Haddad"
    assert certificate.locale == "ar" and len(fake_pdf) == 1 and count(Certificate) == 1
    assert services.stored_pdf(certificate) is not None
    mine = client.get("/me/").get_data(as_text=True)
    assert f"/certificates/{certificate.id}/certificate.pdf" in mine
    assert "It will be issued when you complete the course." not in mine
    # Marking the lesson again completes nothing twice and issues nothing twice.
    client.post_form(f"{LESSON}/done", token_from=LESSON)
    assert count(Certificate) == 1 and len(fake_pdf) == 1


def test_completion_without_a_request_issues_nothing(client, make_user, auth, storage, course, fake_pdf, db):
    user = make_user(username="no-request")
    courses.enroll(user, course)
    auth.login("no-request")
    client.post_form(f"{LESSON}/done", token_from=LESSON)
    assert courses.get_enrolment(user, course).completed_at is not None
    assert count(Certificate) == 0 and not fake_pdf


def test_a_certificate_that_cannot_be_stored_leaves_the_completion_and_the_request(
    client, make_user, auth, storage, course, fake_pdf, db, monkeypatch
):
    user = asked_early(make_user, auth, client, course)

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert client.post_form(f"{LESSON}/done", token_from=LESSON).status_code == 303
    monkeypatch.undo()
    db.session.expire_all()
    assert courses.get_enrolment(user, course).completed_at is not None
    pending = services.pending_request(user, course)
    assert pending is not None and not pending.is_issued
    assert not [p for p in storage.rglob("*.pdf") if not p.name.startswith(".partial")]
    # The next bulk run issues it.
    assert services.issuable_requests(course) == [pending.id]
