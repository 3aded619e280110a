"""The item analysis as CSV: one formula-safe row per question option, every language then overall."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO

from lms.core.spreadsheet import neutralise_csv as neutralise
from lms.quizzes.statistics import ALL, QuizAnalysis

CSV_HEADER = (
    "quiz",
    "language",
    "question_number",
    "question_id",
    "question_type",
    "question",
    "attempts",
    "facility_percent",
    "discrimination_percent",
    "flags",
    "option_position",
    "option",
    "option_right",
    "option_chosen",
    "option_share_percent",
)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def write_csv(labelled: Iterable[tuple[str, QuizAnalysis]], out: IO[str]) -> int:
    """Write the header and rows as CSV to a text stream (open it with "utf-8-sig" for Excel); return the rows."""
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_HEADER)
    count = 0
    for row in csv_rows(labelled):
        writer.writerow(row)
        count += 1
    return count


def csv_rows(labelled: Iterable[tuple[str, QuizAnalysis]]) -> Iterator[list[str]]:
    """Yield one row per question option (one per question without options), every language then overall.

    Trainers' texts are neutralised: no cell runs as a spreadsheet formula.
    """
    for label, analysis in labelled:
        for locale in (*analysis.locales, ALL):
            for item in analysis.items.get(locale, ()):
                base = [
                    neutralise(label),
                    locale or "all",
                    str(item.number),
                    item.qid,
                    item.qtype,
                    neutralise(item.text),
                    str(item.attempts),
                    _percent(item.facility),
                    _percent(item.discrimination),
                    " ".join(item.flags),
                ]
                if not item.options:
                    yield [*base, "", "", "", "", ""]
                for option in item.options:
                    yield [
                        *base,
                        str(option.position),
                        neutralise(option.text),
                        "yes" if option.is_right else "no",
                        str(option.chosen),
                        _percent(option.share),
                    ]
