"""The certificate document: the name rules, the plain data it is rendered from, HTML and PDF.

Rendering never sees an ORM object: services build a frozen `CertificateData`, `render_html`
turns it into HTML under the certificate's own locale, and `lms.core.pdf.render_pdf` turns the
HTML into PDF bytes with the bundled fonts only. The HTML step needs the app (templates and
translations); the PDF step needs nothing but the string, so bulk issuing can run it in worker
processes.
"""

import threading
import unicodedata
from dataclasses import dataclass
from functools import cache

import segno
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.core.i18n import text_direction
from lms.core.pdf import ASSET_BASE, FONT_DIR, BundledAssetFetcher, render_pdf, time_limit

MAX_NAME_LENGTH = 120
# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) would let a
# name reorder the text around it; the marks (LRM, RLM, ALM) are invisible. The layout isolates
# the name itself, so none of them is needed.
BIDI_CONTROLS = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])
# Zero-width (non-)joiners shape Arabic-script names (Persian, Urdu spellings): keep them.
JOINERS = frozenset({0x200C, 0x200D})
LATIN_FONTS = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
ARABIC_FONTS = ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf")
# The name is set in bold: every character must be in one of these.
NAME_FONTS = ("NotoSans-Bold.ttf", "NotoNaskhArabic-Bold.ttf")
RENDER_TIMEOUT = 30
_per_thread = threading.local()


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


def has_arabic(text: str) -> bool:
    """Tell whether `text` has characters of the Arabic script blocks."""
    return any(
        0x0600 <= ord(c) <= 0x06FF
        or 0x0750 <= ord(c) <= 0x077F
        or 0x08A0 <= ord(c) <= 0x08FF
        or 0xFB50 <= ord(c) <= 0xFDFF
        or 0xFE70 <= ord(c) <= 0xFEFF
        for c in text
    )


def _font_faces(filenames: tuple[str, ...]) -> str:
    # Only the faces a certificate uses: every @font-face costs the renderer a font load.
    families = {
        "NotoSans-Regular.ttf": ("Noto Sans", 400),
        "NotoSans-Bold.ttf": ("Noto Sans", 700),
        "NotoNaskhArabic-Regular.ttf": ("Noto Naskh Arabic", 400),
        "NotoNaskhArabic-Bold.ttf": ("Noto Naskh Arabic", 700),
    }
    return "\n".join(
        f"@font-face {{ font-family: '{families[f][0]}'; font-weight: {families[f][1]}; "
        f"src: url('{ASSET_BASE}fonts/{f}') format('truetype'); }}"
        for f in filenames
    )


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
    arabic_text = rtl or any(
        has_arabic(t) for t in (data.name, data.course_title, data.issuer, data.signatory)
    )
    fonts = (*ARABIC_FONTS, *LATIN_FONTS) if rtl else (*LATIN_FONTS, *(ARABIC_FONTS if arabic_text else ()))
    stack = "'Noto Naskh Arabic', 'Noto Sans'" if rtl else "'Noto Sans', 'Noto Naskh Arabic'"
    # The template alone, without the site's context processors: a PDF depends only on its
    # data, and bulk issuing renders it outside any request.
    template = current_app.jinja_env.get_template("certificates/certificate.html")
    with force_locale(data.locale):
        return template.render(
            c=data,
            direction="rtl" if rtl else "ltr",
            start="right" if rtl else "left",
            end="left" if rtl else "right",
            name_dir=text_direction_of(data.name),
            title_dir=text_direction_of(data.course_title),
            name_pt=name_size(data.name),
            font_css=_font_faces(fonts),
            font_stack=stack,
            qr=qr_svg(data.verify_url),
        )


def html_to_pdf(html: str, *, timeout: float = RENDER_TIMEOUT) -> bytes:
    """Render certificate HTML to PDF with the bundled fonts only (no app needed).

    The same guarantees as `lms.core.pdf.render_pdf` (its URL fetcher, its time limit), with
    one difference: the font configuration is kept per thread, so the bundled fonts are loaded
    once rather than for every certificate. That is most of what separates a warm certificate
    from a bare WeasyPrint render; only bundled fonts can ever be added to it.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = getattr(_per_thread, "font_config", None)
    if font_config is None:
        font_config = _per_thread.font_config = FontConfiguration()
    with time_limit(timeout):
        document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=BundledAssetFetcher())
        return document.write_pdf(font_config=font_config)


def html_to_pdf_fresh(html: str) -> bytes:
    """Render with `lms.core.pdf.render_pdf` as it is (a new font configuration each time)."""
    return render_pdf(html, timeout=RENDER_TIMEOUT)


def render_certificate(data: CertificateData) -> bytes:
    """Render a certificate to PDF bytes."""
    return html_to_pdf(render_html(data))
