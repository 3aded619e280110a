"""Whole courses: creating one, importing a course .zip into its draft, exporting a package."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from lms.accounts.permissions import TRAINERS, has_role
from lms.courses import archive, package
from lms.courses import services as courses
from lms.extensions import db

from . import layout
from .access import Workspace, add_owner_row, workspace
from .drafts import apply, current_files, new_draft
from .errors import AuthoringError, NotAllowed, Problems
from .models import Draft


def create_course(
    user, slug: str, default_locale: str, locales: list[str], title: str, summary: str
) -> Workspace:
    """Create a new course as a draft whose owner is its creator."""
    if not has_role(user, TRAINERS):
        raise NotAllowed
    if db.session.scalar(sa.select(Draft.id).where(Draft.slug == slug)) or courses.get_course(slug):
        raise AuthoringError(_("A course with this slug exists already: choose another."))
    locales = [default_locale, *[loc for loc in locales if loc != default_locale]]
    settings = layout.course_settings(b"", slug)
    settings.update(
        default_locale=default_locale,
        locales=locales,
        # Only the main language: the problems list asks for each translation until it is given.
        titles={default_locale: title},
        summaries={default_locale: summary},
    )
    ws = Workspace(slug, new_draft(user, slug, None), None)
    add_owner_row(slug, user, user)
    apply(user, ws, {"course.toml": layout.course_toml(settings)}, "create", slug)
    return ws


def import_zip(user, stream, filename: str) -> Workspace:
    """Read a course .zip as `flask courses import` does and make it the course's draft.

    Raises Problems (path:line problems, nothing written) or AuthoringError.
    """
    if not has_role(user, TRAINERS):
        raise NotAllowed
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
        ws = Workspace(pkg.slug, new_draft(user, pkg.slug, None), None)
        add_owner_row(pkg.slug, user, user)
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
