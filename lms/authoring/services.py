"""Authoring services: who may edit, drafts and their history, translations, publishing.

Services take the acting user, never touch the request, and flush; the view commits once.
Every change to a course goes through `apply`, which writes draft files, keeps a revision of
each, and remembers which source each translation was written from.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.utils import secure_filename

from lms.accounts import services as accounts
from lms.accounts.models import Role
from lms.cohorts import services as cohort_services
from lms.core.db import utcnow
from lms.courses import archive, package
from lms.courses import services as courses
from lms.extensions import db
from lms.quizzes import services as quizzes

from . import draft as drafts
from . import images, lookups, questions
from .models import CourseOwner, Draft, DraftChange, DraftFile, FileRevision, TranslationSource

AUTHOR_ROLES = (Role.TRAINER, Role.ADMIN)
TRANSLATIONS_FILE = package.translations.FILENAME
HISTORY_LIMIT = 200
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
IMAGE_ERRORS = {
    "too-large": _l("The image is larger than %(limit)s bytes.", limit=package.MEDIA_MAX_BYTES),
    "too-many-pixels": _l("The image has too many pixels."),
    "not-an-image": _l("The file is not a PNG, JPEG, GIF or WebP image."),
}


class AuthoringError(Exception):
    """An editing request that cannot be done; the message is for the user."""


class Conflict(AuthoringError):
    """The file changed since the editor loaded it."""


class UnconfirmedTranslations(AuthoringError):
    """Some translations are stale or missing and the trainer has not said to publish anyway."""


class Problems(AuthoringError):
    """A package or a quiz that has problems; `problems` lists them as path:line: message."""

    def __init__(self, message: str, problems: Iterable[object]) -> None:
        super().__init__(message)
        self.problems = [str(p) for p in problems]


# Who may edit ----------------------------------------------------------------------------------


def is_author(user) -> bool:
    """Tell whether the user may use the editor at all (trainers and admins)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in AUTHOR_ROLES


def can_edit(user, slug: str) -> bool:
    """Tell whether the user may read and change a course: admins all, trainers their own."""
    if not is_author(user):
        return False
    if user.role == Role.ADMIN:
        return True
    return bool(
        db.session.scalar(
            sa.select(CourseOwner.id).where(CourseOwner.course_slug == slug, CourseOwner.user_id == user.id)
        )
    )


def trains_cohort(user, cohort) -> bool:
    """Tell whether a trainer edits one of a cohort's courses (they may run its live sessions)."""
    if not is_author(user):
        return False
    slugs = [c.slug for c in cohort_services.cohort_courses(cohort.id)]
    return bool(
        slugs
        and db.session.scalar(
            sa.select(CourseOwner.id).where(
                CourseOwner.course_slug.in_(slugs), CourseOwner.user_id == user.id
            )
        )
    )


@dataclass
class Workspace:
    """A course as its editors see it: the draft if there is one, the published course if any."""

    slug: str
    draft: Draft | None
    course: object | None  # lms.courses.models.Course

    @property
    def is_new(self) -> bool:
        """Tell whether the course has never been published."""
        return self.course is None


def workspace(user, slug: str) -> Workspace | None:
    """Return a course the user may edit, or None (missing and foreign look the same)."""
    if not can_edit(user, slug):
        return None
    draft = db.session.scalar(sa.select(Draft).where(Draft.slug == slug))
    course = courses.get_course(slug)
    if draft is None and course is None:
        return None
    return Workspace(slug, draft, course)


@dataclass(frozen=True)
class CourseRow:
    """A course on the editor's home page."""

    slug: str
    title: str
    has_draft: bool
    published_version: int | None
    has_changes: bool


def my_courses(user, locale: str) -> list[CourseRow]:
    """Return the courses the user may edit, drafts and published, in a fixed number of queries."""
    if not is_author(user):
        return []
    if user.role == Role.ADMIN:
        slugs = None
    else:
        slugs = list(
            db.session.scalars(sa.select(CourseOwner.course_slug).where(CourseOwner.user_id == user.id))
        )
    query = sa.select(Draft)
    if slugs is not None:
        query = query.where(Draft.slug.in_(slugs))
    draft_rows = {d.slug: d for d in db.session.scalars(query)}
    tomls = dict(
        db.session.execute(
            sa.select(DraftFile.draft_id, DraftFile.data).where(
                DraftFile.draft_id.in_([d.id for d in draft_rows.values()]), DraftFile.path == "course.toml"
            )
        ).all()
    )
    hashes = _draft_hashes([d.id for d in draft_rows.values()])
    published_rows = lookups.courses_by_slug(slugs)
    rows = []
    for slug in sorted(set(draft_rows) | set(published_rows)):
        found = draft_rows.get(slug)
        course = published_rows.get(slug)
        if found is not None:
            settings = drafts.course_settings(tomls.get(found.id), slug)
            title = (
                settings["titles"].get(locale) or settings["titles"].get(settings["default_locale"]) or slug
            )
        else:
            title = course.title_in(locale)
        changes = found is not None and (course is None or hashes.get(found.id) != course.content_hash)
        rows.append(CourseRow(slug, title, found is not None, course.version if course else None, changes))
    return rows


