"""Course packages in and out: import (with its `_replace_*` steps) and export of a course."""

import hashlib
import tempfile
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms.core.db import utcnow
from lms.courses import archive, handbook, package
from lms.courses.activities import activity_iri
from lms.courses.errors import CourseError, ImportRefused
from lms.courses.models import Course, CourseFile, Lesson, LessonContent, MediaFile, Module
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.tasks import services as task_services

MEDIA_TYPES = {
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
    b"RIFF": "image/webp",
}


@dataclass(frozen=True)
class ImportResult:
    """What an import did: "created", "updated" or "unchanged"."""

    course: Course
    status: str


def content_hash(files: dict[str, bytes]) -> str:
    """Hash every path and byte of a package, order-independent."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


def read_package(path: str | Path) -> package.CoursePackage:
    """Load a course folder or a .zip of one; raise package.PackageError or archive.ArchiveError."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="tamkeen-import-") as tmp:
            folder = Path(tmp) / "package"
            top = archive.safe_extract(path, folder)
            return package.load(folder, folder_name=top or _declared_slug(folder) or path.stem)
    if not path.is_dir():
        raise CourseError(_("%(path)s is not a course folder or a .zip file.", path=str(path)))
    return package.load(path)


def _declared_slug(folder: Path) -> str | None:
    # A zip of the folder's contents (no top folder): the slug in course.toml names it.
    try:
        return tomllib.loads((folder / "course.toml").read_text("utf-8")).get("slug")
    except (OSError, ValueError, AttributeError):
        return None


def import_package(pkg: package.CoursePackage) -> ImportResult:
    """Create or update a course from a loaded package (flushes; the caller commits once)."""
    digest = content_hash(pkg.files)
    course = db.session.scalar(sa.select(Course).where(Course.slug == pkg.slug))
    if course is not None:
        if course.content_hash == digest:
            return ImportResult(course, "unchanged")
        if pkg.version < course.version:
            raise ImportRefused(
                _(
                    "course.toml:0: version %(new)d is older than the installed version %(old)d.",
                    new=pkg.version,
                    old=course.version,
                )
            )
        if pkg.version == course.version:
            raise ImportRefused(
                _(
                    "course.toml:0: the content changed but version is still %(old)d: "
                    "raise `version` to publish the change.",
                    old=course.version,
                )
            )
        status = "updated"
    else:
        course = Course(slug=pkg.slug)
        db.session.add(course)
        status = "created"

    lesson_total = sum(len(m.lessons) for m in pkg.modules)
    course.version = pkg.version
    course.default_locale = pkg.default_locale
    course.locales = list(pkg.locales)
    course.titles = dict(pkg.titles)
    course.summaries = dict(pkg.summaries)
    course.topic = pkg.topic
    course.estimated_minutes = pkg.minutes
    course.lesson_count = lesson_total
    course.pass_mark = pkg.pass_mark
    course.has_certificate = pkg.certificate
    course.certificate_valid_years = pkg.certificate_valid_years
    course.sources_md = pkg.sources_md
    course.content_hash = digest
    course.updated_at = utcnow()
    db.session.flush()

    _replace_structure(
        course, pkg, set(package.translations.stale(pkg.files, pkg.default_locale, pkg.translation_sources))
    )
    _replace_quizzes(course, pkg)
    _replace_tasks(course, pkg)
    _replace_files(course, pkg)
    db.session.flush()
    queue_handbooks(course)
    return ImportResult(course, status)


def _replace_structure(course: Course, pkg: package.CoursePackage, stale: set[str]) -> None:
    modules = {m.slug: m for m in db.session.scalars(sa.select(Module).where(Module.course_id == course.id))}
    lessons = {
        lesson.slug: lesson
        for lesson in db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id))
    }
    keep_modules, keep_lessons = set(), set()
    sequence = 0
    for mp in pkg.modules:
        module = modules.get(mp.slug)
        if module is None:
            module = Module(course_id=course.id, slug=mp.slug, position=mp.position, titles={})
            db.session.add(module)
        module.position = mp.position
        module.titles = dict(mp.titles)
        module.requires_previous = mp.requires_previous
        db.session.flush()
        keep_modules.add(mp.slug)
        for lp in mp.lessons:
            sequence += 1
            lesson = lessons.get(lp.slug)
            if lesson is None:
                lesson = Lesson(
                    course_id=course.id, slug=lp.slug, titles={}, position=0, sequence=0, module_id=module.id
                )
                db.session.add(lesson)
            lesson.module_id = module.id
            lesson.position = lp.position
            lesson.sequence = sequence
            lesson.titles = dict(lp.titles)
            db.session.flush()
            keep_lessons.add(lp.slug)
            db.session.execute(sa.delete(LessonContent).where(LessonContent.lesson_id == lesson.id))
            for locale, body in lp.bodies.items():
                db.session.add(
                    LessonContent(
                        lesson_id=lesson.id,
                        locale=locale,
                        title=lp.titles[locale],
                        body_md=body,
                        word_count=lp.word_counts.get(locale, 0),
                        is_outdated=f"{mp.dirname}/{lp.filenames[locale]}" in stale,
                    )
                )
    # Progress is keyed by lesson slug, so removing a lesson keeps learners' records of it.
    for slug, lesson in lessons.items():
        if slug not in keep_lessons:
            db.session.delete(lesson)
    db.session.flush()
    for slug, module in modules.items():
        if slug not in keep_modules:
            db.session.delete(module)
    db.session.flush()


