"""Read a course folder into a CoursePackage, collecting every problem on the way."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import replace
from pathlib import Path

from . import content, translations
from . import task as tasks
from .model import LOCALES, CoursePackage, LessonPackage, ModulePackage, PackageError, Problem
from .settings import SLUG_RULE, Checker, key_line, valid_slug

# Words the course URLs use next to module and lesson slugs.
RESERVED_MODULE_SLUGS = frozenset({"assessment", "sources", "enroll", "certificate", "handbook"})
RESERVED_LESSON_SLUGS = frozenset({"quiz", "task", "handbook"})

_MODULE_DIR = re.compile(r"^(\d{2,})-(.*)$")
_LESSON_FILE = re.compile(r"^(\d{2,})-([^.]*)\.([^.]+)\.md$")
_QUIZ_FILE = re.compile(r"^quiz\.([^.]+)\.gift$")
_TASK_FILE = re.compile(r"^task\.([^.]+)\.md$")
_ASSESSMENT_FILE = re.compile(r"^assessment\.([^.]+)\.gift$")
_ROOT_HOLDS = (
    "unknown file: a course folder holds course.toml, sources.md, translations.toml, "
    "assessment.LOCALE.gift, NN-slug module folders and media/"
)
_MODULE_HOLDS = (
    "unknown file: a module folder holds module.toml, NN-slug.LOCALE.md lessons, quiz.LOCALE.gift, "
    "task.toml and task.LOCALE.md"
)


class _Reader(Checker):
    """The layout half of one pass: modules, lessons, quizzes, media and the result."""

    def quiz(self, sources: dict[str, tuple[str, str]], default_path: str) -> dict[str, int]:
        """Check one quiz's or the assessment's GIFT files; return question counts per locale."""
        if not sources:
            return {}
        reference = self.default_locale or ""
        # A default-locale file that exists but cannot be read is reported as such, not as missing.
        if reference and reference not in sources and default_path not in self.files:
            others = ", ".join(self.in_locale_order(list(sources)))
            message = f"missing: there are files for {others} but not for the default locale {reference}"
            self.report(default_path, 0, message)
        counts, problems = content.check_quizzes(sources, reference)
        self.problems += problems
        return counts

    def in_locale_order(self, locales: list[str]) -> list[str]:
        """Sort locale codes: the course's own first, in its order, then the other supported."""
        rank = {locale: n for n, locale in enumerate([*(self.locales or ()), *LOCALES])}
        return sorted(locales, key=lambda locale: rank.get(locale, len(rank)))

    def lesson(self, dirname: str, slug: str, by_locale: dict[str, tuple[str, str]]) -> LessonPackage:
        """Check one lesson's files; return its LessonPackage (position filled in later)."""
        titles, bodies, counts, filenames = {}, {}, {}, {}
        for locale in self.in_locale_order(list(by_locale)):
            name = by_locale[locale][1]
            path = f"{dirname}/{name}"
            text = self.text(path)
            if text is None:
                continue
            title = content.title_of(text)
            if title is None:
                self.report(path, 0, "no title: the first line starting with '# ' is the title")
            else:
                titles[locale] = title
            bodies[locale], counts[locale], filenames[locale] = text, content.word_count(text), name
            self.problems += content.check_references(path, text, self.media)
        return LessonPackage(0, slug, filenames, titles, bodies, counts)

    def module(
        self, dirname: str, slug: str, names: list[str], lesson_owner: dict[str, str]
    ) -> ModulePackage:
        """Check one module folder and return its ModulePackage (position filled in later)."""
        titles, requires, settings, toml_text = self.module_settings(dirname)
        lessons: dict[str, dict[str, tuple[str, str]]] = {}
        quiz_sources: dict[str, tuple[str, str]] = {}
        task_sources: dict[str, tuple[str, str]] = {}
        for name in names:
            path = f"{dirname}/{name}"
            if name in ("module.toml", "task.toml"):
                continue
            if match := _TASK_FILE.match(name):
                text = self.text(path) if self.locale_ok(path, match[1]) else None
                if text is not None:
                    task_sources[match[1]] = (path, text)
                continue
            if "/" in name:
                self.report(path, 0, "unknown file: module folders hold no sub-folders")
            elif match := _QUIZ_FILE.match(name):
                text = self.text(path) if self.locale_ok(path, match[1]) else None
                if text is not None:
                    quiz_sources[match[1]] = (path, text)
            elif match := _LESSON_FILE.match(name):
                prefix, lesson_slug, locale = match.groups()
                if not valid_slug(lesson_slug):
                    self.report(path, 0, f"lesson slug {lesson_slug} is not valid: {SLUG_RULE}")
                elif lesson_slug in RESERVED_LESSON_SLUGS:
                    self.report(
                        path, 0, f"lesson slug {lesson_slug} is reserved by the platform; choose another"
                    )
                elif self.locale_ok(path, locale):
                    lessons.setdefault(lesson_slug, {})[locale] = (prefix, name)
            else:
                self.report(path, 0, _MODULE_HOLDS)

        prefix_owner: dict[int, str] = {}
        ordered = []
        for lesson_slug, by_locale in lessons.items():
            prefix, first = next(iter(by_locale.values()))
            for _, (other_prefix, name) in by_locale.items():
                if int(other_prefix) != int(prefix):
                    message = f"lesson {lesson_slug} has prefix {other_prefix} here but {prefix} in {first}"
                    self.report(f"{dirname}/{name}", 0, message)
            if int(prefix) in prefix_owner:
                message = f"prefix {prefix} is also used by {prefix_owner[int(prefix)]}"
                self.report(f"{dirname}/{first}", 0, message)
            prefix_owner.setdefault(int(prefix), first)
            if lesson_owner.setdefault(lesson_slug, dirname) != dirname:
                owner = lesson_owner[lesson_slug]
                message = f"lesson slug {lesson_slug} is also used in {owner}; it must be unique"
                self.report(f"{dirname}/{first}", 0, message)
            default = self.default_locale
            if default and default not in by_locale:
                missing = f"{dirname}/{prefix}-{lesson_slug}.{default}.md"
                self.report(missing, 0, "missing: every lesson needs a file in the default locale")
            ordered.append((int(prefix), lesson_slug, self.lesson(dirname, lesson_slug, by_locale)))
        if not lessons:
            self.report(dirname, 0, "the module has no lessons")

        counts = self.quiz(quiz_sources, f"{dirname}/quiz.{self.default_locale}.gift")
        wanted = settings.questions_per_attempt
        if wanted is not None and counts and wanted > min(counts.values()):
            line = key_line(toml_text, "questions_per_attempt", "quiz")
            message = f"[quiz] questions_per_attempt is {wanted}; the quiz has {min(counts.values())}"
            self.report(f"{dirname}/module.toml", line, message)
        task = tasks.check(self, dirname, task_sources)
        ordered.sort(key=lambda item: item[:2])
        return ModulePackage(
            position=0,
            slug=slug,
            dirname=dirname,
            titles=titles,
            requires_previous=requires,
            quiz_settings=settings,
            quiz={loc: quiz_sources[loc][1] for loc in self.in_locale_order(list(quiz_sources))},
            lessons=tuple(replace(lesson, position=n) for n, (_, _, lesson) in enumerate(ordered, 1)),
            task=task,
        )

    # -- the whole folder ---------------------------------------------------------------------

    def read(self) -> CoursePackage | None:
        """Check everything; return the package, or None when any problem was reported."""
        course = self.course_settings()
        if course is None:
            return None
        assessments: dict[str, str] = {}
        media: dict[str, str] = {}
        module_dirs: dict[str, list[str]] = {}
        for rel in sorted(self.files):
            head, _, rest = rel.partition("/")
            if not rest:
                if match := _ASSESSMENT_FILE.match(rel):
                    assessments[match[1]] = rel
                elif rel not in ("course.toml", "sources.md", translations.FILENAME):
                    self.report(rel, 0, _ROOT_HOLDS)
            elif head == "media":
                if "/" in rest:
                    self.report(rel, 0, "unknown file: media/ holds no sub-folders")
                else:
                    media[rest] = rel
            else:
                module_dirs.setdefault(head, []).append(rest)

        for name, rel in media.items():
            self.problems += content.check_media(rel, name, self.files[rel])
        # A bad media file is reported once, not again by every lesson that shows it.
        self.media = set(media)

        modules = []
        slug_owner: dict[str, str] = {}
        prefix_owner: dict[int, str] = {}
        lesson_owner: dict[str, str] = {}
        for dirname, names in module_dirs.items():
            match = _MODULE_DIR.match(dirname)
            if match is None:
                message = "unknown folder: module folders are named NN-slug, such as 01-basics"
                self.report(dirname, 0, message)
                continue
            prefix, slug = match.groups()
            if not valid_slug(slug):
                self.report(dirname, 0, f"module slug {slug} is not valid: {SLUG_RULE}")
            elif slug in RESERVED_MODULE_SLUGS:
                self.report(dirname, 0, f"module slug {slug} is reserved by the platform; choose another")
            elif slug_owner.setdefault(slug, dirname) != dirname:
                self.report(dirname, 0, f"module slug {slug} is also used by {slug_owner[slug]}")
            if prefix_owner.setdefault(int(prefix), dirname) != dirname:
                owner = prefix_owner[int(prefix)]
                self.report(dirname, 0, f"prefix {prefix} is also used by {owner}")
            modules.append((int(prefix), dirname, self.module(dirname, slug, names, lesson_owner)))
        if not module_dirs:
            self.report(".", 0, "the course has no modules")

        assessment_sources = {}
        for locale, rel in assessments.items():
            text = self.text(rel) if self.locale_ok(rel, locale) else None
            if text is not None:
                assessment_sources[locale] = (rel, text)
        self.quiz(assessment_sources, f"assessment.{self.default_locale}.gift")

        translation_sources: dict[str, str] = {}
        if translations.FILENAME in self.files and (parsed := self.toml(translations.FILENAME)):
            translation_sources, problems = translations.check(*parsed)
            self.problems += problems

        sources_md = self.text("sources.md") if "sources.md" in self.files else None
        if sources_md is not None:
            self.problems += content.check_references("sources.md", sources_md, self.media)

        if self.problems:
            return None
        modules.sort(key=lambda item: item[:2])
        return CoursePackage(
            slug=course["slug"],
            version=course["version"],
            default_locale=self.default_locale or "",
            locales=self.locales or (),
            titles=course["titles"],
            summaries=course["summaries"],
            modules=tuple(replace(m, position=n) for n, (_, _, m) in enumerate(modules, 1)),
            topic=course["topic"],
            estimated_minutes=course["estimated_minutes"],
            pass_mark=course["pass_mark"],
            certificate=course["certificate"],
            certificate_valid_years=course["certificate_valid_years"],
            assessment={
                loc: assessment_sources[loc][1] for loc in self.in_locale_order(list(assessment_sources))
            },
            sources_md=sources_md,
            media={name: self.files[rel] for name, rel in media.items()},
            files=dict(self.files),
            translation_sources=translation_sources,
        )

    def sorted_problems(self) -> list[Problem]:
        """Return the problems without repeats, by path and then line."""
        unique = list(dict.fromkeys(self.problems))
        return sorted(unique, key=lambda p: (p.path, p.line))


