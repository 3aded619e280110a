"""Completion records as CSV and XLSX, and learning records as JSON lines; pure writers.

The columns are a published format (docs/exports.md): stable snake_case English headers,
ISO 8601 UTC timestamps and status codes that never depend on the interface language. Every
text cell that Excel could read as a formula is neutralised, in CSV and in XLSX alike.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import IO, Any

import xlsxwriter

from lms.core.spreadsheet import CSV_SPLITS, FORMULA_PREFIXES, neutralise, neutralise_csv
from lms.reports.completion_query import ORGANISATION_SEPARATOR
from lms.reports.completions import (
    CompletionRecord,
    CompletionRows,
    certificate,
    live_hours,
    normalised_gain,
    percent_complete,
    status,
    task_statuses,
)

FORMAT_NAME = "tamkeen-completions"
FORMAT_VERSION = 2

# (column, kind); kinds: text, int, score (one decimal), gain (three decimals), time.
COLUMN_KINDS: tuple[tuple[str, str], ...] = (
    ("learner_id", "text"),
    ("display_name", "text"),
    ("organisations", "text"),
    ("countries", "text"),
    ("gender", "text"),
    ("age_band", "text"),
    ("course_slug", "text"),
    ("course_title", "text"),
    ("course_version", "int"),
    ("course_language", "text"),
    ("enrolled_at", "time"),
    ("last_activity_at", "time"),
    ("completed_at", "time"),
    ("status", "text"),
    ("lessons_done", "int"),
    ("lessons_total", "int"),
    ("percent_complete", "score"),
    ("module_best_scores", "text"),
    ("module_quizzes_passed", "int"),
    ("module_quizzes_total", "int"),
    ("quiz_attempts", "int"),
    ("pre_test_score", "score"),
    ("post_test_score", "score"),
    ("normalised_gain", "gain"),
    ("certificate_code", "text"),
    ("certificate_status", "text"),
    ("certificate_verify_url", "text"),
    # Version 2: practice tasks.
    ("task_statuses", "text"),
    ("tasks_approved", "int"),
    ("task_versions", "int"),
    ("task_points", "int"),
    ("live_sessions_attended", "int"),
    ("live_hours", "score"),
)
COLUMNS: tuple[str, ...] = tuple(name for name, _kind in COLUMN_KINDS)
LIST_SEPARATOR = "; "

_FORMULA_STARTS = frozenset(FORMULA_PREFIXES)


def _csv_cell(text: str, _starts=_FORMULA_STARTS, _splits=CSV_SPLITS) -> str:
    # The export's innermost step: most cells have neither a formula start nor a separator.
    if text[:1] in _starts or not _splits.isdisjoint(text):
        return neutralise_csv(text)
    return text


def _module_scores(scores: tuple[tuple[str, float | None], ...]) -> str:
    return LIST_SEPARATOR.join(f"{slug}=" + ("" if best is None else f"{best:.1f}") for slug, best in scores)


def _task_statuses(statuses: tuple[tuple[str, str], ...]) -> str:
    return LIST_SEPARATOR.join(f"{slug}={value}" for slug, value in statuses)


def completion_values(record: CompletionRecord) -> list[Any]:
    """Return a record's cells in COLUMNS order, typed (text, numbers, datetimes or None)."""
    return [
        record.learner_id,
        record.display_name,
        LIST_SEPARATOR.join(record.organisations),
        LIST_SEPARATOR.join(record.countries),
        record.gender,
        record.age_band,
        record.course_slug,
        record.course_title,
        record.course_version,
        record.course_language,
        record.enrolled_at,
        record.last_activity_at,
        record.completed_at,
        record.status,
        record.lessons_done,
        record.lessons_total,
        record.percent_complete,
        _module_scores(record.module_scores),
        record.module_quizzes_passed if record.module_quizzes_total else None,
        record.module_quizzes_total,
        record.quiz_attempts,
        record.pre_test_score,
        record.post_test_score,
        record.normalised_gain,
        record.certificate_code,
        record.certificate_status,
        record.certificate_verify_url,
        _task_statuses(record.task_statuses),
        record.tasks_approved,
        record.task_versions,
        record.task_points,
        record.live_sessions_attended,
        record.live_hours,
    ]


# CSV -------------------------------------------------------------------------------------------


def _course_cells(rows: CompletionRows) -> dict[int, tuple]:
    """Return per course: (title cell, module cell prefixes, module quizzes total cell)."""
    return {
        course_id: (
            _csv_cell(info.title),
            tuple(slug + "=" for slug in info.module_slugs),
            str(len(info.module_slugs)),
        )
        for course_id, info in rows.courses.items()
    }


