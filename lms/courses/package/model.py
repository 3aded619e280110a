"""What a parsed course package holds, and how its problems are reported."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

SCHEMA_VERSION = 1
LOCALES = ("en", "ar", "fr", "es", "tr")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 64
MEDIA_MAX_BYTES = 1024 * 1024
FEEDBACK_MODES = ("after_submit", "once_passed", "never")
GRADING_MODES = ("highest", "last")
WORDS_PER_MINUTE = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a package: a path relative to the course folder, a 1-based line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class PackageError(ValueError):
    """A course package that cannot be loaded; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class QuizSettings:
    """The [quiz] table of module.toml; pass_mark None means the course's pass_mark."""

    pass_mark: int | None = None
    max_attempts: int = 0
    shuffle: bool = False  # the order of the questions
    shuffle_choices: bool = True  # the order of each question's choices, per attempt
    questions_per_attempt: int | None = None
    feedback: str = "after_submit"
    grading: str = "highest"


@dataclass(frozen=True)
class LessonPackage:
    """One lesson in all the locales it is written in; position counts from 1."""

    position: int
    slug: str
    filenames: dict[str, str]
    titles: dict[str, str]
    bodies: dict[str, str]
    word_counts: dict[str, int]


@dataclass(frozen=True)
class ModulePackage:
    """One module folder; position counts from 1 in the order of the numeric prefixes."""

    position: int
    slug: str
    dirname: str
    titles: dict[str, str]
    requires_previous: bool
    quiz_settings: QuizSettings
    quiz: dict[str, str]
    lessons: tuple[LessonPackage, ...]
    # The practice task's spec (settings, rubric, briefs), when the module has task.toml.
    task: dict | None = None


@dataclass(frozen=True)
class CoursePackage:
    """A whole course folder; `files` keeps every file's bytes so export is byte for byte."""

    slug: str
    version: int
    default_locale: str
    locales: tuple[str, ...]
    titles: dict[str, str]
    summaries: dict[str, str]
    modules: tuple[ModulePackage, ...]
    topic: str | None = None
    estimated_minutes: int | None = None
    pass_mark: int = 70
    certificate: bool = True
    certificate_valid_years: int = 0
    assessment: dict[str, str] = field(default_factory=dict)
    sources_md: str | None = None
    media: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    # translations.toml: {translated lesson path, or quiz path#question id: source SHA-256}.
    translation_sources: dict[str, str] = field(default_factory=dict)

    @property
    def minutes(self) -> int:
        """Return estimated_minutes, or the default locale's reading time at 200 words a minute."""
        if self.estimated_minutes is not None:
            return self.estimated_minutes
        words = sum(
            lesson.word_counts.get(self.default_locale, 0)
            for module in self.modules
            for lesson in module.lessons
        )
        return max(1, math.ceil(words / WORDS_PER_MINUTE))

    def pass_mark_of(self, module: ModulePackage) -> int:
        """Return the pass mark of a module's quiz, falling back to the course's."""
        own = module.quiz_settings.pass_mark
        return self.pass_mark if own is None else own
