"""A draft's files read leniently into an outline, the TOML files rendered, and the paths of its files.

Pure code: no Flask and no database. A draft may be incomplete while it is being written (a
module without lessons, a missing translation), so this reader never refuses; the package
validator (lms.courses.package.validate_files) says what must be fixed before publishing.
The edits of the structure (add, move, delete) are in `structure`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from lms.courses.package import LOCALES, QuizSettings, render_course_toml, render_module_toml

MODULE_DIR = re.compile(r"^(\d{2,})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
LESSON_FILE = re.compile(r"^(\d{2,})-([a-z0-9]+(?:-[a-z0-9]+)*)\.([a-z]{2})\.md$")
QUIZ_FILE = re.compile(r"^quiz\.([a-z]{2})\.gift$")
ASSESSMENT_FILE = re.compile(r"^assessment\.([a-z]{2})\.gift$")
VERSION_LINE = re.compile(r"^(version\s*=\s*)(\d+)([ \t]*(?:#.*)?)$", re.MULTILINE)

Changes = dict[str, bytes | None]


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def text(data: bytes | None) -> str:
    """Decode a file as the package reader does (BOM dropped, CRLF as LF); bad bytes replaced."""
    if data is None:
        return ""
    return data.decode("utf-8", "replace").removeprefix("\ufeff").replace("\r\n", "\n")


@dataclass
class LessonInfo:
    """One lesson: its files and titles per locale."""

    slug: str
    prefix: int
    files: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    def title_in(self, locale: str, default: str) -> str:
        """Return the lesson's title in a locale, else the default locale's, else its slug."""
        return self.titles.get(locale) or self.titles.get(default) or self.slug


@dataclass
class ModuleInfo:
    """One module folder."""

    dirname: str
    prefix: int
    slug: str
    titles: dict[str, str]
    requires_previous: bool
    quiz_settings: QuizSettings | None
    lessons: list[LessonInfo] = field(default_factory=list)
    quizzes: dict[str, str] = field(default_factory=dict)

    def title_in(self, locale: str, default: str) -> str:
        """Return the module's title in a locale, else the default locale's, else its slug."""
        return self.titles.get(locale) or self.titles.get(default) or self.slug

    def lesson(self, slug: str) -> LessonInfo | None:
        """Return one of the module's lessons by slug."""
        return next((lesson for lesson in self.lessons if lesson.slug == slug), None)

    def quiz_path(self, locale: str) -> str:
        """Return where the module's quiz file in a locale is (or would be)."""
        return f"{self.dirname}/quiz.{locale}.gift"


@dataclass
class Outline:
    """What a draft holds, read without refusing anything."""

    slug: str
    settings: dict[str, Any]
    modules: list[ModuleInfo]
    assessments: dict[str, str]
    media: list[str]

    @property
    def default_locale(self) -> str:
        """Return the course's default locale."""
        return self.settings["default_locale"]

    @property
    def locales(self) -> list[str]:
        """Return the course's locales, default first."""
        return self.settings["locales"]

    def module(self, slug: str) -> ModuleInfo | None:
        """Return a module by slug."""
        return next((m for m in self.modules if m.slug == slug), None)

    def lesson(self, slug: str) -> tuple[ModuleInfo, LessonInfo] | None:
        """Return a lesson and its module by the lesson's slug."""
        for module in self.modules:
            if found := module.lesson(slug):
                return module, found
        return None

    def title_in(self, locale: str) -> str:
        """Return the course title in a locale, else the default locale's, else the slug."""
        titles = self.settings["titles"]
        return titles.get(locale) or titles.get(self.default_locale) or self.slug


