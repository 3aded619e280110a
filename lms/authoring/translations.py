"""The state of a course's translations: which are missing or stale, and what changed since."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.extensions import db

from . import layout, questions
from .access import Workspace
from .drafts import current_files, outline
from .history import text_diff
from .models import FileRevision, TranslationSource


@dataclass
class Cell:
    """One translation's state: "source", "ok", "missing" or "stale" (with details for quizzes)."""

    state: str
    path: str
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


@dataclass
class TranslationRow:
    """One lesson or quiz across the course's locales."""

    kind: str  # "lesson", "quiz" or "assessment"
    module: layout.ModuleInfo | None
    lesson: layout.LessonInfo | None
    cells: dict[str, Cell]


def _records(ws: Workspace) -> dict[str, str]:
    if ws.draft is None:
        return {}
    return dict(
        db.session.execute(
            sa.select(TranslationSource.path, TranslationSource.source_sha256).where(
                TranslationSource.draft_id == ws.draft.id
            )
        ).all()
    )


def lesson_state(files: dict[str, bytes], records: dict[str, str], path: str, source: str) -> str:
    """Return "source", "missing", "stale" or "ok" for one lesson file."""
    if path == source:
        return "source"
    if path not in files:
        return "missing"
    recorded = records.get(path)
    if recorded is not None and source in files and recorded != layout.sha256(files[source]):
        return "stale"
    return "ok"


def quiz_cell(files: dict[str, bytes], records: dict[str, str], path: str, source: str) -> Cell:
    """Return a quiz translation's state, with the ids that are missing or stale."""
    if path == source:
        return Cell("source", path)
    if source not in files:
        return Cell("ok" if path in files else "missing", path)
    source_hashes = questions.hashes(layout.text(files[source]))
    if path not in files:
        return Cell("missing", path, missing=list(source_hashes))
    have = questions.hashes(layout.text(files[path]))
    missing = [qid for qid in source_hashes if qid not in have]
    stale = [
        qid
        for qid, digest in source_hashes.items()
        if qid in have and records.get(f"{path}#{qid}") not in (None, digest)
    ]
    state = "missing" if missing else "stale" if stale else "ok"
    return Cell(state, path, missing, stale)


def translation_table(ws: Workspace) -> tuple[layout.Outline, list[TranslationRow]]:
    """Return, per lesson and quiz, the state of each locale (two queries)."""
    files = current_files(ws, media=False)
    info = outline(ws, files)
    records = _records(ws)
    default = info.default_locale
    rows = []
    for module in info.modules:
        for lesson in module.lessons:
            source = layout.lesson_file_for(module, lesson, default)
            cells = {}
            for locale in info.locales:
                path = layout.lesson_file_for(module, lesson, locale)
                cells[locale] = Cell(lesson_state(files, records, path, source), path)
            rows.append(TranslationRow("lesson", module, lesson, cells))
        if module.quizzes:
            source = module.quiz_path(default)
            cells = {loc: quiz_cell(files, records, module.quiz_path(loc), source) for loc in info.locales}
            rows.append(TranslationRow("quiz", module, None, cells))
    if info.assessments:
        source = f"assessment.{default}.gift"
        cells = {loc: quiz_cell(files, records, f"assessment.{loc}.gift", source) for loc in info.locales}
        rows.append(TranslationRow("assessment", None, None, cells))
    return info, rows


@dataclass(frozen=True)
class TranslationIssue:
    """A translation that is stale or missing, as publishing lists it."""

    path: str
    state: str  # "stale" or "missing"
    questions: tuple[str, ...] = ()  # the question ids concerned, for a quiz


def translation_issues(ws: Workspace) -> list[TranslationIssue]:
    """Return the stale and missing translations of the course being edited."""
    _info, rows = translation_table(ws)
    issues = []
    for row in rows:
        for cell in row.cells.values():
            if cell.state == "stale":
                issues.append(TranslationIssue(cell.path, "stale", tuple(cell.stale)))
            elif cell.state == "missing":
                issues.append(TranslationIssue(cell.path, "missing", tuple(cell.missing)))
    return issues


def translation_records(ws: Workspace) -> dict[str, str]:
    """Return {translated path (or path#question id): source hash it was written from}."""
    return _records(ws)


def source_when_translated(ws: Workspace, source_path: str, digest: str) -> bytes | None:
    """Return the source file as it was when a translation was written, from the history."""
    if ws.draft is None:
        return None
    return db.session.scalar(
        sa.select(FileRevision.data)
        .where(
            FileRevision.draft_id == ws.draft.id,
            FileRevision.path == source_path,
            FileRevision.sha256 == digest,
        )
        .order_by(FileRevision.id.desc())
        .limit(1)
    )


def source_changes(
    ws: Workspace, files: dict[str, bytes], path: str, source_path: str
) -> tuple[str, list[str]]:
    """Return a lesson translation's state and, when stale, how its source changed since.

    The diff goes from the source as it was when the translation was written (found in the
    history by its recorded hash) to the source now; [] when that version is not kept.
    """
    records = translation_records(ws)
    state = lesson_state(files, records, path, source_path)
    if state != "stale" or path not in records:
        return state, []
    before = source_when_translated(ws, source_path, records[path])
    if before is None:
        return state, []
    return state, text_diff(layout.text(before), layout.text(files.get(source_path)))
