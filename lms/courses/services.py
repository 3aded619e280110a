"""Course services: import and export packages, the catalog, enrolment, progress, completion."""

import hashlib
import tempfile
import tomllib
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from lms.core import markdown
from lms.core.db import utcnow
from lms.courses import archive, package, signals
from lms.courses.models import (
    Course,
    CourseFile,
    Enrolment,
    Lesson,
    LessonContent,
    LessonProgress,
    MediaFile,
    Module,
)
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.records import services as records
from lms.tasks import services as task_services

MEDIA_TYPES = {
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
    b"RIFF": "image/webp",
}


class CourseError(Exception):
    """A course operation that cannot be done; the message is for the user."""


class ImportRefused(CourseError):
    """A package that is valid but cannot replace what is installed."""


@dataclass(frozen=True)
class ImportResult:
    """What an import did: "created", "updated" or "unchanged"."""

    course: Course
    status: str


# Import and export -----------------------------------------------------------------------------


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
    hook = current_app.extensions.get("tamkeen-course-imported")
    if hook:
        hook(course, pkg)
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


def activity_iri(course_slug: str, suffix: str) -> str:
    """Return the xAPI activity IRI of a course part."""
    return f"{current_app.config['SITE_URL'].rstrip('/')}/courses/{course_slug}/{suffix}"


def course_activity(course_slug: str, titles: dict[str, str]) -> records.Activity:
    """Return a course as an xAPI activity."""
    return records.Activity(activity_iri(course_slug, ""), "course", dict(titles))


def module_activity(course_slug: str, module_slug: str, titles: dict[str, str]) -> records.Activity:
    """Return a module as an xAPI activity."""
    return records.Activity(activity_iri(course_slug, module_slug), "module", dict(titles))


def lesson_activity(
    course_slug: str, module_slug: str, lesson_slug: str, titles: dict[str, str]
) -> records.Activity:
    """Return a lesson as an xAPI activity (its IRI is the lesson page's URL)."""
    return records.Activity(activity_iri(course_slug, f"{module_slug}/{lesson_slug}"), "lesson", dict(titles))


def learning_context(_sender, *, user_id: int | None, activity: records.Activity) -> records.Context | None:
    """Give a quiz's, a quiz question's or a practice task's records their module, course and enrolment.

    Answers ``records.context_requested``: quizzes knows nothing of courses, but its activity
    IRIs are the ones courses chose (``<course>/<module>/quiz``, ``<course>/assessment``).
    """
    prefix = activity_iri("", "").rstrip("/") + "/"  # <site>/courses/
    if not activity.id.startswith(prefix):
        return None
    parts = activity.id[len(prefix) :].split("/")
    if len(parts) < 2:
        return None
    slug = parts[0]
    if parts[1] == "assessment":
        quiz_parts, module_slug = parts[1:], None
    elif len(parts) >= 3 and parts[2] in ("quiz", "task"):
        quiz_parts, module_slug = parts[1:], parts[1]
    else:
        return None
    enrolment = (
        sa.select(Enrolment.registration)
        .where(Enrolment.course_id == Course.id, Enrolment.user_id == user_id)
        .scalar_subquery()
    )
    module_titles = sa.null() if module_slug is None else Module.titles
    query = sa.select(Course.titles, module_titles, enrolment).where(Course.slug == slug)
    if module_slug is not None:
        query = query.join(Module, sa.and_(Module.course_id == Course.id, Module.slug == module_slug))
    row = db.session.execute(query).first()
    if row is None:
        return None
    course_titles, module_titles, registration = row
    around = [course_activity(slug, course_titles)]
    if module_slug is not None:
        around.insert(0, module_activity(slug, module_slug, module_titles or {}))
    if len(quiz_parts) > (1 if module_slug is None else 2):  # a question of the quiz
        quiz_iri = prefix + "/".join(parts[: 2 if module_slug is None else 3])
        quiz = records.Activity(quiz_iri, "assessment", dict(around[0].name))
        return records.Context(registration=registration, parent=(quiz,), grouping=tuple(around))
    if parts[2:3] == ["task"]:  # a practice task keeps its own name
        return records.Context(registration=registration, parent=tuple(around))
    # A module's quiz is named as its module, the knowledge check as its course.
    return records.Context(registration=registration, parent=tuple(around), object_name=dict(around[0].name))


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
            quiz = quiz_services.replace_bank(
                # A quiz outlives a deleted course row (attempts keep pointing at it): reuse it.
                module.quiz or quiz_services.quiz_for_activity(iri),
                kind="module",
                activity_id=iri,
                settings=settings,
                banks=mp.quiz,
                default_locale=pkg.default_locale,
            )
            module.quiz = quiz
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
            quiz = quiz_services.replace_bank(
                course.assessment_quiz or quiz_services.quiz_for_activity(iri),
                kind="assessment",
                activity_id=iri,
                settings=settings,
                banks=pkg.assessment,
                default_locale=pkg.default_locale,
            )
            course.assessment_quiz = quiz
        else:
            course.assessment_quiz = None
    except quiz_services.BankError as error:
        raise ImportRefused(str(error)) from error
    db.session.flush()


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
    from lms.courses import handbook  # it builds on this module

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


