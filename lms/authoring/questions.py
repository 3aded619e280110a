"""Quiz banks as GIFT text: edit one question in place, import Aiken, hash a question.

Pure code. Edits replace only the block of the question concerned, so comments, categories
and the layout a trainer keeps in git survive a web edit.
"""

from __future__ import annotations

from dataclasses import replace

from lms.courses.package import translations
from lms.quizzes import Question, aiken, dump_question, gift

QTYPES = (
    "multichoice",
    "multiresponse",
    "truefalse",
    "shortanswer",
    "numerical",
    "matching",
    "essay",
    "description",
)


def parse(text: str) -> list[Question]:
    """Parse a bank; an unreadable bank gives no questions (its errors are shown elsewhere)."""
    try:
        return gift.parse(text)
    except gift.GiftSyntaxError:
        return []


def question_hash(question: Question) -> str:
    """Hash what a question says (not where it sits in the file), as translations.toml records it."""
    return translations.question_hash(question)


def hashes(text: str) -> dict[str, str]:
    """Return {question id: hash} for a bank's questions that have ids."""
    return {q.id: question_hash(q) for q in parse(text) if q.id}


def _block(lines: list[str], start: int) -> tuple[int, int]:
    """Return the [start, end) line indexes of the question block starting at line index start."""
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    return start, end


def _locate(text: str, qid: str) -> tuple[list[str], int, int] | None:
    lines = text.split("\n")
    for question in parse(text):
        if question.id == qid and question.line:
            start, end = _block(lines, question.line - 1)
            return lines, start, end
    return None


def replace_question(text: str, qid: str, question: Question) -> str:
    """Replace the question with this id (appending it when there is none)."""
    found = _locate(text, qid)
    if found is None:
        return append_question(text, question)
    lines, start, end = found
    return "\n".join([*lines[:start], *dump_question(question).split("\n"), *lines[end:]])


def delete_question(text: str, qid: str) -> str:
    """Remove the question with this id and the blank line after it."""
    found = _locate(text, qid)
    if found is None:
        return text
    lines, start, end = found
    # Comment lines right above a question are about it: they go with it.
    while start > 0 and lines[start - 1].lstrip().startswith("//"):
        start -= 1
    while end < len(lines) and not lines[end].strip() and end + 1 < len(lines):
        end += 1
    kept = [*lines[:start], *lines[end:]]
    return "\n".join(kept).strip("\n") + "\n" if any(line.strip() for line in kept) else ""


def append_question(text: str, question: Question) -> str:
    """Add a question at the end of a bank."""
    head = text.rstrip("\n")
    return (head + "\n\n" if head else "") + dump_question(question) + "\n"


def unique_ids(questions: list[Question], taken: set[str], stem: str) -> list[Question]:
    """Give questions without an id, or with an id already taken, a fresh `stem-N` id."""
    used = set(taken)
    out, counter = [], 0
    for question in questions:
        qid = question.id
        if not qid or qid in used:
            counter += 1
            while f"{stem}-{counter}" in used:
                counter += 1
            qid = f"{stem}-{counter}"
        used.add(qid)
        out.append(replace(question, id=qid))
    return out


def read_source(text: str, kind: str) -> tuple[list[Question], list[tuple[int, str]]]:
    """Read pasted GIFT or Aiken; return the questions, or the (line, message) errors."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    module = aiken if kind == "aiken" else gift
    errors = module.check(text)
    if errors:
        return [], errors
    try:
        questions = module.parse(text)
    except gift.QuizSyntaxError as error:
        return [], [(error.line, error.message)]
    return questions, []
