"""Publishing: the editor's course list, what differs from the published course, and publishing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.permissions import TRAINERS, has_role
from lms.courses import package
from lms.courses import services as courses
from lms.extensions import db

from . import layout
from .access import Workspace, owned_slugs
from .drafts import apply, current_files, draft_files
from .errors import AuthoringError, Problems, UnconfirmedTranslations
from .models import Draft, DraftChange, DraftFile
from .translations import translation_issues


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
    if not has_role(user, TRAINERS):
        return []
    slugs = owned_slugs(user)
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
    hashes = draft_hashes([d.id for d in draft_rows.values()])
    published_rows = courses.courses_by_slug(slugs)
    rows = []
    for slug in sorted(set(draft_rows) | set(published_rows)):
        found = draft_rows.get(slug)
        course = published_rows.get(slug)
        if found is not None:
            settings = layout.course_settings(tomls.get(found.id), slug)
            title = (
                settings["titles"].get(locale) or settings["titles"].get(settings["default_locale"]) or slug
            )
        else:
            title = course.title_in(locale)
        changes = found is not None and (course is None or hashes.get(found.id) != course.content_hash)
        rows.append(CourseRow(slug, title, found is not None, course.version if course else None, changes))
    return rows


def draft_hashes(draft_ids: list[int]) -> dict[int, str]:
    """Return {draft id: the hash of its files}, the same digest as a published course's."""
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
    return draft_hashes([ws.draft.id]).get(ws.draft.id) != ws.course.content_hash


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
    settings = layout.course_settings(files["course.toml"], ws.slug)
    version = settings["version"]
    if ws.course is not None and version <= ws.course.version:
        version = ws.course.version + 1
        files["course.toml"] = layout.bump_version(files["course.toml"], version)
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