def course_quizzes(course: Course) -> list:
    """Return a course's module quizzes and its assessment (a fixed number of queries)."""
    quizzes = [m.quiz for m in load_outline(course) if m.quiz is not None]
    if course.assessment_quiz is not None:
        quizzes.append(course.assessment_quiz)
    return quizzes


@dataclass(frozen=True)
class QuizItems:
    """One quiz of a course with its item analysis; ``module`` is None for the knowledge check."""

    quiz: "quiz_services.Quiz"
    module: Module | None
    analysis: "quiz_services.QuizAnalysis"

    def title_in(self, locale: str) -> str | None:
        """Return the module's title (None: the knowledge check, which the caller names)."""
        return self.module.title_in(locale) if self.module is not None else None


def item_analysis(course: Course, *, phase: str | None = None) -> list[QuizItems]:
    """Return the item analysis of every quiz of a course, modules first (a fixed number of queries)."""
    pairs = [(m.quiz, m) for m in load_outline(course) if m.quiz is not None]
    if course.assessment_quiz is not None:
        pairs.append((course.assessment_quiz, None))
    analyses = quiz_services.item_analysis([quiz for quiz, _module in pairs], phase=phase)
    return [QuizItems(quiz, module, analyses[quiz.id]) for quiz, module in pairs]


def courses_dir() -> Path:
    """Return the folder `flask courses load-all` reads."""
    return Path(current_app.config["COURSES_DIR"])


# Catalog ---------------------------------------------------------------------------------------


def get_course(slug: str) -> Course | None:
    """Return a course by slug, published or not."""
    return db.session.scalar(sa.select(Course).where(Course.slug == slug))


def get_published_course(slug: str) -> Course | None:
    """Return a published course by slug."""
    return db.session.scalar(sa.select(Course).where(Course.slug == slug, Course.is_published.is_(True)))


def catalog(*, topic: str | None = None, language: str | None = None) -> list[Course]:
    """Return published courses, filtered by topic and teaching language, in one query."""
    courses = db.session.scalars(
        sa.select(Course).where(Course.is_published.is_(True)).order_by(Course.id)
    ).all()
    if topic:
        courses = [c for c in courses if c.topic == topic]
    if language:
        courses = [c for c in courses if language in c.locales]
    return list(courses)


def topics() -> list[str]:
    """Return the topics of published courses."""
    return sorted(
        t
        for t in db.session.scalars(sa.select(Course.topic).where(Course.is_published.is_(True)).distinct())
        if t
    )


