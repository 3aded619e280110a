"""The practice task of a module: task.toml (settings and rubric) and task.LOCALE.md (brief).

task.LOCALE.md: the first "# " line is the task's title; what follows up to the first "## "
heading is the brief; each "## " heading starts a section of the answer template, its text
being the hint shown above that section's text area.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import content
from .settings import _is_int, _show, key_line, valid_slug

if TYPE_CHECKING:
    from .settings import Checker

REVIEW_MODES = ("mentor", "mentor+peer")
TASK_KEYS = {"review", "peers", "word_limit", "attachments", "requires_approval", "pass_points", "criteria"}
CRITERION_KEYS = {"id", "title", "levels"}
LEVEL_KEYS = {"points", "description"}
MAX_CRITERIA = 10
_SECTION = re.compile(r"^## +(.+?)\s*#*\s*$")


def split_brief(markdown: str) -> tuple[str, list[dict[str, str]]]:
    """Split a task file into its brief and its template sections [{"heading", "hint"}]."""
    brief: list[str] = []
    sections: list[dict[str, Any]] = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _SECTION.match(line)
        if match:
            sections.append({"heading": match.group(1), "hint": []})
        elif sections:
            sections[-1]["hint"].append(line)
        else:
            brief.append(line)
    return "\n".join(brief).strip() + "\n", [
        {"heading": s["heading"], "hint": "\n".join(s["hint"]).strip()} for s in sections
    ]


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 0


def _localized(
    checker: Checker, table: Any, label: str, locales: list[str], where: tuple[str, str, int]
) -> dict:
    path, _text, line = where
    if not isinstance(table, dict):
        checker.report(path, line, f"{label} must be a table of texts keyed by locale")
        return {}
    result = {}
    for locale, value in table.items():
        if not isinstance(value, str) or not value.strip():
            checker.report(path, line, f"{label} {locale} must be a non-empty string")
        elif locale not in locales:
            checker.report(path, line, f"{label} has {locale}, but the task has no task.{locale}.md")
        else:
            result[locale] = value
    for locale in locales:
        if locale not in table:
            checker.report(path, line, f"{label} has no {locale} entry (the task is written in {locale})")
    return result


def check(checker: Checker, dirname: str, sources: dict[str, tuple[str, str]]) -> dict[str, Any] | None:
    """Check a module's task files; return the task's spec, or None when it has none or problems."""
    toml_path = f"{dirname}/task.toml"
    has_toml = toml_path in checker.files
    if not has_toml and not sources:
        return None
    default = checker.default_locale or ""
    before = len(checker.problems)
    if not has_toml:
        checker.report(toml_path, 0, "missing: a module with task.LOCALE.md files needs a task.toml")
        return None
    if default and default not in sources:
        checker.report(
            f"{dirname}/task.{default}.md", 0, "missing: the task needs a brief in the default locale"
        )
        return None
    parsed = checker.toml(toml_path)
    if parsed is None:
        return None
    data, text = parsed
    checker.unknown_keys(data, TASK_KEYS, toml_path, text)
    where = (toml_path, text, None)
    review = checker.value(
        data,
        "review",
        REVIEW_MODES.__contains__,
        " or ".join(f'"{m}"' for m in REVIEW_MODES),
        where,
        "mentor",
    )
    peers = checker.value(
        data, "peers", lambda v: _is_int(v) and 1 <= v <= 10, "a whole number from 1 to 10", where, 2
    )
    word_limit = checker.value(
        data, "word_limit", lambda v: _is_int(v) and v >= 1, "a positive integer", where
    )
    attachments = checker.value(
        data, "attachments", lambda v: isinstance(v, bool), "true or false", where, False
    )
    requires = checker.value(
        data, "requires_approval", lambda v: isinstance(v, bool), "true or false", where, True
    )
    if "pass_points" not in data:
        checker.report(
            toml_path, 0, "pass_points is missing: the rubric points a submission needs for approval"
        )
    pass_points = checker.value(data, "pass_points", lambda v: _is_int(v) and v >= 0, "0 or more", where, 0)

    locales = checker.in_locale_order(list(sources))
    titles, briefs, sections = {}, {}, {}
    for locale in locales:
        path, body = sources[locale]
        title = content.title_of(body)
        if title is None:
            checker.report(path, 0, "no title: the first line starting with '# ' is the title")
            continue
        brief, parts = split_brief(body)
        titles[locale] = title
        # The title line is shown as the page heading, not again in the brief.
        briefs[locale] = (
            "\n".join(line for line in brief.splitlines() if line.strip() != f"# {title}").strip() + "\n"
        )
        sections[locale] = parts
        checker.problems += content.check_references(path, body, checker.media)
        for part in parts:
            if not part["hint"]:
                line = _line_of(body, f"## {part['heading']}")
                checker.report(path, line, f"section {part['heading']} has no hint: say what to write in it")
    if default in sections:
        expected = len(sections[default])
        for locale, parts in sections.items():
            if len(parts) != expected:
                path = sources[locale][0]
                message = (
                    f"the answer template has {len(parts)} sections here but {expected} in task.{default}.md; "
                    "every translation has the same sections"
                )
                checker.report(path, _line_of(sources[locale][1], "## "), message)

    criteria = []
    raw_criteria = data.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        checker.report(
            toml_path, key_line(text, "criteria"), "the rubric needs [[criteria]]: at least one criterion"
        )
        raw_criteria = []
    elif len(raw_criteria) > MAX_CRITERIA:
        checker.report(
            toml_path,
            _line_of(text, "[[criteria]]"),
            f"the rubric has {len(raw_criteria)} criteria; at most {MAX_CRITERIA}",
        )
    seen: set[str] = set()
    for number, raw in enumerate(raw_criteria, 1):
        if not isinstance(raw, dict):
            checker.report(toml_path, 0, f"criterion {number} must be a [[criteria]] table")
            continue
        cid = raw.get("id")
        line = _line_of(text, f'"{cid}"') if isinstance(cid, str) else 0
        for key in raw:
            if key not in CRITERION_KEYS:
                checker.report(toml_path, line, f"unknown key {key} in criterion {number}")
        if not isinstance(cid, str) or not valid_slug(cid):
            checker.report(
                toml_path, line, f"criterion {number} needs an id: a slug such as clear-ask, not {_show(cid)}"
            )
            continue
        if cid in seen:
            checker.report(toml_path, line, f"criterion id {cid} is used twice")
            continue
        seen.add(cid)
        ctitles = _localized(
            checker, raw.get("title"), f"criterion {cid}: [criteria.title]", locales, (toml_path, text, line)
        )
        levels = []
        raw_levels = raw.get("levels")
        if not isinstance(raw_levels, list) or len(raw_levels) < 2:
            checker.report(toml_path, line, f"criterion {cid} needs at least two [[criteria.levels]]")
            raw_levels = []
        for index, level in enumerate(raw_levels, 1):
            if not isinstance(level, dict):
                checker.report(toml_path, line, f"criterion {cid}: level {index} must be a table")
                continue
            for key in level:
                if key not in LEVEL_KEYS:
                    checker.report(toml_path, line, f"unknown key {key} in criterion {cid}, level {index}")
            points = level.get("points")
            if not _is_int(points) or points < 0:
                checker.report(
                    toml_path,
                    line,
                    f"criterion {cid}: level {index} points must be 0 or more, not {_show(points)}",
                )
                continue
            descriptions = _localized(
                checker,
                level.get("description"),
                f"criterion {cid}: level {index} description",
                locales,
                (toml_path, text, line),
            )
            levels.append({"points": points, "descriptions": descriptions})
        criteria.append({"id": cid, "titles": ctitles, "levels": levels})
    if criteria and all(c["levels"] for c in criteria):
        most = sum(max(level["points"] for level in c["levels"]) for c in criteria)
        if pass_points > most:
            checker.report(
                toml_path,
                key_line(text, "pass_points"),
                f"pass_points is {pass_points}; the rubric gives at most {most}",
            )
    if len(checker.problems) > before:
        return None
    return {
        "review": review,
        "peers": peers if review == "mentor+peer" else 0,
        "word_limit": word_limit,
        "attachments": attachments,
        "requires_approval": requires,
        "pass_points": pass_points,
        "titles": titles,
        "briefs": briefs,
        "sections": sections,
        "criteria": criteria,
    }
