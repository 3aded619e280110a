"""The translation template is current and every catalog is complete (no untranslated or fuzzy)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_template_is_current_and_catalogs_are_complete():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "translations.py"), "check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_arabic_has_six_plural_forms():
    from babel.messages.pofile import read_po

    with (ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="ar")
    assert catalog.num_plurals == 6
    plurals = [m for m in catalog if m.id and not isinstance(m.id, str)]
    assert plurals and all(len(m.string) == 6 and all(m.string) for m in plurals)


def test_mo_files_are_not_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "translations"], capture_output=True, text=True, cwd=ROOT
    ).stdout
    assert ".mo" not in tracked