def _toml(data: bytes | None) -> dict[str, Any]:
    try:
        return tomllib.loads(text(data))
    except tomllib.TOMLDecodeError:
        return {}


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _int(value: Any, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def course_settings(data: bytes | None, slug: str) -> dict[str, Any]:
    """Read course.toml leniently: what is missing or wrong gets a usable default."""
    raw = _toml(data)
    locales = (
        [loc for loc in raw.get("locales", []) if loc in LOCALES]
        if isinstance(raw.get("locales"), list)
        else []
    )
    default = raw.get("default_locale") if raw.get("default_locale") in LOCALES else None
    default = default or (locales[0] if locales else "en")
    if default not in locales:
        locales.insert(0, default)
    locales = [default, *[loc for loc in dict.fromkeys(locales) if loc != default]]
    topic = raw.get("topic")
    return {
        "slug": slug,
        "version": _int(raw.get("version"), 1) or 1,
        "default_locale": default,
        "locales": locales,
        "titles": _texts(raw.get("title")),
        "summaries": _texts(raw.get("summary")),
        "topic": topic if isinstance(topic, str) else None,
        "estimated_minutes": _int(raw.get("estimated_minutes"), None),
        "pass_mark": _int(raw.get("pass_mark"), 70),
        "certificate": raw.get("certificate") if isinstance(raw.get("certificate"), bool) else True,
        "certificate_valid_years": _int(raw.get("certificate_valid_years"), 0),
    }


def _quiz_settings(raw: Any) -> QuizSettings | None:
    if not isinstance(raw, dict):
        return None
    defaults = QuizSettings()
    feedback, grading = raw.get("feedback"), raw.get("grading")
    return QuizSettings(
        pass_mark=_int(raw.get("pass_mark"), None),
        max_attempts=_int(raw.get("max_attempts"), 0) or 0,
        shuffle=raw.get("shuffle") is True,
        shuffle_choices=raw.get("shuffle_choices") is not False,
        questions_per_attempt=_int(raw.get("questions_per_attempt"), None),
        feedback=feedback if isinstance(feedback, str) else defaults.feedback,
        grading=grading if isinstance(grading, str) else defaults.grading,
    )


def outline(files: dict[str, bytes], slug: str) -> Outline:
    """Read a draft's files into an outline; anything unreadable is skipped, never refused."""
    settings = course_settings(files.get("course.toml"), slug)
    default = settings["default_locale"]
    modules: dict[str, ModuleInfo] = {}
    assessments: dict[str, str] = {}
    media: list[str] = []
    for path in sorted(files):
        head, _, rest = path.partition("/")
        if not rest:
            if match := ASSESSMENT_FILE.match(head):
                assessments[match[1]] = path
            continue
        if head == "media":
            media.append(rest)
            continue
        match = MODULE_DIR.match(head)
        if match is None or "/" in rest:
            continue
        module = modules.get(head)
        if module is None:
            raw = _toml(files.get(f"{head}/module.toml"))
            module = modules[head] = ModuleInfo(
                dirname=head,
                prefix=int(match[1]),
                slug=match[2],
                titles=_texts(raw.get("title")),
                requires_previous=raw.get("requires_previous") is True,
                quiz_settings=_quiz_settings(raw.get("quiz")),
            )
        if quiz := QUIZ_FILE.match(rest):
            module.quizzes[quiz[1]] = path
        elif lesson_match := LESSON_FILE.match(rest):
            prefix, lesson_slug, locale = lesson_match.groups()
            lesson = module.lesson(lesson_slug)
            if lesson is None:
                lesson = LessonInfo(lesson_slug, int(prefix))
                module.lessons.append(lesson)
            lesson.files[locale] = path
            if locale == default:
                lesson.prefix = int(prefix)
            title = _title(files[path])
            if title:
                lesson.titles[locale] = title
    ordered = sorted(modules.values(), key=lambda m: (m.prefix, m.slug))
    for module in ordered:
        module.lessons.sort(key=lambda lesson: (lesson.prefix, lesson.slug))
    return Outline(slug, settings, ordered, assessments, media)


def _title(data: bytes) -> str | None:
    for line in text(data).splitlines():
        if line.startswith("# "):
            return re.sub(r"(?:^|\s+)#+\s*$", "", line[2:]).strip() or None
    return None


# Rendering the TOML files ----------------------------------------------------------------------


def course_toml(settings: dict[str, Any]) -> bytes:
    """Render course.toml from settings, with the package's canonical writer."""
    return render_course_toml(
        slug=settings["slug"],
        version=settings["version"],
        default_locale=settings["default_locale"],
        locales=settings["locales"],
        titles=settings["titles"],
        summaries=settings["summaries"],
        topic=settings.get("topic") or None,
        estimated_minutes=settings.get("estimated_minutes") or None,
        pass_mark=settings["pass_mark"],
        certificate=settings["certificate"],
        certificate_valid_years=settings["certificate_valid_years"],
    ).encode()


def module_toml(module: ModuleInfo, locales: list[str]) -> bytes:
    """Render module.toml from a module's settings, with the package's canonical writer."""
    return render_module_toml(
        titles=module.titles,
        locales=locales,
        requires_previous=module.requires_previous,
        quiz=module.quiz_settings,
    ).encode()


def bump_version(data: bytes, version: int) -> bytes:
    """Set `version` in course.toml, keeping the rest of the file (comments, layout) as it is."""
    source = text(data)
    top = source.split("\n[", 1)[0]
    match = VERSION_LINE.search(top)
    if match is None:
        raise ValueError("course.toml has no version line")
    return (source[: match.start(2)] + str(version) + source[match.end(2) :]).encode()


def lesson_file_for(module: ModuleInfo, lesson: LessonInfo, locale: str) -> str:
    """Return the lesson's file in a locale, or where a new translation goes (same prefix)."""
    if locale in lesson.files:
        return lesson.files[locale]
    existing = next(iter(lesson.files.values()), None)
    prefix = LESSON_FILE.match(existing.rsplit("/", 1)[1])[1] if existing else f"{lesson.prefix:02d}"
    return f"{module.dirname}/{prefix}-{lesson.slug}.{locale}.md"


def parse_path(path: str) -> tuple[str | None, str | None]:
    """Return (lesson slug, locale) for a lesson file, else (None, None)."""
    head, _, rest = path.partition("/")
    match = LESSON_FILE.match(rest) if MODULE_DIR.match(head) and "/" not in rest else None
    return (match[2], match[3]) if match else (None, None)


def source_of(path: str, default_locale: str) -> str | None:
    """Return the default-locale counterpart of a translated lesson or quiz file, else None."""
    head, _, rest = path.rpartition("/")
    prefix = f"{head}/" if head else ""
    if (match := LESSON_FILE.match(rest)) and head and match[3] != default_locale:
        return f"{prefix}{match[1]}-{match[2]}.{default_locale}.md"
    for pattern, name in ((QUIZ_FILE, "quiz"), (ASSESSMENT_FILE, "assessment")):
        if (match := pattern.match(rest)) and match[1] != default_locale:
            if name == "assessment" and head:
                return None
            return f"{prefix}{name}.{default_locale}.gift"
    return None
