"""Quiz banks in the editor: a bank beside its source, saving a question, merging GIFT or Aiken in, deleting.

A bank is a GIFT file of the draft (a module's quiz or the course assessment) in one
language; its translations keep the source's question ids and answer key.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from lms.quizzes import gift, parity

from . import layout, questions
from .access import Workspace
from .drafts import save_file
from .errors import NotFound
from .translations import translation_records


@dataclass(frozen=True)
class QuestionPlace:
    """The question a form edits (or the type it adds) in a bank, with what a translation keeps."""

    qtype: str
    bank: dict  # the bank's questions by id
    original: object | None  # the question as this bank has it (None: a new one)
    from_source: object | None  # a translation not written yet: the source's question to start from
    key: object | None  # in a translation: the source question, whose answer key it keeps


def question_place(
    files: dict[str, bytes], path: str, source_path: str, qid: str | None, qtype: str | None, qtypes
) -> QuestionPlace:
    """Find the question `qid` of a bank (or check `qtype` for a new one); NotFound otherwise.

    A translation edits only the source's questions (one it has not written yet starts from the
    source); only the source bank gets new questions.
    """
    bank = {q.id: q for q in questions.parse(layout.text(files.get(path))) if q.id}
    source = {q.id: q for q in questions.parse(layout.text(files.get(source_path))) if q.id}
    is_translation = path != source_path
    original = bank.get(qid) if qid else None
    from_source = source.get(qid) if qid and original is None and is_translation else None
    if qid and original is None and from_source is None:
        raise NotFound()
    if qid is None and (is_translation or qtype not in qtypes):
        raise NotFound()
    return QuestionPlace(
        qtype=(original or from_source).qtype if qid else qtype,
        bank=bank,
        original=original,
        from_source=from_source,
        key=source.get(qid) if is_translation else None,
    )


def bank_rows(ws: Workspace, files: dict[str, bytes], path: str, source_path: str) -> list[tuple]:
    """Return (source question, question, stale) rows: a translation beside its source, in order.

    A source bank gives (None, question, False) rows; a translation lists the source's
    questions (the translated one, or None while missing) and then questions only it has.
    """
    bank = questions.parse(layout.text(files.get(path)))
    if path == source_path:
        return [(None, q, False) for q in bank]
    source = questions.parse(layout.text(files.get(source_path)))
    records = translation_records(ws)
    source_hashes = {q.id: questions.question_hash(q) for q in source if q.id}
    by_id = {q.id: q for q in bank if q.id}
    rows = []
    for q in source:
        recorded = records.get(f"{path}#{q.id}")
        stale = q.id in by_id and recorded is not None and recorded != source_hashes.get(q.id)
        rows.append((q, by_id.get(q.id), stale))
    known = {q.id for q in source}
    rows += [(None, q, False) for q in bank if q.id not in known]
    return rows


def key_problems(text: str, path: str, source_text: str, source_path: str) -> list[str]:
    """Return `path:line: message` for each translated question whose answer key is not the source's."""
    source = {q.id: q for q in questions.parse(source_text) if q.id}
    return [
        f"{path}:{question.line}: {message}"
        for question in questions.parse(text)
        if question.id in source
        for message in parity.differences(source[question.id], question, source_path)
    ]


def merge_source(
    files: dict[str, bytes], path: str, source_path: str, raw: str, *, kind: str, mode: str, name: str
) -> tuple[str, int, list[str]]:
    """Read pasted or uploaded GIFT or Aiken and merge it into a bank (mode "replace" or "add").

    Returns (the bank's new text, how many questions were read, errors); with errors, the
    text must not be saved. New questions get ids the bank does not use yet; a translation
    must keep the source's answer key.
    """
    current = layout.text(files.get(path))
    found, problems = questions.read_source(raw, kind)
    errors = [
        _("%(name)s, line %(line)s: %(message)s", name=name, line=line, message=message)
        for line, message in problems
    ]
    if not problems and not found:
        errors.append(_("No questions were found."))
    if errors:
        return current, 0, errors
    taken = set() if mode == "replace" else {q.id for q in questions.parse(current) if q.id}
    found = questions.unique_ids(found, taken, "aiken" if kind == "aiken" else "q")
    added = gift.dump(found)
    text = added if mode == "replace" or not current.strip() else current.rstrip("\n") + "\n\n" + added
    if path != source_path:
        errors = key_problems(text, path, layout.text(files.get(source_path)), source_path)
    return text, len(found), errors


def without_question(files: dict[str, bytes], paths: list[str], qid: str) -> dict[str, bytes | None]:
    """Return the changes that delete a question from a bank in every language (ids stay aligned)."""
    changes: dict[str, bytes | None] = {}
    for other in paths:
        if other in files:
            updated = questions.delete_question(layout.text(files[other]), qid)
            # A bank left without questions is not a quiz any more: its file goes.
            changes[other] = updated.encode() if questions.parse(updated) else None
    return changes


def save_question(
    user, ws: Workspace, files, path, source_path, question, *, replacing, base_sha
) -> list[str]:
    """Put a question in a bank (in place of `replacing`, else at the end) and save the bank.

    `files` are the draft's, `source_path` the bank in the course's main language; a
    translated question must keep the answer key of the source's question. Returns the
    problems as `path:line: message` (then nothing is saved); raises Conflict when someone
    saved the bank since the editor loaded it.
    """
    text = layout.text(files.get(path))
    source = (
        {q.id: q for q in questions.parse(layout.text(files.get(source_path)))} if path != source_path else {}
    )
    key = source.get(question.id)
    updated = (
        questions.replace_question(text, replacing, question)
        if replacing
        else questions.append_question(text, question)
    )
    problems = gift.check(updated)
    if not problems and key is not None:
        # Translators translate words, not scores: the answer key must stay the source's.
        line = next((q.line for q in questions.parse(updated) if q.id == question.id), 0)
        problems = [(line, message) for message in parity.differences(key, question, source_path)]
    if problems:
        return [f"{path}:{line}: {message}" for line, message in problems]
    save_file(user, ws, path, updated.encode(), base_sha, "quiz.edit", f"{path}#{question.id}")
    return []