def _collect(root: Path) -> tuple[dict[str, bytes], list[Problem]]:
    """Read every regular file under root; symbolic links and special files are problems."""
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        for name in sorted(dirnames + filenames):
            full = here / name
            rel = full.relative_to(root).as_posix()
            mode = full.lstat().st_mode
            if stat.S_ISLNK(mode):
                # A link could point anywhere on the server, so it is never followed.
                problems.append(Problem(rel, 0, "symbolic links are not allowed"))
            elif stat.S_ISREG(mode):
                files[rel] = full.read_bytes()
            elif not stat.S_ISDIR(mode):
                problems.append(Problem(rel, 0, "not a regular file"))
    return files, problems


def _read(files: dict[str, bytes], folder_name: str) -> tuple[CoursePackage | None, list[Problem]]:
    reader = _Reader(files, folder_name)
    package = reader.read()
    return package, reader.sorted_problems()


def validate_files(files: dict[str, bytes], *, folder_name: str) -> list[Problem]:
    """Check a package given as {relative path: bytes}; return every problem found."""
    return _read(files, folder_name)[1]


def load_files(files: dict[str, bytes], *, folder_name: str) -> CoursePackage:
    """Parse a package given as {relative path: bytes}, or raise PackageError."""
    package, problems = _read(files, folder_name)
    if problems or package is None:
        raise PackageError(problems)
    return package


def _read_folder(
    path: str | os.PathLike[str], folder_name: str | None
) -> tuple[CoursePackage | None, list[Problem]]:
    root = Path(path)
    if not root.is_dir():
        return None, [Problem(".", 0, f"{root} is not a folder")]
    files, problems = _collect(root)
    package, more = _read(files, root.resolve().name if folder_name is None else folder_name)
    if problems:
        return None, sorted(problems + more, key=lambda p: (p.path, p.line))
    return package, more


def validate(path: str | os.PathLike[str], *, folder_name: str | None = None) -> list[Problem]:
    """Check a course folder and return every problem; folder_name defaults to its own name."""
    return _read_folder(path, folder_name)[1]


def load(path: str | os.PathLike[str], *, folder_name: str | None = None) -> CoursePackage:
    """Load a course folder, or raise PackageError listing every problem."""
    package, problems = _read_folder(path, folder_name)
    if problems or package is None:
        raise PackageError(problems)
    return package