def _draft_hashes(draft_ids: list[int]) -> dict[int, str]:
    by_draft: dict[int, list[tuple[str, str]]] = {}
    for draft_id, path, digest in db.session.execute(
        sa.select(DraftFile.draft_id, DraftFile.path, DraftFile.sha256).where(
            DraftFile.draft_id.in_(draft_ids)
        )
    ):
        by_draft.setdefault(draft_id, []).append((path, digest))
    out = {}
    for draft_id, entries in by_draft.items():
        # The same digest as courses.content_hash, from the stored per-file hashes.
        digest = hashlib.sha256()
        for path, file_digest in sorted(entries):
            digest.update(path.encode() + b"\0" + bytes.fromhex(file_digest))
        out[draft_id] = digest.hexdigest()
    return out


def has_unpublished_changes(ws: Workspace) -> bool:
    """Tell whether the draft differs from the published course."""
    if ws.draft is None:
        return False
    if ws.course is None:
        return True
    return _draft_hashes([ws.draft.id]).get(ws.draft.id) != ws.course.content_hash


# Owners ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """An owner of a course, named as staff see each other."""

    user_id: int
    name: str


def owners(slug: str) -> list[Owner]:
    """Return a course's owners (two queries)."""
    ids = list(
        db.session.scalars(
            sa.select(CourseOwner.user_id)
            .where(CourseOwner.course_slug == slug)
            .order_by(CourseOwner.created_at, CourseOwner.id)
        )
    )
    names = _names(set(ids))
    return [Owner(user_id, names.get(user_id, "")) for user_id in ids]


def _add_owner_row(slug: str, user, added_by) -> None:
    exists = db.session.scalar(
        sa.select(CourseOwner.id).where(CourseOwner.course_slug == slug, CourseOwner.user_id == user.id)
    )
    if not exists:
        db.session.add(CourseOwner(course_slug=slug, user_id=user.id, added_by_id=added_by.id))
        db.session.flush()


def add_owner(actor, ws: Workspace, username: str) -> Owner:
    """Make a trainer a co-owner of the course; learners and managers cannot be owners."""
    user = accounts.find_user((username or "").strip())
    if user is None or user.role not in AUTHOR_ROLES or not user.is_active:
        # One answer for "no such account" and "not a trainer": nobody can probe accounts.
        raise AuthoringError(_("There is no trainer with that username."))
    _add_owner_row(ws.slug, user, actor)
    return Owner(user.id, user.name)


def remove_owner(actor, ws: Workspace, user_id: int) -> None:
    """Remove a co-owner; the last owner stays, so a course is never left without one."""
    rows = list(db.session.scalars(sa.select(CourseOwner).where(CourseOwner.course_slug == ws.slug)))
    row = next((r for r in rows if r.user_id == user_id), None)
    if row is None:
        raise LookupError(user_id)
    if len(rows) == 1:
        raise AuthoringError(_("A course keeps at least one owner."))
    db.session.delete(row)
    db.session.flush()


# Files and changes -----------------------------------------------------------------------------


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
    files = lookups.course_files(ws.course) if ws.course is not None else {}
    return files if media else {p: d for p, d in files.items() if not p.startswith("media/")}


def published_files(ws: Workspace) -> dict[str, bytes]:
    """Return the published course's files as they were imported."""
    return lookups.course_files(ws.course) if ws.course is not None else {}


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


def outline(ws: Workspace, files: dict[str, bytes] | None = None) -> drafts.Outline:
    """Return the course's outline (media names included even when files leave media out)."""
    files = current_files(ws, media=False) if files is None else files
    info = drafts.outline(files, ws.slug)
    if not info.media:
        info.media = media_names(ws)
    return info


def _new_draft(user, slug: str, base_version: int | None) -> Draft:
    found = Draft(slug=slug, base_version=base_version, created_by_id=user.id)
    db.session.add(found)
    db.session.flush()
    return found


