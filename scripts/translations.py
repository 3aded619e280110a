#!/usr/bin/env python3
"""Refresh the translation template and catalogs after strings change.

Usage: scripts/translations.py update   extract messages.pot, update every catalog, fill English
       scripts/translations.py check    exit 1 if messages.pot is stale or a catalog is incomplete

English is the source language: its catalog is filled with the source strings themselves, so
"complete" means the same thing for every locale.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("en", "ar", "fr", "es", "tr")
PYBABEL = str(Path(sys.executable).parent / "pybabel")


def extract(target: Path) -> None:
    """Extract every message of the code and templates into `target`."""
    subprocess.run(
        [
            PYBABEL,
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(target),
            ".",
        ],
        check=True,
        cwd=ROOT,
    )


def message_ids(path: Path) -> set:
    """Return the message ids (with plurals and contexts) of a .po or .pot file."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {(m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in catalog if m.id}


def contents(path: Path, locale: str) -> list:
    """Return what a catalog says (ids, translations, flags), ignoring its header's dates."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return sorted((str(m.id), str(m.context), str(m.string), sorted(m.flags)) for m in catalog if m.id)


def update() -> None:
    """Extract, update the catalogs, and fill the English one; an unchanged catalog is left alone."""
    before = {}
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            before[locale] = (po.read_bytes(), contents(po, locale))
    extract(POT)
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            subprocess.run(
                [PYBABEL, "-q", "init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale], check=True
            )
        subprocess.run(
            [
                PYBABEL,
                "-q",
                "update",
                "-i",
                str(POT),
                "-d",
                str(TRANSLATIONS),
                "-l",
                locale,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            ],
            check=True,
        )
    for locale in LOCALES:
        normalise(locale)
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if locale in before and contents(po, locale) == before[locale][1]:
            po.write_bytes(before[locale][0])  # only the creation date would have changed


def normalise(locale: str) -> None:
    """Give a catalog its header (plural forms, not fuzzy); fill English from the source."""
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    catalog.fuzzy = False  # a catalog without a header reads as fuzzy and would not compile
    catalog.project, catalog.version = "Tamkeen", "1"
    catalog.msgid_bugs_address = ""
    if locale == "en":
        for message in catalog:
            if message.id and not (
                message.string if isinstance(message.string, str) else all(message.string)
            ):
                message.string = message.id if isinstance(message.id, str) else tuple(message.id)
    with po.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, no_location=True, ignore_obsolete=True, width=100)


def problems() -> list[str]:
    """Return what is stale or missing in the translations."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.pot"
        extract(fresh)
        if message_ids(fresh) != message_ids(POT):
            found.append("translations/messages.pot is stale: run scripts/translations.py update")
        wanted = message_ids(fresh)
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        if catalog.fuzzy:
            found.append(f"{locale}: the catalog header is missing or marked fuzzy")
        have = set()
        for message in catalog:
            if not message.id:
                continue
            key = (message.id if isinstance(message.id, str) else tuple(message.id), message.context)
            strings = [message.string] if isinstance(message.string, str) else list(message.string)
            if message.fuzzy:
                found.append(f"{locale}: fuzzy: {key[0]!r}")
            elif not strings or not all(strings):
                found.append(f"{locale}: untranslated: {key[0]!r}")
            have.add(key)
        for key in sorted(wanted - have, key=str):
            found.append(f"{locale}: missing: {key[0]!r}")
    return found


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        update()
    elif sys.argv[1:] == ["normalise"]:
        for code in LOCALES:
            normalise(code)
    elif sys.argv[1:] == ["check"]:
        issues = problems()
        print("\n".join(issues) or "translations are complete")
        sys.exit(1 if issues else 0)
    else:
        sys.exit(__doc__)
