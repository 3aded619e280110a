"""The translation template is current and every catalog is complete (no untranslated or fuzzy)."""

import shutil
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


def test_update_changes_no_file_when_no_string_changed(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "translations.py", tmp_path / "scripts" / "translations.py")
    shutil.copytree(ROOT / "translations", tmp_path / "translations", ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    shutil.copytree(ROOT / "lms", tmp_path / "lms", ignore=shutil.ignore_patterns("__pycache__", "fonts"))
    before = {p: p.read_bytes() for p in (tmp_path / "translations").rglob("*.po*")}
    subprocess.run(
        [sys.executable, str(tmp_path / "scripts" / "translations.py"), "update"],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    changed = [str(p.relative_to(tmp_path)) for p, data in before.items() if p.read_bytes() != data]
    assert changed == []