def ensure_draft(user, ws: Workspace) -> Draft:
    """Start the draft from the published course's stored files when there is none yet."""
    if ws.draft is None:
        ws.draft = _new_draft(user, ws.slug, ws.course.version if ws.course is not None else None)
        _write(user, ws.draft, lookups.course_files(ws.course) if ws.course else {}, "start", "")
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
        digest = drafts.sha256(data)
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
        lesson_slug, locale = drafts.parse_path(path)
        db.session.add(
            FileRevision(
                change_id=change.id,
                draft_id=found.id,
                path=path,
                lesson_slug=lesson_slug,
                locale=locale,
                data=data,
                sha256=drafts.sha256(data) if data is not None else None,
            )
        )
    found.updated_at = now
    db.session.flush()
    # Starting a draft from, or going back to, a published course that has no translations.toml
    # changes nothing: the file is only added with a real change.
    derive = action not in ("start", "reset") or bool(actual.get(TRANSLATIONS_FILE))
    _track_translations(found, actual, old, reviewed, derive_file=derive)
    return change


# Translations ----------------------------------------------------------------------------------


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
    default = drafts.course_settings(files.get("course.toml"), found.slug)["default_locale"]
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
        source = drafts.source_of(path, default)
        if source is None:
            continue
        if actual.get(path, b"") is None:
            for key in [k for k in records if k == path or k.startswith(path + "#")]:
                db.session.delete(records.pop(key))
            continue
        if source not in files or path not in files:
            continue
        if path.endswith(".md"):
            record(path, source, drafts.sha256(files[source]))
            continue
        source_hashes = questions.hashes(drafts.text(files[source]))
        before = questions.hashes(drafts.text(old.get(path))) if path in old else {}
        for qid, digest in questions.hashes(drafts.text(files[path])).items():
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
        parsed = tomllib.loads(drafts.text(data))
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
    digest = drafts.sha256(data)
    if row is None:
        row = DraftFile(draft_id=found.id, path=TRANSLATIONS_FILE)
        db.session.add(row)
    elif row.sha256 == digest:
        return
    row.data, row.sha256, row.updated_at = data, digest, utcnow()
    db.session.flush()


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
    module: drafts.ModuleInfo | None
    lesson: drafts.LessonInfo | None
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
    if recorded is not None and source in files and recorded != drafts.sha256(files[source]):
        return "stale"
    return "ok"


def quiz_cell(files: dict[str, bytes], records: dict[str, str], path: str, source: str) -> Cell:
    """Return a quiz translation's state, with the ids that are missing or stale."""
    if path == source:
        return Cell("source", path)
    if source not in files:
        return Cell("ok" if path in files else "missing", path)
    source_hashes = questions.hashes(drafts.text(files[source]))
    if path not in files:
        return Cell("missing", path, missing=list(source_hashes))
    have = questions.hashes(drafts.text(files[path]))
    missing = [qid for qid in source_hashes if qid not in have]
    stale = [
        qid
        for qid, digest in source_hashes.items()
        if qid in have and records.get(f"{path}#{qid}") not in (None, digest)
    ]
    state = "missing" if missing else "stale" if stale else "ok"
    return Cell(state, path, missing, stale)


def translation_table(ws: Workspace) -> tuple[drafts.Outline, list[TranslationRow]]:
    """Return, per lesson and quiz, the state of each locale (two queries)."""
    files = current_files(ws, media=False)
    info = outline(ws, files)
    records = _records(ws)
    default = info.default_locale
    rows = []
    for module in info.modules:
        for lesson in module.lessons:
            source = drafts.lesson_file_for(module, lesson, default)
            cells = {}
            for locale in info.locales:
                path = drafts.lesson_file_for(module, lesson, locale)
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


# Creating and importing ------------------------------------------------------------------------


def create_course(
    user, slug: str, default_locale: str, locales: list[str], title: str, summary: str
) -> Workspace:
    """Create a new course as a draft whose owner is its creator."""
    if not is_author(user):
        raise PermissionError
    if db.session.scalar(sa.select(Draft.id).where(Draft.slug == slug)) or courses.get_course(slug):
        raise AuthoringError(_("A course with this slug exists already: choose another."))
    locales = [default_locale, *[loc for loc in locales if loc != default_locale]]
    settings = drafts.course_settings(b"", slug)
    settings.update(
        default_locale=default_locale,
        locales=locales,
        # Only the main language: the problems list asks for each translation until it is given.
        titles={default_locale: title},
        summaries={default_locale: summary},
    )
    ws = Workspace(slug, _new_draft(user, slug, None), None)
    _add_owner_row(slug, user, user)
    apply(user, ws, {"course.toml": drafts.course_toml(settings)}, "create", slug)
    return ws


