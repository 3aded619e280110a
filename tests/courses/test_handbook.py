"""Offline reading: module and course handbooks as PDF, right-to-left in Arabic, bundled fonts."""

import subprocess

import pytest

from lms.courses import services
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


def test_module_handbook_in_arabic(client, course, tmp_path):
    response = client.get("/courses/built-course/module-1/handbook.pdf", headers={"Accept-Language": "ar"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF")
    text = _pdf_text(tmp_path, data)
    assert "الموضوع" in text  # shaped Arabic extracts back as the same letters
    fonts = _pdf_fonts(tmp_path, data)
    assert "Noto-Naskh-Arabic" in fonts and "emb" in fonts.splitlines()[0]


def test_course_handbook_in_english_has_every_module(client, course, tmp_path):
    response = client.get("/courses/built-course/handbook.pdf")
    text = _pdf_text(tmp_path, response.get_data())
    assert "Lesson m1-lesson-1" in text and "Lesson m2-lesson-2" in text
    assert "Noto-Sans" in _pdf_fonts(tmp_path, response.get_data())
