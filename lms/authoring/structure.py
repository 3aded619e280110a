"""Structure edits of a draft: add, move and delete modules and lessons, renumbering the rest.

Pure code: no Flask and no database. Every edit returns {path: bytes, or None to delete};
moves renumber the prefixes, and learners' progress is keyed by lesson slug, so it is kept.
"""

from __future__ import annotations

from .layout import Changes, LessonInfo, ModuleInfo, Outline, module_toml


def _rename_dir(files: dict[str, bytes], old: str, new: str) -> Changes:
    changes: Changes = {}
    if old == new:
        return changes
    for path, data in files.items():
        if path.startswith(old + "/"):
            changes[path] = None
            changes[new + path[len(old) :]] = data
    return changes


def _merge(*parts: Changes) -> Changes:
    merged: Changes = {}
    for part in parts:
        for path, data in part.items():
            # A rename writes the new path after deleting the old: a later write wins a delete.
            if data is None and merged.get(path) is not None:
                continue
            merged[path] = data
    return merged


def _width(count: int) -> int:
    return max(2, len(str(count)))


def renumber_modules(info: Outline, files: dict[str, bytes], order: list[ModuleInfo]) -> Changes:
    """Give modules the prefixes 01, 02... in this order, renaming their folders."""
    width = _width(len(order))
    renames = [
        _rename_dir(files, module.dirname, f"{n:0{width}d}-{module.slug}")
        for n, module in enumerate(order, 1)
    ]
    return _merge(*renames)


def add_module(info: Outline, slug: str, titles: dict[str, str]) -> Changes:
    """Add an empty module at the end."""
    prefix = max((m.prefix for m in info.modules), default=0) + 1
    module = ModuleInfo(f"{prefix:02d}-{slug}", prefix, slug, titles, False, None)
    return {f"{module.dirname}/module.toml": module_toml(module, info.locales)}


def _moved(items: list, slug: str, step: int) -> list | None:
    """Return the items with the one named `slug` moved by `step` places, None past either end."""
    order = list(items)
    index = next(i for i, item in enumerate(order) if item.slug == slug)
    target = index + step
    if not 0 <= target < len(order):
        return None
    order[index], order[target] = order[target], order[index]
    return order


def move_module(info: Outline, files: dict[str, bytes], slug: str, step: int) -> Changes:
    """Move a module one place up (step -1) or down (step +1)."""
    order = _moved(info.modules, slug, step)
    return {} if order is None else renumber_modules(info, files, order)


def delete_module(files: dict[str, bytes], module: ModuleInfo) -> Changes:
    """Delete a module folder and everything in it."""
    return {path: None for path in files if path.startswith(module.dirname + "/")}


def lesson_path(module: ModuleInfo, prefix: int, slug: str, locale: str, width: int = 2) -> str:
    """Return the path of a lesson file."""
    return f"{module.dirname}/{prefix:0{width}d}-{slug}.{locale}.md"


def add_lesson(module: ModuleInfo, slug: str, title: str, locale: str) -> Changes:
    """Add a lesson at the end of a module, in one locale, with its title line."""
    prefix = max((lesson.prefix for lesson in module.lessons), default=0) + 1
    return {lesson_path(module, prefix, slug, locale): f"# {title}\n\n".encode()}


def renumber_lessons(module: ModuleInfo, files: dict[str, bytes], order: list[LessonInfo]) -> Changes:
    """Give a module's lessons the prefixes 01, 02... in this order, renaming their files."""
    width = _width(len(order))
    changes: list[Changes] = []
    for n, lesson in enumerate(order, 1):
        for locale, path in lesson.files.items():
            new = lesson_path(module, n, lesson.slug, locale, width)
            if new != path:
                changes.append({path: None, new: files[path]})
    return _merge(*changes)


def move_lesson(module: ModuleInfo, files: dict[str, bytes], slug: str, step: int) -> Changes:
    """Move a lesson one place up (step -1) or down (step +1) in its module."""
    order = _moved(module.lessons, slug, step)
    return {} if order is None else renumber_lessons(module, files, order)


def delete_lesson(lesson: LessonInfo) -> Changes:
    """Delete every locale's file of a lesson."""
    return dict.fromkeys(lesson.files.values())