def import_zip(user, stream, filename: str) -> Workspace:
    """Read a course .zip as `flask courses import` does and make it the course's draft.

    Raises Problems (path:line problems, nothing written) or AuthoringError.
    """
    if not is_author(user):
        raise PermissionError
    name = secure_filename(filename or "") or "course.zip"
    if not name.lower().endswith(".zip"):
        name += ".zip"
    with tempfile.TemporaryDirectory(prefix="tamkeen-upload-") as tmp:
        path = Path(tmp) / name
        written = 0
        with open(path, "wb") as out:
            while chunk := stream.read(64 * 1024):
                written += len(chunk)
                if written > archive.MAX_BYTES:
                    raise Problems(_("The file is too large."), [f"{name}:0: {_('The file is too large.')}"])
                out.write(chunk)
        try:
            pkg = courses.read_package(path)
        except package.PackageError as error:
            raise Problems(_("The course has problems; nothing was imported."), error.problems)
        except (archive.ArchiveError, courses.CourseError) as error:
            raise Problems(_("The archive was refused; nothing was imported."), [f"{name}:0: {error}"])
    ws = workspace(user, pkg.slug)
    exists = db.session.scalar(sa.select(Draft.id).where(Draft.slug == pkg.slug)) or courses.get_course(
        pkg.slug
    )
    if ws is None and exists:
        raise AuthoringError(_("A course with this slug exists and you are not one of its owners."))
    if ws is None:
        ws = Workspace(pkg.slug, _new_draft(user, pkg.slug, None), None)
        _add_owner_row(pkg.slug, user, user)
    old = current_files(ws) if ws.draft is not None else {}
    changes: dict[str, bytes | None] = dict.fromkeys(set(old) - set(pkg.files))
    changes.update(pkg.files)
    apply(user, ws, changes, "import", name)
    return ws


def export_zip(files: dict[str, bytes], slug: str) -> bytes:
    """Zip a package under one top folder named after the slug, the layout import reads."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{slug}/{path}", date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            out.writestr(info, files[path])
    return buffer.getvalue()


# Editing ---------------------------------------------------------------------------------------


def save_file(user, ws: Workspace, path: str, data: bytes, base_sha: str | None, action: str, detail: str):
    """Save one text file, refusing when someone else changed it since the editor loaded it."""
    current = current_files(ws, media=False).get(path)
    current_sha = drafts.sha256(current) if current is not None else ""
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


# History ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    """One change: who, what, when, and the files it wrote."""

    change: DraftChange
    who: str
    what: str
    paths: list[str]


def _names(user_ids: set[int]) -> dict[int, str]:
    """Name staff as they see each other: display name, else username (never for learners)."""
    return {uid: display or username for uid, (display, username) in lookups.user_names(user_ids).items()}


def history(ws: Workspace, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """Return the latest changes of a course, newest first (three queries)."""
    if ws.draft is None:
        return []
    changes = list(
        db.session.scalars(
            sa.select(DraftChange)
            .where(DraftChange.draft_id == ws.draft.id)
            .order_by(DraftChange.id.desc())
            .limit(limit)
        )
    )
    paths: dict[int, list[str]] = {}
    for change_id, path in db.session.execute(
        sa.select(FileRevision.change_id, FileRevision.path).where(
            FileRevision.change_id.in_([c.id for c in changes])
        )
    ):
        paths.setdefault(change_id, []).append(path)
    names = _names({c.user_id for c in changes if c.user_id})
    return [
        HistoryEntry(
            c, names.get(c.user_id, "—"), str(ACTIONS.get(c.action, c.action)), sorted(paths.get(c.id, []))
        )
        for c in changes
    ]


@dataclass(frozen=True)
class RevisionEntry:
    """One saved state of a file."""

    revision: FileRevision
    who: str
    when: object
    what: str


def lesson_history(ws: Workspace, lesson_slug: str, locale: str | None = None) -> list[RevisionEntry]:
    """Return the revisions of a lesson's files (all locales, or one), newest first."""
    if ws.draft is None:
        return []
    query = (
        sa.select(FileRevision, DraftChange)
        .join(DraftChange, DraftChange.id == FileRevision.change_id)
        .where(FileRevision.draft_id == ws.draft.id, FileRevision.lesson_slug == lesson_slug)
        .order_by(FileRevision.id.desc())
        .limit(HISTORY_LIMIT)
    )
    if locale:
        query = query.where(FileRevision.locale == locale)
    rows = db.session.execute(query).all()
    names = _names({change.user_id for _, change in rows if change.user_id})
    return [
        RevisionEntry(
            rev, names.get(change.user_id, "—"), change.created_at, str(ACTIONS.get(change.action, ""))
        )
        for rev, change in rows
    ]


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
        raise LookupError(revision.id)
    if revision.data is None:
        raise AuthoringError(_("This revision deleted the file; choose an earlier one to restore."))
    path = revision.path
    if revision.lesson_slug:
        info = outline(ws)
        found = info.lesson(revision.lesson_slug)
        if found is not None:
            path = drafts.lesson_file_for(found[0], found[1], revision.locale)
        elif not any(m.dirname == revision.path.split("/", 1)[0] for m in info.modules):
            raise AuthoringError(_("The module of this lesson no longer exists."))
    apply(user, ws, {path: bytes(revision.data)}, "restore", path)
    return path


