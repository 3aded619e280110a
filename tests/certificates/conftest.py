"""Fixtures for certificates: a course, learners who completed it, storage, a fast fake renderer."""

import hashlib

import pytest

from lms.certificates import render
from lms.courses import services as courses
from tests.certificates.helpers import complete
from tests.courses.course_builder import write_course


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    """A fresh certificate storage folder for the test."""
    folder = tmp_path / "certificate-store"
    monkeypatch.setitem(app.config, "CERTIFICATE_STORAGE", str(folder))
    return folder


@pytest.fixture
def fake_pdf(monkeypatch):
    """Skip WeasyPrint: the HTML is still rendered, the 'PDF' is a digest of it. Counts renders."""
    calls = []

    def fake(html: str, **_kwargs) -> bytes:
        calls.append(html)
        return b"%PDF-1.7 fake " + hashlib.sha256(html.encode()).hexdigest().encode()

    monkeypatch.setattr(render, "html_to_pdf", fake)
    return calls


@pytest.fixture
def course(db, tmp_path):
    """A published course in English and Arabic that gives certificates."""
    courses.import_path(
        write_course(tmp_path / "packages", slug="cert-course", modules=1, lessons_per_module=1)
    )
    return courses.get_course("cert-course")


@pytest.fixture
def learner(make_user, auth, storage, course):
    """A signed-in learner who completed the course."""
    user = make_user(username="cert-learner", display_name="Display Name Not Printed", email="me@example.org")
    complete(user, course)
    auth.login("cert-learner")
    return user