def csv_rows(rows: CompletionRows) -> Iterator[list[str]]:
    """Yield the rows as the text cells of CSV rows, in COLUMNS order, neutralised."""
    # This runs for every row of exports that may be 100,000 rows long: the query has done
    # the work, and what is per course is computed once, so a row is little more than its
    # cells. Neutralising inline, not through a function: this is the export's innermost loop.
    courses, cells = rows.courses, _course_cells(rows)
    now, prefix = rows.now, rows.verify_prefix
    for (
        learner_id,
        display_name,
        organisations,
        countries,
        gender,
        age_band,
        course_slug,
        course_version,
        course_id,
        locale,
        enrolled_at,
        last_activity_at,
        completed_at,
        lessons_done,
        lessons_total,
        scores,
        passed,
        attempts,
        pre,
        post,
        code,
        issued_at,
        revoked_at,
        expires_at,
        statuses,
        approved,
        versions,
        points,
        live_sessions,
        live_minutes,
    ) in rows:
        info = courses[course_id]
        title, module_prefixes, modules_total = cells[course_id]
        if module_prefixes:
            module_scores = LIST_SEPARATOR.join(
                [
                    name + (format(float(score), ".1f") if score else "")
                    for name, score in zip(module_prefixes, scores.split(" "), strict=False)
                ]
            )
        else:
            module_scores = ""
        if organisations:
            organisations = organisations.replace(ORGANISATION_SEPARATOR, LIST_SEPARATOR)
        gain = normalised_gain(pre, post)
        language = locale if locale in info.locales else info.default_locale
        if code is None:
            code = certificate_status = verify_url = ""
        else:
            code, certificate_status, verify_url = certificate(
                code, issued_at, revoked_at, expires_at, now, prefix
            )
            code = "" if code is None else _csv_cell(code)
            certificate_status = _csv_cell(certificate_status)
            verify_url = "" if verify_url is None else _csv_cell(verify_url)
        yield [
            _csv_cell(learner_id),
            _csv_cell(display_name),
            _csv_cell(organisations),
            _csv_cell(countries),
            "" if gender is None else _csv_cell(gender),
            "" if age_band is None else _csv_cell(age_band),
            _csv_cell(course_slug),
            title,
            str(course_version),
            _csv_cell(language),
            enrolled_at,
            last_activity_at or "",
            completed_at or "",
            status(completed_at, lessons_done),
            str(lessons_done),
            str(lessons_total),
            format(percent_complete(lessons_done, lessons_total), ".1f"),
            _csv_cell(module_scores),
            str(passed) if module_prefixes else "",
            modules_total,
            str(attempts),
            "" if pre is None else format(pre, ".1f"),
            "" if post is None else format(post, ".1f"),
            "" if gain is None else format(gain, ".3f"),
            code,
            certificate_status,
            verify_url,
            # Slugs and status codes never start with a formula character.
            _task_statuses(task_statuses(info.task_module_slugs, statuses)),
            str(approved) if info.task_module_slugs else "",
            str(versions) if info.task_module_slugs else "",
            "" if points is None else str(points),
            str(live_sessions or 0),
            format(live_hours(live_minutes), ".1f"),
        ]


def write_csv(rows: CompletionRows, out: IO[str]) -> int:
    """Write the header and rows as CSV to a text stream opened with encoding "utf-8-sig".

    The byte order mark (from the encoding) is what makes Excel read the file as UTF-8, so
    Arabic names open correctly. Return the number of rows written.
    """
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)  # every field quoted: a cell stays a cell
    writer.writerow(COLUMNS)
    count = 0
    for cells in csv_rows(rows):
        writer.writerow(cells)
        count += 1
    return count


# XLSX ------------------------------------------------------------------------------------------

XLSX_OPTIONS = {
    # Rows go to a temporary file as they are written: memory does not grow with the row count.
    "constant_memory": True,
    # Never turn a learner's text into a formula, a hyperlink or a number.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
_WIDTHS = {"text": 22, "int": 10, "score": 12, "gain": 12, "time": 21}


def write_xlsx(
    records: Iterable[CompletionRecord], out: IO[bytes], *, rtl: bool = False, tmpdir: str | None = None
) -> int:
    """Write the header and records as an XLSX workbook to a binary stream; return the row count.

    Timestamps are real date-time cells (UTC, shown as ISO 8601); an Arabic export gets a
    right-to-left sheet.
    """
    options = dict(XLSX_OPTIONS)
    if tmpdir:
        options["tmpdir"] = tmpdir
    workbook = xlsxwriter.Workbook(out, options)
    workbook.set_properties(
        {"title": "Tamkeen completion records", "comments": f"{FORMAT_NAME}/{FORMAT_VERSION}"}
    )
    sheet = workbook.add_worksheet("completions")
    if rtl:
        sheet.right_to_left()
    bold = workbook.add_format({"bold": True})
    moment = workbook.add_format({"num_format": 'yyyy-mm-dd"T"hh:mm:ss"Z"'})
    score = workbook.add_format({"num_format": "0.0"})
    gain = workbook.add_format({"num_format": "0.000"})
    for col, (name, kind) in enumerate(COLUMN_KINDS):
        sheet.set_column(col, col, _WIDTHS[kind])
        sheet.write_string(0, col, name, bold)
    sheet.freeze_panes(1, 0)
    kinds = tuple(kind for _name, kind in COLUMN_KINDS)
    row = 0
    for record in records:
        row += 1
        values = completion_values(record)
        for col, (kind, value) in enumerate(zip(kinds, values, strict=True)):
            if value is None or value == "":
                continue
            if kind == "text":
                sheet.write_string(row, col, neutralise(value))
            elif kind == "time":
                sheet.write_datetime(row, col, value.astimezone(UTC).replace(tzinfo=None), moment)
            elif kind == "int":
                sheet.write_number(row, col, value)
            elif kind == "score":
                sheet.write_number(row, col, round(value, 1), score)
            else:
                sheet.write_number(row, col, round(value, 3), gain)
    sheet.autofilter(0, 0, max(row, 1), len(COLUMNS) - 1)
    workbook.close()
    return row


# Learning records ------------------------------------------------------------------------------


def write_jsonl(statements: Iterable[dict], out: IO[str]) -> int:
    """Write xAPI statements as JSON lines (one statement per line, UTF-8); return the count."""
    count = 0
    for statement in statements:
        out.write(json.dumps(statement, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count
