"""A course's draft: its stored files, every change written with a revision, and images.

Every change to a course goes through `apply`, which writes draft files, keeps a revision of
each, and remembers which source each translation was written from (and derives the draft's
translations.toml from those records).
"""

from __future__ import annotations

import tomllib

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.core.db import utcnow
from lms.courses import package
from lms.courses import services as courses
from lms.extensions import db

from . import images, layout, questions
from .access import Workspace
from .errors import AuthoringError, Conflict
from .models import Draft, DraftChange, DraftFile, FileRevision, TranslationSource

TRANSLATIONS_FILE = package.translations.FILENAME

IMAGE_ERRORS = {
    "too-large": _l("The image is larger than %(limit)s bytes.", limit=package.MEDIA_MAX_BYTES),
    "too-many-pixels": _l("The image has too many pixels."),
    "not-an-image": _l("The file is not a PNG, JPEG, GIF or WebP image."),
}


def draft_files(draft: Draft, *, media: bool = True) -> dict[str, bytes]:
    """Return a draft's files; without media/ when the caller only needs the text files."""
    query = sa.select(DraftFile.path, DraftFile.data).where(DraftFile.draft_id == draft.id)
    if not media:
        query = query.where(~DraftFile.path.startswith("media/"))
    return {path: bytes(data) for path, data in db.session.execute(query)}


def current_files(ws: Workspace, *, media: bool = True) -> dict[str, bytes]:
    """Return what the editor edits: the draft's files, else the published course's."""
    if ws.draft is not None:
        return draft_files(ws.draft, media=media)
    files = courses.course_files(ws.course) if ws.course is not None else {}
    return files if media else {p: d for p, d in files.items() if not p.startswith("media/")}


def published_files(ws: Workspace) -> dict[str, bytes]:
    """Return the published course's files as they were imported."""
    return courses.course_files(ws.course) if ws.course is not None else {}


def media_names(ws: Workspace) -> list[str]:
    """Return the names of the images in the course's media/ folder."""
    if ws.draft is None:
        return sorted(p[6:] for p in current_files(ws) if p.startswith("media/"))
    paths = db.session.scalars(
        sa.select(DraftFile.path).where(
            DraftFile.draft_id == ws.draft.id, DraftFile.path.startswith("media/")
        )
    )
    return sorted(p[6:] for p in paths)


def outline(ws: Workspace, files: dict[str, bytes] | None = None) -> layout.Outline:
    """Return the course's outline (media names included even when files leave media out)."""
    files = current_files(ws, media=False) if files is None else files
    info = layout.outline(files, ws.slug)
    if not info.media:
        info.media = media_names(ws)
    return info


def new_draft(user, slug: str, base_version: int | None) -> Draft:
    found = Draft(slug=slug, base_version=base_version, created_by_id=user.id)
    db.session.add(found)
    db.session.flush()
    return found


def ensure_draft(user, ws: Workspace) -> Draft:
    """Start the draft from the published course's stored files when there is none yet."""
    if ws.draft is None:
        ws.draft = new_draft(user, ws.slug, ws.course.version if ws.course is not None else None)
        _write(user, ws.draft, courses.course_files(ws.course) if ws.course else {}, "start", "")
    return ws.draft


def apply(
    user, ws: Workspace, changes: dict[str, bytes | None], action: str, detail: str = "", *, reviewed=()
) -> DraftChange | None:
    """Write changes to the draft (None deletes), with a revision each; None if nothing changed.

    `reviewed` names translations the trainer saved as they are: they count as written now.
    """
    found = ensure_draft(user, ws)
    return _write(user, found, changes, action, detail, reviewed=set(reviewed))


def _write(user, found: Draft, changes: dict[str, bytes | None], action: str, detail: str, *, reviewed=None):
    reviewed = reviewed or set()
    rows = {
        row.path: row
        for row in db.session.scalars(
            sa.select(DraftFile).where(DraftFile.draft_id == found.id, DraftFile.path.in_(list(changes)))
        )
    }
    old = {path: bytes(row.data) for path, row in rows.items()}
    now = utcnow()
    actual: dict[str, bytes | None] = {}
    for path, data in sorted(changes.items()):
        row = rows.get(path)
        if data is None:
            if row is not None:
                db.session.delete(row)
                actual[path] = None
            continue
        digest = layout.sha256(data)
        if row is not None and row.sha256 == digest:
            continue
        if row is None:
            row = DraftFile(draft_id=found.id, path=path)
            db.session.add(row)
        row.data, row.sha256, row.updated_at, row.updated_by_id = data, digest, now, user.id
        actual[path] = data
    if not actual and not reviewed:
        return None
    change = DraftChange(
        draft_id=found.id, user_id=user.id, action=action, detail=detail[:300], created_at=now
    )
    db.session.add(change)
    db.session.flush()
    for path, data in actual.items():
        lesson_slug, locale = layout.parse_path(path)
        db.session.add(
            FileRevision(
                change_id=change.id,
                draft_id=found.id,
                path=path,
                lesson_slug=lesson_slug,
                locale=locale,
                data=data,
                sha256=layout.sha256(data) if data is not None else None,
            )
        )
    found.updated_at = now
    db.session.flush()
    # Starting a draft from, or going back to, a published course that has no translations.toml
    # changes nothing: the file is only added with a real change.
    derive = action not in ("start", "reset") or bool(actual.get(TRANSLATIONS_FILE))
    _track_translations(found, actual, old, reviewed, derive_file=derive)
    return change


