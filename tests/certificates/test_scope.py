"""Managers see and act on the certificates of the organisations they manage, and no others."""

import io
import zipfile

import pytest
from flask import Flask

from lms.accounts import services as accounts
from lms.certificates import services
from lms.reports import services as reports
from tests.certificates.helpers import complete


@pytest.fixture
def two_orgs(make_organisation, make_user, course, storage, fake_pdf, db):
    """Two organisations, each with a learner holding a certificate of the course."""
    own, other = make_organisation(name="Managed NGO"), make_organisation(name="Other NGO")
    holders = {}
    for organisation, name in ((own, "Inside Person"), (other, "Outside Person")):
        learner = make_user(username=name.split()[0].lower())
        accounts.join_organisation(learner, organisation)
        complete(learner, course)
        holders[name] = services.issue_certificate(learner, course, name, "en")
    db.session.flush()
    return own, other, holders["Inside Person"], holders["Outside Person"]


def _manager(make_user, auth, organisation=None, *, programme=False):
    manager = make_user(role="manager", username="scoped-manager")
    if organisation is not None:
        reports.grant_scope(None, manager, organisation)
    if programme:
        reports.grant_scope(None, manager, None)
    auth.login("scoped-manager")
    return manager


def _zip_names(client) -> list[str]:
    response = client.get("/certificates/courses/cert-course/certificates.zip")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data)).namelist()


def test_a_manager_sees_and_acts_only_on_their_organisations_certificates(
    client, two_orgs, make_user, auth, db
):
    own, _other, inside, outside = two_orgs
    _manager(make_user, auth, own)
    listing = client.get("/certificates/courses/cert-course/").get_data(as_text=True)
    assert "Inside Person" in listing and "Outside Person" not in listing
    names = _zip_names(client)
    assert len(names) == 1 and names[0].startswith("Inside Person")
    assert client.get(f"/certificates/{inside.id}").status_code == 200
    assert client.get(f"/certificates/{inside.id}/certificate.pdf").status_code == 200
    for path in (f"/certificates/{outside.id}", f"/certificates/{outside.id}/certificate.pdf"):
        assert client.get(path).status_code == 404
    revoke = client.post_form(f"/certificates/{outside.id}/revoke", {"v-reason": "spite"})
    reissue = client.post_form(
        f"/certificates/{outside.id}/reissue", {"r-name": "Someone Else", "r-locale": "en"}
    )
    assert revoke.status_code == 404 and reissue.status_code == 404
    db.session.refresh(outside)
    assert outside.revoked_at is None and outside.name_on_certificate == "Outside Person"
    assert client.post_form(f"/certificates/{inside.id}/revoke", {"v-reason": "typo"}).status_code == 303
    db.session.refresh(inside)
    assert inside.revoked_at is not None


def test_a_manager_given_no_organisation_sees_no_certificate(client, two_orgs, make_user, auth, db):
    _own, _other, inside, outside = two_orgs
    _manager(make_user, auth)
    listing = client.get("/certificates/courses/cert-course/").get_data(as_text=True)
    assert "Inside Person" not in listing and "Outside Person" not in listing
    assert _zip_names(client) == []
    for certificate in (inside, outside):
        assert client.get(f"/certificates/{certificate.id}").status_code == 404
        assert (
            client.post_form(f"/certificates/{certificate.id}/revoke", {"v-reason": "x"}).status_code == 404
        )
    with pytest.raises(services.CertificateError):
        services.revoke(accounts.find_user("scoped-manager"), inside, "from a script")


def test_programme_managers_and_admins_see_every_certificate(client, two_orgs, make_user, auth):
    _manager(make_user, auth, programme=True)
    listing = client.get("/certificates/courses/cert-course/").get_data(as_text=True)
    assert "Inside Person" in listing and "Outside Person" in listing
    assert len(_zip_names(client)) == 2
    client.post_form("/logout")
    make_user(role="admin", username="cert-admin")
    auth.login("cert-admin")
    assert len(_zip_names(client)) == 2


def test_the_app_says_which_learners_managers_see(app):
    # Registered by create_app (reports knows managers' organisations); without it no manager
    # would see any certificate, so its absence must fail here rather than go unnoticed.
    assert services.has_learner_scope(app)
    assert not services.has_learner_scope(Flask("an-app-nobody-registered-for"))


def test_with_no_registered_scope_a_manager_sees_nothing_and_an_admin_everything(two_orgs, make_user, course):
    from lms.certificates.scope import learner_scope_requested

    manager = make_user(role="manager", username="unscoped-manager")
    reports.grant_scope(None, manager, None)  # the whole programme, once a scope is asked
    admin = make_user(role="admin", username="unscoped-admin")
    assert len(services.course_certificates(course, manager)) == 2
    with learner_scope_requested.muted():
        assert services.course_certificates(course, manager) == []
        assert not services.in_scope(manager, two_orgs[2])
        assert len(services.course_certificates(course, admin)) == 2
    with pytest.raises(services.NotInScope, match="managers who see this learner") as refused:
        services.revoke(make_user(username="plain-learner"), two_orgs[2], "not theirs")
    assert refused.value.status == 403