def load_outline(course: Course) -> list[Module]:
    """Load a course's modules and lessons in two queries."""
    return list(
        db.session.scalars(
            sa.select(Module)
            .where(Module.course_id == course.id)
            .order_by(Module.position)
            .options(selectinload(Module.lessons), selectinload(Module.quiz))
        )
    )


def quiz_results(user, modules: list[Module]) -> dict[int, "quiz_services.Result"]:
    """Return each module's quiz result for the user, keyed by module id (one query)."""
    quizzes = [m.quiz for m in modules if m.quiz is not None]
    if not quizzes or user is None or not getattr(user, "is_authenticated", False):
        return {}
    results = quiz_services.results_for(user, quizzes)
    return {m.id: results[m.quiz_id] for m in modules if m.quiz_id in results}


def quiz_status(user, modules: list[Module]) -> dict[int, bool]:
    """Return, per module with a quiz, whether the user has passed it."""
    results = quiz_results(user, modules)
    return {m.id: (results[m.id].has_passed if m.id in results else False) for m in modules if m.quiz_id}


def task_status(user, modules: list[Module]) -> dict[int, bool]:
    """Return, per module whose task needs approval, whether the user's submission is approved."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    approval = task_services.approval_status(user, [m.task_id for m in modules if m.task_id is not None])
    return {m.id: approval[m.task_id] for m in modules if m.task_id in approval}


def task_places(slugs: list[str] | None) -> dict[int, Module]:
    """Return task id -> its module (course loaded) for these courses (None: every course)."""
    query = (
        sa.select(Module)
        .join(Course, Course.id == Module.course_id)
        .where(Module.task_id.is_not(None))
        .options(selectinload(Module.course), selectinload(Module.task))
        .order_by(Course.slug, Module.position)
    )
    if slugs is not None:
        query = query.where(Course.slug.in_(slugs))
    return {m.task_id: m for m in db.session.scalars(query)}


# Enrolment and progress ------------------------------------------------------------------------


def get_enrolment(user, course: Course) -> Enrolment | None:
    """Return the user's enrolment in a course, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    )


def _insert_ignore(table, values: dict, conflict_columns: list[str]):
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return (
            postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
        )
    if dialect == "sqlite":
        return sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    raise NotImplementedError(dialect)


def enroll(user, course: Course) -> Enrolment:
    """Enrol a learner; enrolling twice (even at once) is harmless."""
    now = utcnow()
    db.session.execute(
        _insert_ignore(
            Enrolment.__table__,
            {
                "user_id": user.id,
                "course_id": course.id,
                "enrolled_at": now,
                "last_activity_at": now,
                "registration": str(uuid.uuid4()),
            },
            ["user_id", "course_id"],
        )
    )
    enrolment = get_enrolment(user, course)
    if enrolment.enrolled_at == now:
        records.record(
            user,
            "registered",
            course_activity(course.slug, course.titles),
            context=records.Context(registration=enrolment.registration),
        )
    return enrolment