def _track_translations(
    found: Draft,
    actual: dict[str, bytes | None],
    old: dict[str, bytes],
    reviewed: set[str],
    *,
    derive_file: bool = True,
):
    """Remember the source hash of every translation written now (files, and quiz questions)."""
    touched = set(actual) | reviewed
    if not touched:
        return
    files = draft_files(found, media=False)
    default = layout.course_settings(files.get("course.toml"), found.slug)["default_locale"]
    records = {
        row.path: row
        for row in db.session.scalars(
            sa.select(TranslationSource).where(TranslationSource.draft_id == found.id)
        )
    }

    def record(path: str, source_path: str, digest: str) -> None:
        row = records.get(path)
        if row is None:
            row = records[path] = TranslationSource(draft_id=found.id, path=path)
            db.session.add(row)
        row.source_path, row.source_sha256, row.updated_at = source_path, digest, utcnow()

    for path in sorted(touched):
        if path.startswith("media/"):
            continue
        source = layout.source_of(path, default)
        if source is None:
            continue
        if actual.get(path, b"") is None:
            for key in [k for k in records if k == path or k.startswith(path + "#")]:
                db.session.delete(records.pop(key))
            continue
        if source not in files or path not in files:
            continue
        if path.endswith(".md"):
            record(path, source, layout.sha256(files[source]))
            continue
        source_hashes = questions.hashes(layout.text(files[source]))
        before = questions.hashes(layout.text(old.get(path))) if path in old else {}
        for qid, digest in questions.hashes(layout.text(files[path])).items():
            written = path in reviewed or before.get(qid) != digest or f"{path}#{qid}" not in records
            if written and qid in source_hashes:
                record(f"{path}#{qid}", f"{source}#{qid}", source_hashes[qid])
    if actual.get(TRANSLATIONS_FILE):
        # A package brought its own record (an import, the published course): it says which
        # source each translation was made from, so stale marks survive export, git and import.
        for key, digest in _listed_sources(actual[TRANSLATIONS_FILE]).items():
            located = package.translations.source_of(key, default)
            if located is not None and key.split("#", 1)[0] in files:
                source, qid = located
                record(key, f"{source}#{qid}" if qid else source, digest)
    db.session.flush()
    if derive_file:
        _write_translations_file(found, {path: row.source_sha256 for path, row in records.items()})


def _listed_sources(data: bytes) -> dict[str, str]:
    """Read translations.toml leniently (the package check reports what is wrong with it)."""
    try:
        parsed = tomllib.loads(layout.text(data))
    except tomllib.TOMLDecodeError:
        return {}
    return package.translations.check(parsed, "")[0]


def _write_translations_file(found: Draft, sources: dict[str, str]) -> None:
    """Keep the draft's translations.toml equal to what `translation_sources` records.

    It is derived data, so it is written without a revision of its own.
    """
    row = db.session.scalar(
        sa.select(DraftFile).where(DraftFile.draft_id == found.id, DraftFile.path == TRANSLATIONS_FILE)
    )
    if not sources:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return
    data = package.translations.render(sources)
    digest = layout.sha256(data)
    if row is None:
        row = DraftFile(draft_id=found.id, path=TRANSLATIONS_FILE)
        db.session.add(row)
    elif row.sha256 == digest:
        return
    row.data, row.sha256, row.updated_at = data, digest, utcnow()
    db.session.flush()


def save_file(user, ws: Workspace, path: str, data: bytes, base_sha: str | None, action: str, detail: str):
    """Save one text file, refusing when someone else changed it since the editor loaded it."""
    current = current_files(ws, media=False).get(path)
    current_sha = layout.sha256(current) if current is not None else ""
    if base_sha is not None and base_sha != current_sha:
        raise Conflict(
            _(
                "Someone saved this file while you were editing it. Your text is below: compare and save again."
            )
        )
    return apply(user, ws, {path: data}, action, detail, reviewed={path})


def upload_media(user, ws: Workspace, filename: str, data: bytes) -> str:
    """Check an image by its content, strip its metadata and store it in media/; return its name."""
    try:
        clean, extension = images.clean(data)
    except images.ImageRejected as error:
        raise AuthoringError(str(IMAGE_ERRORS[error.code]))
    name = images.media_name(filename, extension)
    apply(user, ws, {f"media/{name}": clean}, "media.add", name)
    return name


def media_data(ws: Workspace, name: str) -> bytes | None:
    """Return one image of the course's media/ (draft first, else published)."""
    path = f"media/{name}"
    if ws.draft is not None:
        return db.session.scalar(
            sa.select(DraftFile.data).where(DraftFile.draft_id == ws.draft.id, DraftFile.path == path)
        )
    return current_files(ws).get(path)
