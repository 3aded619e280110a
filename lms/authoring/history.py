"""A course's history: who changed what and when, page by page; revisions and going back."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager

from lms.core.pagination import contains, paginate
from lms.courses import services as courses
from lms.extensions import db

from . import layout
from .access import Workspace, staff_names, users_named
from .drafts import apply, current_files, outline
from .errors import AuthoringError, NotFound
from .models import DraftChange, FileRevision

# What each change is called in the history (codes are stored; names are shown translated).
ACTIONS = {
    "create": _l("Created the course"),
    "start": _l("Started a draft from the published course"),
    "import": _l("Imported a .zip"),
    "settings": _l("Changed the course settings"),
    "module.add": _l("Added a module"),
    "module.edit": _l("Changed a module"),
    "module.move": _l("Moved a module"),
    "module.delete": _l("Deleted a module"),
    "lesson.add": _l("Added a lesson"),
    "lesson.edit": _l("Edited a lesson"),
    "lesson.move": _l("Moved a lesson"),
    "lesson.delete": _l("Deleted a lesson"),
    "quiz.edit": _l("Edited a question"),
    "quiz.delete": _l("Deleted a question"),
    "quiz.source": _l("Replaced or extended a quiz from GIFT or Aiken"),
    "media.add": _l("Uploaded an image"),
    "media.delete": _l("Deleted an image"),
    "restore": _l("Restored an earlier revision"),
    "reset": _l("Discarded the draft for the published course"),
    "version": _l("Raised the version"),
    "publish": _l("Published"),
}


@dataclass(frozen=True)
class HistoryEntry:
    """One change: who, what, when, and the files it wrote."""

    change: DraftChange
    who: str
    what: str
    paths: list[str]


def history(ws: Workspace, search: str = "", page: int = 1) -> Pagination:
    """Return one page of a course's changes, newest first, as HistoryEntry (four queries).

    `search` keeps the changes whose author (display name or username) or detail contains it.
    """
    query = sa.select(DraftChange).where(DraftChange.draft_id == (ws.draft.id if ws.draft else None))
    if search:
        query = query.where(
            sa.or_(DraftChange.user_id.in_(users_named(search)), contains(DraftChange.detail, search))
        )
    found = paginate(query.order_by(DraftChange.id.desc()), page=page)
    changes = list(found.items)
    paths: dict[int, list[str]] = {}
    for change_id, path in db.session.execute(
        sa.select(FileRevision.change_id, FileRevision.path).where(
            FileRevision.change_id.in_([c.id for c in changes])
        )
    ):
        paths.setdefault(change_id, []).append(path)
    names = staff_names({c.user_id for c in changes if c.user_id})
    found.items = [
        HistoryEntry(
            c, names.get(c.user_id, "—"), str(ACTIONS.get(c.action, c.action)), sorted(paths.get(c.id, []))
        )
        for c in changes
    ]
    return found


@dataclass(frozen=True)
class RevisionEntry:
    """One saved state of a file."""

    revision: FileRevision
    who: str
    when: object
    what: str


def lesson_history(
    ws: Workspace, lesson_slug: str, locale: str | None = None, search: str = "", page: int = 1
) -> Pagination:
    """Return one page of the revisions of a lesson's files (all locales, or one), newest first.

    The page's items are RevisionEntry; `search` keeps the revisions whose author (display
    name or username) contains it (four queries).
    """
    query = (
        sa.select(FileRevision)
        .join(DraftChange, DraftChange.id == FileRevision.change_id)
        .where(
            FileRevision.draft_id == (ws.draft.id if ws.draft else None),
            FileRevision.lesson_slug == lesson_slug,
        )
        .options(contains_eager(FileRevision.change))
        .order_by(FileRevision.id.desc())
    )
    if locale:
        query = query.where(FileRevision.locale == locale)
    if search:
        query = query.where(DraftChange.user_id.in_(users_named(search)))
    found = paginate(query, page=page)
    rows = [(rev, rev.change) for rev in found.items]
    names = staff_names({change.user_id for _, change in rows if change.user_id})
    found.items = [
        RevisionEntry(
            rev, names.get(change.user_id, "—"), change.created_at, str(ACTIONS.get(change.action, ""))
        )
        for rev, change in rows
    ]
    return found


def get_revision(ws: Workspace, revision_id: int) -> FileRevision | None:
    """Return a revision of this course's draft (another course's revision is None)."""
    if ws.draft is None:
        return None
    return db.session.scalar(
        sa.select(FileRevision).where(FileRevision.id == revision_id, FileRevision.draft_id == ws.draft.id)
    )


def restore(user, ws: Workspace, revision: FileRevision) -> str:
    """Write an earlier revision back (a lesson to wherever it is now); return the path."""
    if revision.draft_id != (ws.draft.id if ws.draft else None):
        raise NotFound
    if revision.data is None:
        raise AuthoringError(_("This revision deleted the file; choose an earlier one to restore."))
    path = revision.path
    if revision.lesson_slug:
        info = outline(ws)
        found = info.lesson(revision.lesson_slug)
        if found is not None:
            path = layout.lesson_file_for(found[0], found[1], revision.locale)
        elif not any(m.dirname == revision.path.split("/", 1)[0] for m in info.modules):
            raise AuthoringError(_("The module of this lesson no longer exists."))
    apply(user, ws, {path: bytes(revision.data)}, "restore", path)
    return path


def reset_to_published(user, ws: Workspace) -> None:
    """Replace the draft's files with the published course's (the history keeps the draft's)."""
    if ws.course is None or ws.draft is None:
        raise AuthoringError(_("There is no published version to go back to."))
    published_files = courses.course_files(ws.course)
    changes: dict[str, bytes | None] = dict.fromkeys(set(current_files(ws)) - set(published_files))
    changes.update(published_files)
    apply(user, ws, changes, "reset", str(ws.course.version))
    ws.draft.base_version = ws.course.version


def text_diff(old: str, new: str) -> list[str]:
    """Return a unified diff of two texts, line by line."""
    return list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2))[2:]


def revision_changes(ws: Workspace, revision: FileRevision) -> tuple[str, list[str]]:
    """Return a revision's text and how the file as it is now differs from it ("" and [] for images)."""
    if revision.path.startswith("media/"):
        return "", []
    old = layout.text(revision.data) if revision.data is not None else ""
    current = current_files(ws, media=False).get(revision.path)
    return old, text_diff(layout.text(current), old) if current is not None else []
