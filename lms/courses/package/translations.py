"""`translations.toml`: the source each translation was made from, so stale marks survive git.

Pure code. The file maps a translated lesson (`01-x/02-y.ar.md`) or one question of a
translated quiz (`01-x/quiz.ar.gift#q3`, `assessment.ar.gift#a1`) to the SHA-256 of its
default-locale source when the translation was written: of the whole lesson file, or of the
source question written back as GIFT. A translation whose source hashes differently now is
stale. The editor writes the file; `flask courses import` and the editor read it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from lms.quizzes import Question, dump_question, gift

from .model import Problem

FILENAME = "translations.toml"
TABLE = "sources"
_HEX = re.compile(r"^[0-9a-f]{64}$")
_LESSON = re.compile(r"^(\d{2,}-[^/.]+)/(\d{2,})-([^/.]+)\.([^/.]+)\.md$")
_QUIZ = re.compile(r"^(?:(\d{2,}-[^/.]+)/quiz|assessment)\.([^/.]+)\.gift#(.+)$")
HEADER = (
    "# The source each translation was made from (SHA-256), written by Tamkeen's editor.\n"
    "# A translation whose source has changed since is stale. See docs/course-format.md.\n"
)


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def question_hash(question: Question) -> str:
    """Hash what a question says (not where it sits in the file)."""
    try:
        canonical = dump_question(question)
    except ValueError:
        canonical = repr(question)
    return sha256(canonical.encode())


def question_hashes(text: str) -> dict[str, str]:
    """Return {question id: hash} for a bank's questions that have ids ({} when unreadable)."""
    try:
        questions = gift.parse(text)
    except gift.GiftSyntaxError:
        return {}
    return {q.id: question_hash(q) for q in questions if q.id}


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace").removeprefix("\ufeff").replace("\r\n", "\n")


def source_of(key: str, default_locale: str) -> tuple[str, str | None] | None:
    """Return (source path, question id or None) of a translation key, or None if it names none."""
    if match := _LESSON.match(key):
        module, prefix, slug, locale = match.groups()
        if locale != default_locale:
            return f"{module}/{prefix}-{slug}.{default_locale}.md", None
        return None
    if match := _QUIZ.match(key):
        module, locale, qid = match.groups()
        if locale == default_locale:
            return None
        return (
            f"{module}/quiz.{default_locale}.gift" if module else f"assessment.{default_locale}.gift"
        ), qid
    return None


def render(sources: Mapping[str, str]) -> bytes:
    """Return translations.toml for {translation key: source hash}, keys sorted (stable in git)."""
    lines = [HEADER, f"[{TABLE}]"]
    lines += [f'"{key}" = "{digest}"' for key, digest in sorted(sources.items())]
    return ("\n".join(lines) + "\n").encode()


def check(data: dict[str, Any], text: str) -> tuple[dict[str, str], list[Problem]]:
    """Check parsed translations.toml; return {key: hash} and the problems (with their lines)."""
    problems: list[Problem] = []
    lines = text.splitlines()

    def line_of(needle: str) -> int:
        return next((n for n, line in enumerate(lines, 1) if needle in line), 0)

    for key in data:
        if key != TABLE:
            problems.append(
                Problem(FILENAME, line_of(key), f"unknown key {key}: the file holds a [{TABLE}] table")
            )
    table = data.get(TABLE, {})
    if not isinstance(table, dict):
        return {}, [
            *problems,
            Problem(FILENAME, line_of(TABLE), f"{TABLE} must be a table such as [{TABLE}]"),
        ]
    sources: dict[str, str] = {}
    for key, value in table.items():
        if not (_LESSON.match(key) or _QUIZ.match(key)):
            message = (
                f"{key} is not a translated lesson (NN-module/NN-lesson.LOCALE.md) "
                "or quiz question (NN-module/quiz.LOCALE.gift#ID, assessment.LOCALE.gift#ID)"
            )
            problems.append(Problem(FILENAME, line_of(f'"{key}"'), message))
        elif not isinstance(value, str) or not _HEX.match(value):
            problems.append(Problem(FILENAME, line_of(f'"{key}"'), f"{key}: the value is a SHA-256 in hex"))
        else:
            sources[key] = value
    return sources, problems


def stale(files: Mapping[str, bytes], default_locale: str, sources: Mapping[str, str]) -> list[str]:
    """Return the keys whose translation exists but whose source has changed since (sorted).

    Entries for files or questions that are not there any more are ignored.
    """
    out = []
    banks: dict[str, dict[str, str]] = {}
    for key, digest in sources.items():
        found = source_of(key, default_locale)
        if found is None:
            continue
        source, qid = found
        translated = key.split("#", 1)[0]
        if source not in files or translated not in files:
            continue
        if qid is None:
            current = sha256(files[source])
        else:
            if source not in banks:
                banks[source] = question_hashes(_text(files[source]))
            current = banks[source].get(qid)
            if current is None:
                continue
        if current != digest:
            out.append(key)
    return sorted(out)