def reset_to_published(user, ws: Workspace) -> None:
    """Replace the draft's files with the published course's (the history keeps the draft's)."""
    if ws.course is None or ws.draft is None:
        raise AuthoringError(_("There is no published version to go back to."))
    published_files = lookups.course_files(ws.course)
    changes: dict[str, bytes | None] = dict.fromkeys(set(current_files(ws)) - set(published_files))
    changes.update(published_files)
    apply(user, ws, changes, "reset", str(ws.course.version))
    ws.draft.base_version = ws.course.version


# Publishing ------------------------------------------------------------------------------------


def check(ws: Workspace) -> list[package.Problem]:
    """Return every problem that would stop publishing, as `flask courses validate` reports them."""
    return package.validate_files(current_files(ws), folder_name=ws.slug)


def publish(user, ws: Workspace, *, accept_translations: bool = False) -> int:
    """Validate the draft, raise its version and import it as `flask courses import` does.

    All or nothing: on any problem nothing is written. Stale or missing translations are
    published only when `accept_translations` says so (UnconfirmedTranslations otherwise).
    Learners' progress is keyed by lesson slug, so the import keeps it. Returns the published
    version.
    """
    if ws.draft is None or not has_unpublished_changes(ws):
        raise AuthoringError(_("There is nothing new to publish."))
    files = draft_files(ws.draft)
    problems = package.validate_files(files, folder_name=ws.slug)
    if problems:
        raise Problems(_("The course has problems; nothing was published."), problems)
    if not accept_translations and translation_issues(ws):
        raise UnconfirmedTranslations(
            _("Some translations are stale or missing: confirm that you want to publish them as they are.")
        )
    settings = drafts.course_settings(files["course.toml"], ws.slug)
    version = settings["version"]
    if ws.course is not None and version <= ws.course.version:
        version = ws.course.version + 1
        files["course.toml"] = drafts.bump_version(files["course.toml"], version)
        apply(user, ws, {"course.toml": files["course.toml"]}, "version", str(version))
    try:
        result = courses.import_package(package.load_files(files, folder_name=ws.slug))
    except package.PackageError as error:
        raise Problems(_("The course has problems; nothing was published."), error.problems)
    except courses.CourseError as error:
        raise AuthoringError(str(error))
    ws.course = result.course
    ws.draft.base_version = version
    db.session.add(DraftChange(draft_id=ws.draft.id, user_id=user.id, action="publish", detail=str(version)))
    db.session.flush()
    return version


# Learners and essays ---------------------------------------------------------------------------


def learners(ws: Workspace) -> list[lookups.LearnerProgress]:
    """Return the progress of the learners of a published course (display names only)."""
    return lookups.learner_progress(ws.course) if ws.course is not None else []


def item_analysis(ws: Workspace, phase: str | None = None) -> list:
    """Return the item analysis of the published course's quizzes (empty before publishing)."""
    if ws.course is None:
        return []
    return courses.item_analysis(ws.course, phase=phase)


def pending_essays(ws: Workspace) -> list:
    """Return the essays waiting for a mark in the course's quizzes."""
    if ws.course is None:
        return []
    essays = []
    for quiz in lookups.course_quizzes(ws.course):
        essays += quizzes.pending_essays(quiz)
    return essays


def mark_essay(user, ws: Workspace, response_id: int, fraction: float, comment: str):
    """Mark an essay of one of this course's quizzes (another course's answer is LookupError)."""
    response = quizzes.get_response(response_id)
    quiz_ids = {q.id for q in lookups.course_quizzes(ws.course)} if ws.course is not None else set()
    if response is None or response.attempt.quiz_id not in quiz_ids:
        raise LookupError(response_id)
    try:
        return quizzes.mark_essay(user, response, fraction, comment)
    except quizzes.QuizError as error:
        raise AuthoringError(str(error))
