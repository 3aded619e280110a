"""Write a package back to a folder, and render canonical course.toml and module.toml text."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from .model import LOCALES, SCHEMA_VERSION, CoursePackage, QuizSettings

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


def write(pkg: CoursePackage, dest_dir: str | os.PathLike[str]) -> None:
    """Write the package's files, byte for byte, into dest_dir (which must be absent or empty)."""
    dest = Path(dest_dir)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    for rel in pkg.files:
        # files may come from the web editor, not only from load(): never write outside dest.
        if "\\" in rel or any(part in ("", ".", "..") for part in rel.split("/")):
            raise ValueError(f"unsafe path in package: {rel!r}")
    dest.mkdir(parents=True, exist_ok=True)
    for rel, data in sorted(pkg.files.items()):
        target = dest.joinpath(*PurePosixPath(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as handle:
            handle.write(data)


def toml_string(value: str) -> str:
    """Return value as a TOML basic string; non-ASCII text such as Arabic stays readable."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            raise ValueError("a lone surrogate cannot be written to a UTF-8 file")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_string(key)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as TOML")


def _locale_order(texts: Mapping[str, str], locales: Sequence[str]) -> list[str]:
    # The course's own locales first, in its order, then any extra catalog translations.
    rank = {locale: n for n, locale in enumerate([*locales, *LOCALES])}
    return sorted(texts, key=lambda locale: (rank.get(locale, len(rank)), locale))


def _table(name: str, texts: Mapping[str, str], locales: Sequence[str]) -> list[str]:
    lines = ["", f"[{name}]"]
    lines += [f"{_key(loc)} = {toml_string(texts[loc])}" for loc in _locale_order(texts, locales)]
    return lines


def _pairs(items: Iterable[tuple[str, object]]) -> list[str]:
    return [f"{key} = {_value(value)}" for key, value in items if value is not None]


def render_course_toml(
    *,
    slug: str,
    version: int,
    default_locale: str,
    locales: Sequence[str],
    titles: Mapping[str, str],
    summaries: Mapping[str, str],
    topic: str | None = None,
    estimated_minutes: int | None = None,
    pass_mark: int = 70,
    certificate: bool = True,
    certificate_valid_years: int = 0,
) -> str:
    """Render course.toml in the canonical layout; None values are left out."""
    lines = _pairs(
        [
            ("schema_version", SCHEMA_VERSION),
            ("slug", slug),
            ("version", version),
            ("default_locale", default_locale),
            ("locales", list(locales)),
            ("topic", topic),
            ("estimated_minutes", estimated_minutes),
            ("pass_mark", pass_mark),
            ("certificate", certificate),
            ("certificate_valid_years", certificate_valid_years),
        ]
    )
    lines += _table("title", titles, locales)
    lines += _table("summary", summaries, locales)
    return "\n".join(lines) + "\n"


def render_module_toml(
    *,
    titles: Mapping[str, str],
    locales: Sequence[str] = (),
    requires_previous: bool = False,
    quiz: QuizSettings | None = None,
) -> str:
    """Render module.toml in the canonical layout; [quiz] only when quiz settings are given."""
    lines = _pairs([("requires_previous", requires_previous)])
    lines += _table("title", titles, locales)
    if quiz is not None:
        lines += ["", "[quiz]"]
        lines += _pairs(
            [
                ("pass_mark", quiz.pass_mark),
                ("max_attempts", quiz.max_attempts),
                ("shuffle", quiz.shuffle),
                # Written only when it differs from the default (choices shuffled).
                ("shuffle_choices", None if quiz.shuffle_choices else False),
                ("questions_per_attempt", quiz.questions_per_attempt),
                ("feedback", quiz.feedback),
                ("grading", quiz.grading),
            ]
        )
    return "\n".join(lines) + "\n"