def done_slugs(user, course: Course) -> set[str]:
    """Return the slugs of the lessons the user marked done in a course (one query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            sa.select(LessonProgress.lesson_slug).where(
                LessonProgress.user_id == user.id, LessonProgress.course_id == course.id
            )
        )
    )


def record_lesson_done(user, course: Course, lesson: Lesson) -> bool:
    """Mark a lesson done once (concurrent requests give one row); return True if new."""
    enrolment = get_enrolment(user, course)
    if enrolment is None:
        raise CourseError(_("Enrol in the course first."))
    inserted = db.session.execute(
        _insert_ignore(
            LessonProgress.__table__,
            {
                "user_id": user.id,
                "course_id": course.id,
                "lesson_slug": lesson.slug,
                "completed_at": utcnow(),
            },
            ["user_id", "course_id", "lesson_slug"],
        ).returning(LessonProgress.id)
    ).scalar()
    touch(enrolment.id, lesson.slug)
    if inserted is not None:
        module = lesson.module
        records.record(
            user,
            "completed",
            lesson_activity(course.slug, module.slug, lesson.slug, lesson.titles),
            result={"completion": True},
            context=records.Context(
                registration=enrolment.registration,
                parent=(
                    module_activity(course.slug, module.slug, module.titles),
                    course_activity(course.slug, course.titles),
                ),
            ),
        )
    return inserted is not None


def touch(enrolment_id: int, lesson_slug: str) -> str | None:
    """Remember where the learner is, for "continue where you left off"; return the registration."""
    return db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.id == enrolment_id)
        .values(last_activity_at=utcnow(), last_lesson_slug=lesson_slug)
        .returning(Enrolment.registration)
    ).scalar()


def record_lesson_read(user, enrolment_id: int, course, lesson, locale: str) -> None:
    """Note that an enrolled learner opened a lesson: where they are, and an ``experienced`` record.

    ``course`` and ``lesson`` are a course outline's items (slug and titles are all it reads).
    """
    registration = touch(enrolment_id, lesson.slug)
    module = lesson.module
    records.record(
        user,
        "experienced",
        lesson_activity(course.slug, module.slug, lesson.slug, lesson.titles),
        context=records.Context(
            registration=registration,
            language=locale,
            parent=(
                module_activity(course.slug, module.slug, module.titles),
                course_activity(course.slug, course.titles),
            ),
        ),
    )


@dataclass(frozen=True)
class ModuleState:
    """A module as one learner sees it."""

    module: Module
    lessons_done: int
    lessons_total: int
    quiz_passed: bool | None  # None: the module has no quiz
    is_complete: bool
    is_locked: bool
    task_approved: bool | None = None  # None: no task, or one that needs no approval


def module_states(
    modules: list[Module],
    done: set[str],
    passed_quizzes: dict[int, bool] | None = None,
    approved_tasks: dict[int, bool] | None = None,
) -> list[ModuleState]:
    """Work out completion and locks: a module needs its lessons done, its quiz passed and its
    task approved (when the task says approval is required)."""
    passed_quizzes = passed_quizzes or {}
    approved_tasks = approved_tasks or {}
    states, previous_complete = [], True
    for module in modules:
        total = len(module.lessons)
        finished = sum(1 for lesson in module.lessons if lesson.slug in done)
        quiz_passed = passed_quizzes.get(module.id)
        task_approved = approved_tasks.get(module.id)
        complete = finished == total and quiz_passed is not False and task_approved is not False
        locked = module.requires_previous and not previous_complete
        states.append(ModuleState(module, finished, total, quiz_passed, complete, locked, task_approved))
        previous_complete = complete
    return states


def update_completion(user, course: Course, states: Iterable[ModuleState]) -> datetime | None:
    """Record course completion once, with its time, when every module is complete."""
    enrolment = get_enrolment(user, course)
    if enrolment is None:
        return None
    if (
        enrolment.completed_at is None
        and all(s.is_complete for s in states)
        and all(r.is_met for r in extra_requirements(user, course))
    ):
        # Conditional update: two requests completing at once record one time.
        now = utcnow()
        db.session.execute(
            sa.update(Enrolment)
            .where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None))
            .values(completed_at=now)
        )
        db.session.refresh(enrolment)
        if enrolment.completed_at == now:
            records.record(
                user,
                "completed",
                course_activity(course.slug, course.titles),
                result={"completion": True},
                context=records.Context(registration=enrolment.registration),
            )
            signals.send_course_completed(current_app._get_current_object(), user, course)
    return enrolment.completed_at


def extra_requirements(user, course: Course) -> list[signals.Requirement]:
    """Return what higher domains add to this course's completion (live-session attendance...)."""
    return signals.requirements_for(current_app._get_current_object(), user, course)


