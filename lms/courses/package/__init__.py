"""The course package format, version 1: read, check and write course folders.

Pure code: no Flask and no database. docs/course-format.md is the normative description.
"""

from . import translations
from .model import (
    LOCALES,
    MEDIA_MAX_BYTES,
    SCHEMA_VERSION,
    CoursePackage,
    LessonPackage,
    ModulePackage,
    PackageError,
    Problem,
    QuizSettings,
)
from .reader import load, load_files, validate, validate_files
from .writer import render_course_toml, render_module_toml, write

__all__ = [
    "LOCALES",
    "MEDIA_MAX_BYTES",
    "SCHEMA_VERSION",
    "CoursePackage",
    "LessonPackage",
    "ModulePackage",
    "PackageError",
    "Problem",
    "QuizSettings",
    "load",
    "load_files",
    "render_course_toml",
    "render_module_toml",
    "translations",
    "validate",
    "validate_files",
    "write",
]
