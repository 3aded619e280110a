"""The certificate document: the name rules, the plain data it is rendered from, HTML and PDF.

Rendering never sees an ORM object: services build a frozen `CertificateData`, `render_html`
turns it into HTML under the certificate's own locale, and `lms.core.pdf.render_pdf` turns the
HTML into PDF bytes with the bundled fonts only and the certificate's stylesheet. The HTML step
needs the app (templates and translations); the PDF step needs nothing but the string, so bulk
issuing can run it in worker processes.
"""

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.core.i18n import text_direction
from lms.core.pdf import (
    FONT_DIR,
    FONT_STACK,
    FONT_STACK_ARABIC,
    Stylesheet,
    font_face_css,
    render_pdf,
)

MAX_NAME_LENGTH = 120
# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) would let a
# name reorder the text around it; the marks (LRM, RLM, ALM) are invisible. The layout isolates
# the name itself, so none of them is needed.
BIDI_CONTROLS = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])
# Zero-width (non-)joiners shape Arabic-script names (Persian, Urdu spellings): keep them.
JOINERS = frozenset({0x200C, 0x200D})
# The name is set in bold: every character must be in one of these.
NAME_FONTS = ("NotoSans-Bold.ttf", "NotoNaskhArabic-Bold.ttf")
RENDER_TIMEOUT = 30
CSS_FILE = Path(__file__).resolve().parent / "templates" / "certificates" / "certificate.css"


class UnprintableName(ValueError):
    """A name that cannot be printed as typed; the message is for the learner."""


@dataclass(frozen=True)
class CertificateData:
    """Everything a certificate shows, as plain values."""

    locale: str
    name: str
    course_title: str
    issued_on: str  # formatted in the certificate's locale
    expires_on: str | None
    issuer: str
    signatory: str
    code: str  # grouped for reading
    verify_url: str
    is_sample: bool = False
    live_hours: str | None = None  # "2.5", in the certificate's locale; blended cohorts only


def clean_name(raw: str | None) -> str:
    """Normalise a name to print: NFC, no control or bidi characters, single spaces, trimmed."""
    text = unicodedata.normalize("NFC", raw or "")
    kept = []
    for char in text:
        point = ord(char)
        if point in BIDI_CONTROLS:
            continue
        category = unicodedata.category(char)
        if category == "Cc" or (category == "Cf" and point not in JOINERS):
            # Tabs and newlines become spaces below; other invisible characters go.
            kept.append(" " if char.isspace() else "")
            continue
        kept.append(char)
    return " ".join("".join(kept).split())


@cache
def _cmap(filename: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(FONT_DIR / filename, lazy=True) as font:
        return frozenset(font.getBestCmap())


def drawable_characters() -> frozenset[int]:
    """Return the code points the bundled name fonts can draw."""
    points: set[int] = set(JOINERS)
    for filename in NAME_FONTS:
        points |= _cmap(filename)
    return frozenset(points)


def undrawable(name: str) -> list[str]:
    """Return the distinct characters of `name` that no bundled font can draw, in order."""
    drawable = drawable_characters()
    missing: list[str] = []
    for char in name:
        if ord(char) not in drawable and char not in missing:
            missing.append(char)
    return missing


def check_name(raw: str | None) -> str:
    """Return the name as it will be printed, or raise UnprintableName saying why it cannot be."""
    name = clean_name(raw)
    if not name:
        raise UnprintableName(_("Type the name to print on your certificate."))
    if len(name) > MAX_NAME_LENGTH:
        raise UnprintableName(
            _(
                "A name on a certificate can have at most %(max)d characters; this one has %(count)d.",
                max=MAX_NAME_LENGTH,
                count=len(name),
            )
        )
    missing = undrawable(name)
    if missing:
        shown = " ".join(f"{c} (U+{ord(c):04X})" for c in missing[:8])
        raise UnprintableName(
            _(
                "Our certificate fonts cannot print these characters: %(chars)s. "
                "Please write your name in Latin or Arabic letters, without symbols or emoji.",
                chars=shown,
            )
        )
    return name


def text_direction_of(text: str) -> str:
    """Return "rtl" or "ltr" from the first strong character of `text` (as dir=auto does)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def qr_svg(url: str) -> str:
    """Return the QR code of `url` as an inline SVG element (no XML declaration)."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=4, border=0, dark="#1d2733", omitsize=True)


def name_size(name: str) -> int:
    """Return the name's font size in points: long names get smaller type, never cut."""
    length = len(name)
    if length <= 32:
        return 34
    if length <= 60:
        return 26
    if length <= 90:
        return 20
    return 16


def render_html(data: CertificateData) -> str:
    """Render the certificate's HTML in its own locale (needs an app context)."""
    rtl = text_direction(data.locale) == "rtl"
    # The template alone, without the site's context processors: a PDF depends only on its
    # data, and bulk issuing renders it outside any request.
    template = current_app.jinja_env.get_template("certificates/certificate.html")
    with force_locale(data.locale):
        return template.render(
            c=data,
            direction="rtl" if rtl else "ltr",
            name_dir=text_direction_of(data.name),
            title_dir=text_direction_of(data.course_title),
            name_pt=name_size(data.name),
            qr=qr_svg(data.verify_url),
        )


@cache
def stylesheet() -> Stylesheet:
    """Return the certificates' stylesheet: the bundled fonts, a font stack per direction, the CSS."""
    return Stylesheet(
        "\n".join(
            [
                font_face_css(),
                f"html[dir=ltr] body {{ font-family: {FONT_STACK}; }}",
                f"html[dir=rtl] body {{ font-family: {FONT_STACK_ARABIC}; }}",
                CSS_FILE.read_text(encoding="utf-8"),
            ]
        )
    )


def html_to_pdf(html: str, *, timeout: float = RENDER_TIMEOUT) -> bytes:
    """Render certificate HTML to PDF with the bundled fonts only (no app needed).

    `lms.core.pdf.render_pdf` with the certificates' stylesheet: its fonts are loaded and its
    CSS parsed once per thread, not for every certificate.
    """
    return render_pdf(html, stylesheet=stylesheet(), timeout=timeout)


def html_to_pdf_fresh(html: str) -> bytes:
    """Render as `html_to_pdf`, but parsing the stylesheet and loading its fonts anew."""
    return render_pdf(html, stylesheet=Stylesheet(stylesheet().css), timeout=RENDER_TIMEOUT)


def render_certificate(data: CertificateData) -> bytes:
    """Render a certificate to PDF bytes."""
    return html_to_pdf(render_html(data))