def recheck_completion(user, course: Course) -> datetime | None:
    """Work out a learner's module states afresh and record the course's completion if now due.

    For changes made by someone else: a mentor approving the learner's practice task, a
    facilitator taking the roll of a live session.
    """
    modules = load_outline(course)
    states = module_states(
        modules, done_slugs(user, course), quiz_status(user, modules), task_status(user, modules)
    )
    return update_completion(user, course, states)


def my_enrolments(user) -> list[tuple[Enrolment, int]]:
    """Return the user's enrolments with their lessons-done counts, in two queries."""
    enrolments = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.user_id == user.id)
        .options(selectinload(Enrolment.course))
        .order_by(Enrolment.last_activity_at.desc())
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(LessonProgress.course_id, sa.func.count(LessonProgress.id))
            .join(
                Lesson,
                sa.and_(
                    Lesson.course_id == LessonProgress.course_id, Lesson.slug == LessonProgress.lesson_slug
                ),
            )
            .where(LessonProgress.user_id == user.id)
            .group_by(LessonProgress.course_id)
        ).all()
    )
    return [(e, counts.get(e.course_id, 0)) for e in enrolments]


def continue_lessons(enrolments: Iterable[Enrolment]) -> dict[int, Lesson]:
    """Return, per course id, the lesson each enrolment was last at (two queries in all)."""
    pairs = [(e.course_id, e.last_lesson_slug) for e in enrolments if e.last_lesson_slug]
    if not pairs:
        return {}
    rows = db.session.scalars(
        sa.select(Lesson)
        .where(sa.tuple_(Lesson.course_id, Lesson.slug).in_(pairs))
        .options(selectinload(Lesson.module))
    )
    return {lesson.course_id: lesson for lesson in rows}


# Lessons ---------------------------------------------------------------------------------------


def get_lesson(course: Course, module_slug: str, lesson_slug: str) -> Lesson | None:
    """Return a lesson by its module and lesson slugs (both checked against the course)."""
    return db.session.scalar(
        sa.select(Lesson)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.slug == lesson_slug, Module.slug == module_slug)
        .options(selectinload(Lesson.module))
    )


@lru_cache(maxsize=512)
def render_lesson(body_md: str, course_slug: str, sizes: tuple[tuple[str, int, int], ...] = ()) -> str:
    """Render lesson Markdown safely; images point into the course's own media, with their size."""
    known = {name: (width, height) for name, width, height in sizes}
    return markdown.render(
        body_md, media_url=lambda name: f"/media/{course_slug}/{name}", media_size=known.get
    )


def media_sizes(course_id: int) -> tuple[tuple[str, int, int], ...]:
    """Return (name, width, height) of each course image whose size is known (hashable, for the cache)."""
    rows = db.session.execute(
        sa.select(MediaFile.name, MediaFile.width, MediaFile.height)
        .where(MediaFile.course_id == course_id, MediaFile.width.is_not(None), MediaFile.height.is_not(None))
        .order_by(MediaFile.name)
    )
    return tuple((name, width, height) for name, width, height in rows)


def course_media(course: Course) -> list[MediaFile]:
    """Return every media file of a course."""
    return list(db.session.scalars(sa.select(MediaFile).where(MediaFile.course_id == course.id)))


def get_media(course: Course, name: str) -> MediaFile | None:
    """Return a media file of a course."""
    return db.session.scalar(
        sa.select(MediaFile).where(MediaFile.course_id == course.id, MediaFile.name == name)
    )


def lesson_contents(course: Course, modules: list[Module], locale: str) -> dict[int, LessonContent]:
    """Return each lesson's content in a locale (default locale as fallback), in one query."""
    ids = [lesson.id for module in modules for lesson in module.lessons]
    rows = db.session.scalars(
        sa.select(LessonContent).where(
            LessonContent.lesson_id.in_(ids), LessonContent.locale.in_({locale, course.default_locale})
        )
    )
    chosen: dict[int, LessonContent] = {}
    for row in rows:
        if row.locale == locale or row.lesson_id not in chosen:
            chosen[row.lesson_id] = row
    return chosen