def _replace_quizzes(course: Course, pkg: package.CoursePackage) -> None:
    """Create or update each module quiz and the course assessment from their GIFT banks."""
    modules = {m.slug: m for m in db.session.scalars(sa.select(Module).where(Module.course_id == course.id))}
    try:
        for mp in pkg.modules:
            module = modules[mp.slug]
            if not mp.quiz:
                module.quiz = None
                continue
            settings = {**asdict(mp.quiz_settings), "pass_mark": pkg.pass_mark_of(mp)}
            iri = activity_iri(course.slug, f"{mp.slug}/quiz")
            module.quiz = _replace_bank(module.quiz, iri, "module", settings, mp.quiz, pkg.default_locale)
        if pkg.assessment:
            # The same questions before and after: the pre-test must not teach the answers.
            # Choices always shuffled: the same right position twice would be learnt, not known.
            settings = {
                "pass_mark": pkg.pass_mark,
                "max_attempts": 0,
                "feedback": "never",
                "shuffle_choices": True,
            }
            iri = activity_iri(course.slug, "assessment")
            course.assessment_quiz = _replace_bank(
                course.assessment_quiz, iri, "assessment", settings, pkg.assessment, pkg.default_locale
            )
        else:
            course.assessment_quiz = None
    except quiz_services.BankError as error:
        raise ImportRefused(str(error)) from error
    db.session.flush()


def _replace_bank(quiz, iri: str, kind: str, settings: dict, banks, default_locale: str):
    """Replace a quiz's questions; a quiz outlives a deleted course row (attempts keep pointing
    at it), so one found by its activity IRI is reused."""
    return quiz_services.replace_bank(
        quiz or quiz_services.quiz_for_activity(iri),
        kind=kind,
        activity_id=iri,
        settings=settings,
        banks=banks,
        default_locale=default_locale,
    )


def _replace_tasks(course: Course, pkg: package.CoursePackage) -> None:
    """Create or update each module's practice task; learners' submissions are kept."""
    modules = {m.slug: m for m in db.session.scalars(sa.select(Module).where(Module.course_id == course.id))}
    for mp in pkg.modules:
        module = modules[mp.slug]
        if mp.task is None:
            module.task = None
            continue
        iri = activity_iri(course.slug, f"{mp.slug}/task")
        module.task = task_services.replace_task(
            # A task outlives a deleted module (submissions keep pointing at it): reuse it.
            module.task or task_services.task_for_activity(iri),
            activity_id=iri,
            default_locale=pkg.default_locale,
            spec=mp.task,
        )
    db.session.flush()


def _replace_files(course: Course, pkg: package.CoursePackage) -> None:
    db.session.execute(sa.delete(CourseFile).where(CourseFile.course_id == course.id))
    db.session.execute(sa.delete(MediaFile).where(MediaFile.course_id == course.id))
    for path, data in sorted(pkg.files.items()):
        db.session.add(CourseFile(course_id=course.id, path=path, data=data))
    for name, data in sorted(pkg.media.items()):
        width, height = _image_size(data)
        db.session.add(
            MediaFile(
                course_id=course.id,
                name=name,
                content_type=_media_type(data),
                data=data,
                width=width,
                height=height,
            )
        )


def _media_type(data: bytes) -> str:
    for magic, content_type in MEDIA_TYPES.items():
        if data.startswith(magic):
            return content_type
    return "application/octet-stream"


def _image_size(data: bytes) -> tuple[int | None, int | None]:
    """Read width and height from PNG or GIF headers (others: unknown)."""
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"GIF8") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return None, None


def queue_handbooks(course: Course) -> int:
    """Queue the background rendering of a course's PDF handbooks (every locale and module)."""
    return handbook.queue_all(course)


def import_path(path: str | Path) -> ImportResult:
    """Validate and import a folder or .zip; nothing is written when anything is wrong."""
    return import_package(read_package(path))


def export_course(course: Course, dest: str | Path) -> Path:
    """Write a course back as a package folder `dest/<slug>` and return its path."""
    target = Path(dest) / course.slug
    files = db.session.execute(
        sa.select(CourseFile.path, CourseFile.data).where(CourseFile.course_id == course.id)
    ).all()
    for path, data in files:
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return target


def course_files(course: Course) -> dict[str, bytes]:
    """Return every stored file of a course, {path: bytes}."""
    rows = db.session.execute(
        sa.select(CourseFile.path, CourseFile.data).where(CourseFile.course_id == course.id)
    )
    return {path: bytes(data) for path, data in rows}


def courses_dir() -> Path:
    """Return the folder `flask courses load-all` reads."""
    return Path(current_app.config["COURSES_DIR"])
