"""Where learners find their certificates, and what their data download and erasure do."""

import pytest

from lms.accounts import services
from lms.certificates.models import Certificate
from lms.courses import signals as course_signals
from tests.certificates.helpers import ask, certificate_id, count
from tests.conftest import PASSWORD


@pytest.fixture
def wired(app):
    """The app, which `create_app` plugs certificates into (`lms.certificates.init_app`)."""
    assert account_signals_have(app, services.account_erasing) and account_signals_have(
        app, services.me_panels
    )
    assert account_signals_have(app, course_signals.course_page_boxes)
    return app


def account_signals_have(app, signal) -> bool:
    """Tell whether a signal has receivers for this app."""
    return bool(list(signal.receivers_for(app)))


def test_my_learning_lists_certificates_with_a_download_link(client, learner, fake_pdf, wired):
    cid = certificate_id(ask(client, "cert-course", "Amina Haddad"))
    page = client.get("/me/").get_data(as_text=True)
    assert "My certificates" in page
    assert f"/certificates/{cid}/certificate.pdf" in page


def test_the_course_page_offers_the_certificate(client, learner, fake_pdf, wired):
    assert "/certificates/cert-course/request" in client.get("/courses/cert-course/").get_data(as_text=True)
    cid = certificate_id(ask(client, "cert-course", "Amina Haddad"))
    page = client.get("/courses/cert-course/").get_data(as_text=True)
    assert f"/certificates/{cid}/certificate.pdf" in page


def test_the_data_download_includes_certificates(client, learner, fake_pdf, wired):
    certificate_id(ask(client, "cert-course", "Amina Haddad"))
    data = client.get("/me/data.json").get_json()
    assert data["certificates"][0]["name_on_certificate"] == "Amina Haddad"
    assert data["certificates"][0]["status"] == "valid"


def test_erasing_the_account_deletes_certificates_and_files(client, learner, fake_pdf, storage, wired, db):
    cid = certificate_id(ask(client, "cert-course", "Amina Haddad"))
    path = storage / db.session.get(Certificate, cid).pdf_path
    assert path.exists()
    response = client.post_form("/me/erase", {"password": PASSWORD, "confirm": "y"}, token_from="/me/erase")
    assert response.status_code == 303
    assert count(Certificate) == 0 and not path.exists()
