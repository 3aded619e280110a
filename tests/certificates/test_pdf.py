"""Real certificates: text, fonts, mirrored layout, QR code, the sample command (slow: WeasyPrint)."""

import re
import shutil
import subprocess
import threading

import pytest

from lms.certificates import codes, render, services
from lms.certificates.models import Certificate
from tests.certificates.helpers import ask, certificate_id, count

pytestmark = pytest.mark.slow

BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _text(pdf_path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    )
    return BIDI.sub("", out.stdout)


def _fonts(pdf_path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def _word_x(pdf_path, word: str) -> tuple[float, float]:
    """Return the horizontal position of `word` and the page width, from pdftotext -bbox."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True, check=True
    )
    width = float(re.search(r'<page width="([\d.]+)"', out.stdout).group(1))
    for match in re.finditer(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', out.stdout):
        if word in match.group(2):
            return float(match.group(1)), width
    raise AssertionError(f"{word!r} not in the PDF")


def _issue(client, storage, db, name, locale):
    cid = certificate_id(ask(client, "cert-course", name, locale))
    certificate = db.session.get(Certificate, cid)
    response = client.get(f"/certificates/{cid}/certificate.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    path = storage / certificate.pdf_path
    assert path.read_bytes() == response.data
    return certificate, path


def test_latin_certificate_has_the_name_code_and_only_bundled_fonts(client, learner, storage, db):
    certificate, path = _issue(client, storage, db, "Amina Haddad-Smith", "en")
    text = _text(path)
    code = codes.format_code(certificate.code)
    assert "Amina Haddad-Smith" in text
    assert code in text and f"/verify/{code}" in text
    assert "Course cert-course (en)" in text and "Certificate of completion" in text
    fonts = _fonts(path)
    assert fonts and all(row[0].split("+")[-1].startswith("Noto-Sans") for row in fonts), fonts
    assert all(row[-5:-2] == ["yes", "yes", "yes"] for row in fonts), fonts  # embedded, subset, unicode
    x, width = _word_x(path, code[:9])
    assert x > width / 2  # left-to-right: the code sits at the end, on the right


def test_arabic_certificate_is_shaped_mirrored_and_uses_naskh(client, learner, storage, db):
    certificate, path = _issue(client, storage, db, "سارة حداد", "ar")
    text = _text(path)
    code = codes.format_code(certificate.code)
    assert "سارة حداد" in text
    assert code in text
    assert "cert-course" in text  # the Latin title inside Arabic text may be reordered by extraction
    names = {row[0].split("+")[-1] for row in _fonts(path)}
    assert "Noto-Naskh-Arabic-Bold" in names and all(n.startswith("Noto-") for n in names), names
    x, width = _word_x(path, code[:9])
    assert x < width / 2  # right-to-left: the same block is mirrored to the left


def test_hostile_name_is_printed_literally(client, learner, storage, db):
    name = '<b>Amina</b> =HYPERLINK("http://example.org")'
    _certificate, path = _issue(client, storage, db, name, "en")
    squeeze = re.compile(r"\s+")
    assert squeeze.sub("", name) in squeeze.sub("", _text(path))  # literal text, wrapped at most


@pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbarimg (zbar-tools) is not installed")
def test_the_qr_code_reads_as_the_verify_url(client, learner, storage, db, tmp_path):
    certificate, path = _issue(client, storage, db, "Amina Haddad", "ar")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page")], check=True
    )
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == services.verify_url(certificate.code)


def test_render_sample_stores_nothing(runner, storage, tmp_path):
    out = tmp_path / "sample.pdf"
    result = runner.invoke(
        args=["certificates", "render-sample", "--locale", "ar", "--name", "أمينة حداد", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = _text(out)
    assert "أمينة حداد" in text
    assert re.search(r"([0-9A-Z]{4}-){6}[0-9A-Z]{2}", text)
    assert not storage.exists() and count(Certificate) == 0


def test_render_sample_refuses_an_unprintable_name(runner, tmp_path):
    out = tmp_path / "sample.pdf"
    result = runner.invoke(
        args=["certificates", "render-sample", "--locale", "en", "--name", "Amina 🎓", str(out)]
    )
    assert result.exit_code != 0 and "cannot print" in result.output
    assert not out.exists()


def test_the_name_fonts_cover_latin_and_arabic_but_not_emoji():
    drawable = render.drawable_characters()
    assert all(ord(c) in drawable for c in "Amina Haddad-Smith Çağlar Núñez Ærø سارة حداد مُحَمَّد")
    assert ord("😀") not in drawable and ord("王") not in drawable


def _sample(**changes) -> render.CertificateData:
    values = {
        "locale": "en",
        "name": "Amina Haddad",
        "course_title": "Lobbying in international organisations",
        "issued_on": "22 November 2026",
        "expires_on": None,
        "issuer": "Tamkeen",
        "signatory": "Leila Mansour",
        "code": "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-23",
        "verify_url": "https://tamkeen.example.org/verify/ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-23",
    }
    return render.CertificateData(**{**values, **changes})


def test_the_certificate_stylesheet_is_parsed_once_per_thread():
    sheet = render.stylesheet()
    first = sheet.parsed()
    assert sheet.parsed() is first
    seen = []
    worker = threading.Thread(target=lambda: seen.append(sheet.parsed()))
    worker.start()
    worker.join()
    assert seen[0] is not first and seen[0][0] is not first[0]  # its own font configuration


@pytest.mark.parametrize("locale, name", [("en", "Amina Haddad"), ("ar", "سارة حداد")])
def test_the_shared_stylesheet_renders_what_a_fresh_one_does(app, locale, name):
    with app.app_context():
        html = render.render_html(_sample(locale=locale, name=name))
    assert "<style" not in html and "@font-face" not in html  # nothing added to the shared fonts
    assert render.html_to_pdf(html) == render.html_to_pdf_fresh(html)


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_longest_name_sample_with_expiry_stays_on_one_landscape_page(app, tmp_path, locale):
    name = ("سارة عبد الرحمن حداد " if locale == "ar" else "Amina Haddad-Smith ") * 8
    data = _sample(
        locale=locale,
        name=render.check_name(name[: render.MAX_NAME_LENGTH]),
        expires_on="22 November 2029",
        is_sample=True,
    )
    path = tmp_path / "long.pdf"
    with app.app_context():
        path.write_bytes(render.render_certificate(data))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height  # A4 landscape, from the shared stylesheet's @page
    assert data.code in _text(path)
