"""Offline reading: module and course handbooks as PDF, right-to-left in Arabic, bundled fonts."""

import subprocess

import pytest

from lms.courses import handbook, services
from lms.extensions import jobs
from tests.courses.course_builder import write_course

pytestmark = pytest.mark.slow


@pytest.fixture
def course(db, tmp_path):
    services.import_path(write_course(tmp_path))
    return services.get_course("built-course")


def _pdf_text(tmp_path, data: bytes) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _pdf_fonts(tmp_path, data: bytes) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


def _ready(app, client, path: str, **kw):
    """Ask for a handbook: "being prepared" first, then the stored PDF once the worker ran."""
    jobs.state(app).huey.flush()  # only what this request queues (as if the import's jobs were lost)
    for marker in handbook.storage_dir().rglob("*.queued"):
        marker.unlink()
    pending = client.get(path, **kw)
    assert pending.status_code == 202 and pending.headers["Retry-After"].isdigit()
    assert b'http-equiv="refresh"' in pending.data
    assert len(jobs.state(app).huey) == 1  # queued once, rendered by the worker, not inline
    client.get(path, **kw)
    assert len(jobs.state(app).huey) == 1  # a second request does not queue it again
    assert jobs.state(app).run_pending() == 1
    return client.get(path, **kw)


def test_import_queues_every_handbook_of_every_locale(app, db, tmp_path):
    jobs.state(app).huey.flush()
    course = services.import_path(write_course(tmp_path)).course
    modules = services.load_outline(course)
    assert len(jobs.state(app).huey) == len(course.locales) * (1 + len(modules))


def test_stored_handbook_is_served_with_an_etag(app, client, course):
    response = _ready(app, client, "/courses/built-course/module-1/handbook.pdf")
    assert response.status_code == 200 and response.headers["ETag"]
    again = client.get(
        "/courses/built-course/module-1/handbook.pdf", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    stored = handbook.stored(course, "module-1", "en")
    assert stored is not None and stored.read_bytes() == response.get_data()


def test_module_handbook_in_arabic(app, client, course, tmp_path):
    response = _ready(
        app, client, "/courses/built-course/module-1/handbook.pdf", headers={"Accept-Language": "ar"}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF")
    text = _pdf_text(tmp_path, data)
    assert "الموضوع" in text  # shaped Arabic extracts back as the same letters
    fonts = _pdf_fonts(tmp_path, data)
    assert "Noto-Naskh-Arabic" in fonts and "emb" in fonts.splitlines()[0]


def test_course_handbook_in_english_has_every_module(app, client, course, tmp_path):
    response = _ready(app, client, "/courses/built-course/handbook.pdf")
    text = _pdf_text(tmp_path, response.get_data())
    assert "Lesson m1-lesson-1" in text and "Lesson m2-lesson-2" in text
    assert "Noto-Sans" in _pdf_fonts(tmp_path, response.get_data())
