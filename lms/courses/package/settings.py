"""The TOML half of reading a package: course.toml, module.toml and the shared checks."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from .model import (
    FEEDBACK_MODES,
    GRADING_MODES,
    LOCALES,
    SCHEMA_VERSION,
    SLUG_MAX,
    SLUG_RE,
    Problem,
    QuizSettings,
)

_TOML_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_COURSE_KEYS = {
    "schema_version",
    "slug",
    "version",
    "default_locale",
    "locales",
    "topic",
    "estimated_minutes",
    "pass_mark",
    "certificate",
    "certificate_valid_years",
    "title",
    "summary",
}
_MODULE_KEYS = {"requires_previous", "title", "quiz"}
SLUG_RULE = "use lowercase letters, digits and single hyphens, at most 64 characters"


def _is_int(value: object) -> bool:
    # TOML booleans are Python ints; `true` is not a number of minutes.
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def valid_slug(slug: str) -> bool:
    """Return whether slug is lowercase words joined by single hyphens, at most 64 characters."""
    return bool(SLUG_RE.match(slug)) and len(slug) <= SLUG_MAX


def key_line(text: str, key: str, table: str | None = None) -> int:
    """Return the 1-based line where `key` is set (inside [table] if given), or 0."""
    current: str | None = None
    quoted = rf"(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')"
    for number, line in enumerate(text.splitlines(), 1):
        header = _TABLE_HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            current = header.group(1).strip("\"'")
            continue
        if current == table and re.match(rf"^\s*{quoted}\s*=", line):
            return number
        if current is None and table and re.match(rf"^\s*{re.escape(table)}\s*\.\s*{quoted}\s*=", line):
            return number
    return 0


def table_line(text: str, table: str) -> int:
    """Return the 1-based line of the [table] header (or its first dotted key), or 0."""
    for number, line in enumerate(text.splitlines(), 1):
        header = _TABLE_HEADER.match(line)
        if header and header.group(1).strip("\"'") == table:
            return number
        if re.match(rf"^\s*{re.escape(table)}\s*[.=]", line):
            return number
    return 0


class Checker:
    """One pass over a package's files; problems accumulate instead of stopping the pass.

    The reader subclasses it only to keep the two halves of one pass in two files.
    """

    def __init__(self, files: dict[str, bytes], folder_name: str) -> None:
        self.files = files
        self.folder_name = folder_name
        self.problems: list[Problem] = []
        self.texts: dict[str, str | None] = {}
        self.locales: tuple[str, ...] | None = None
        self.default_locale: str | None = None
        self.media: set[str] = set()

    def report(self, path: str, line: int, message: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(path, line, message))

    def text(self, path: str) -> str | None:
        """Decode a file once; a byte-order mark is dropped and CRLF becomes LF."""
        if path not in self.texts:
            data = self.files[path]
            try:
                decoded: str | None = data.decode("utf-8").removeprefix("\ufeff")
            except UnicodeDecodeError as exc:
                line = data.count(b"\n", 0, exc.start) + 1
                self.report(path, line, "the file is not UTF-8: save it as UTF-8")
                decoded = None
            self.texts[path] = decoded.replace("\r\n", "\n") if decoded is not None else None
        return self.texts[path]

    def toml(self, path: str) -> tuple[dict[str, Any], str] | None:
        """Parse a TOML file; return its data and text, or None after reporting why not."""
        text = self.text(path)
        if text is None:
            return None
        try:
            return tomllib.loads(text), text
        except tomllib.TOMLDecodeError as exc:
            message, line = str(exc), 0
            if at := _TOML_AT_LINE.search(message):
                message, line = message[: at.start()], int(at.group(1))
            elif at := _TOML_AT_END.search(message):
                message, line = message[: at.start()], max(1, len(text.splitlines()))
            self.report(path, line, f"invalid TOML: {message}")
            return None

    def locale_ok(self, path: str, locale: str) -> bool:
        """Report a file whose locale is unsupported or not one of the course's locales."""
        if locale not in LOCALES:
            self.report(path, 0, f"unsupported locale {locale} (supported: {', '.join(LOCALES)})")
            return False
        if self.locales is not None and locale not in self.locales:
            listed = ", ".join(self.locales)
            self.report(path, 0, f"locale {locale} is not in the course's locales ({listed})")
            return False
        return True

    def value(
        self,
        data: dict[str, Any],
        key: str,
        ok: Any,
        expected: str,
        where: tuple[str, str, str | None],
        default: Any = None,
    ) -> Any:
        """Return data[key] when `ok(value)`, else report it at its line and return default."""
        path, text, table = where
        if key not in data:
            return default
        if not ok(data[key]):
            label = f"[{table}] {key}" if table else key
            message = f"{label} must be {expected}, not {_show(data[key])}"
            self.report(path, key_line(text, key, table), message)
            return default
        return data[key]

    def unknown_keys(self, data: dict[str, Any], known: set[str], path: str, text: str) -> None:
        """Report every top-level key that the format does not define."""
        for key in data:
            if key not in known:
                line = key_line(text, key) or table_line(text, key)
                self.report(path, line, f"unknown key {key}")

    def localized(self, data: dict[str, Any], key: str, path: str, text: str) -> dict[str, str]:
        """Check a [title]/[summary] table: supported locales, and one entry per course locale."""
        table = data.get(key)
        if table is None:
            self.report(path, 0, f"[{key}] is missing: give a {key} for each locale")
            return {}
        if not isinstance(table, dict):
            self.report(path, key_line(text, key), f"{key} must be a table such as [{key}]")
            return {}
        result = {}
        for locale, value in table.items():
            line = key_line(text, locale, key)
            if locale not in LOCALES:
                supported = ", ".join(LOCALES)
                message = f"unsupported locale {locale} in [{key}] (supported: {supported})"
                self.report(path, line, message)
            elif not isinstance(value, str) or not value.strip():
                self.report(path, line, f"[{key}] {locale} must be a non-empty string")
            else:
                result[locale] = value
        for locale in self.locales or ():
            if locale not in table:
                self.report(path, table_line(text, key), f"[{key}] has no {locale} entry")
        return result

    # -- course.toml -------------------------------------------------------------------------

    def course_settings(self) -> dict[str, Any] | None:
        """Check course.toml; return None when its schema_version is one this code cannot read."""
        path = "course.toml"
        if path not in self.files:
            self.report(path, 0, "course.toml is missing")
            return {}
        parsed = self.toml(path)
        if parsed is None:
            return {}
        data, text = parsed
        supported = f"this version of Tamkeen reads schema_version = {SCHEMA_VERSION}"
        if "schema_version" not in data:
            self.report(path, 0, f"schema_version is missing; {supported}")
        elif data["schema_version"] != SCHEMA_VERSION or not _is_int(data["schema_version"]):
            line = key_line(text, "schema_version")
            shown = _show(data["schema_version"])
            self.report(path, line, f"unsupported schema_version {shown}; {supported}")
            return None
        self.unknown_keys(data, _COURSE_KEYS, path, text)
        where = (path, text, None)
        for key in ("slug", "version", "default_locale", "locales"):
            if key not in data:
                self.report(path, 0, f"{key} is missing")
        slug = self.value(data, "slug", lambda v: isinstance(v, str), "a string", where)
        if slug is not None and not valid_slug(slug):
            self.report(path, key_line(text, "slug"), f"slug {slug} is not valid: {SLUG_RULE}")
        elif slug is not None and slug != self.folder_name:
            line = key_line(text, "slug")
            message = f"slug {slug} does not match the folder name {self.folder_name}"
            self.report(path, line, message)

        locales = self.value(
            data, "locales", lambda v: isinstance(v, list) and v, 'a list such as ["en"]', where
        )
        if locales is not None:
            valid: list[str] = []
            for locale in locales:
                if locale in valid:
                    self.report(path, key_line(text, "locales"), f"locale {locale} is listed twice")
                elif locale not in LOCALES:
                    supported = ", ".join(LOCALES)
                    line = key_line(text, "locales")
                    shown = locale if isinstance(locale, str) else _show(locale)
                    message = f"unsupported locale {shown} in locales (supported: {supported})"
                    self.report(path, line, message)
                else:
                    valid.append(locale)
            self.locales = tuple(valid) or None
        default = self.value(data, "default_locale", lambda v: isinstance(v, str), "a string", where)
        if default is not None:
            line = key_line(text, "default_locale")
            if default not in LOCALES:
                supported = ", ".join(LOCALES)
                self.report(path, line, f"unsupported default_locale {default} (supported: {supported})")
            elif self.locales is not None and default not in self.locales:
                self.report(path, line, f"default_locale {default} is not one of locales")
            else:
                self.default_locale = default

        return {
            "slug": slug,
            "version": self.value(data, "version", _within(1), "a positive integer", where),
            "topic": self.value(
                data, "topic", lambda v: isinstance(v, str) and valid_slug(v), "a slug", where
            ),
            "estimated_minutes": self.value(
                data, "estimated_minutes", _within(1), "a positive integer", where
            ),
            "pass_mark": self.value(
                data, "pass_mark", _within(0, 100), "a percentage from 0 to 100", where, 70
            ),
            "certificate": self.value(
                data, "certificate", lambda v: isinstance(v, bool), "true or false", where, True
            ),
            "certificate_valid_years": self.value(
                data, "certificate_valid_years", _within(0), "0 or more", where, 0
            ),
            "titles": self.localized(data, "title", path, text),
            "summaries": self.localized(data, "summary", path, text),
        }

    def module_settings(self, dirname: str) -> tuple[dict[str, str], bool, QuizSettings, str]:
        """Check module.toml; return titles, requires_previous, quiz settings and its text."""
        path = f"{dirname}/module.toml"
        if path not in self.files:
            self.report(path, 0, "module.toml is missing")
            return {}, False, QuizSettings(), ""
        parsed = self.toml(path)
        if parsed is None:
            return {}, False, QuizSettings(), ""
        data, text = parsed
        self.unknown_keys(data, _MODULE_KEYS, path, text)
        is_bool = lambda v: isinstance(v, bool)  # noqa: E731
        requires = self.value(data, "requires_previous", is_bool, "true or false", (path, text, None), False)
        titles = self.localized(data, "title", path, text)
        quiz = data.get("quiz", {})
        if not isinstance(quiz, dict):
            self.report(path, key_line(text, "quiz"), "quiz must be a table such as [quiz]")
            quiz = {}
        for key in quiz:
            if key not in QuizSettings.__dataclass_fields__:
                self.report(path, key_line(text, key, "quiz"), f"unknown key {key} in [quiz]")
        where = (path, text, "quiz")
        settings = QuizSettings(
            pass_mark=self.value(quiz, "pass_mark", _within(0, 100), "a percentage from 0 to 100", where),
            max_attempts=self.value(quiz, "max_attempts", _within(0), "0 or more", where, 0),
            shuffle=self.value(quiz, "shuffle", is_bool, "true or false", where, False),
            shuffle_choices=self.value(quiz, "shuffle_choices", is_bool, "true or false", where, True),
            questions_per_attempt=self.value(
                quiz, "questions_per_attempt", _within(1), "a positive integer", where
            ),
            feedback=self.value(
                quiz,
                "feedback",
                FEEDBACK_MODES.__contains__,
                " or ".join(FEEDBACK_MODES),
                where,
                "after_submit",
            ),
            grading=self.value(
                quiz,
                "grading",
                GRADING_MODES.__contains__,
                " or ".join(GRADING_MODES),
                where,
                "highest",
            ),
        )
        return titles, requires, settings, text


def _within(low: int, high: int | None = None) -> Any:
    return lambda v: _is_int(v) and v >= low and (high is None or v <= high)
