"""Write small course packages into a folder for tests."""

from pathlib import Path


def write_course(
    root: Path,
    slug: str = "built-course",
    *,
    version: int = 1,
    modules: int = 2,
    lessons_per_module: int = 2,
    locales: tuple[str, ...] = ("en", "ar"),
    arabic_missing: set[str] = frozenset(),
    requires_previous: bool = False,
    lesson_names: list[list[str]] | None = None,
) -> Path:
    """Create a valid course folder and return its path."""
    folder = root / slug
    folder.mkdir(parents=True)
    locale_list = ", ".join(f'"{code}"' for code in locales)
    titles = "\n".join(f'{code} = "Course {slug} ({code})"' for code in locales)
    summaries = "\n".join(f'{code} = "Summary of {slug} ({code})"' for code in locales)
    (folder / "course.toml").write_text(
        f'schema_version = 1\nslug = "{slug}"\nversion = {version}\ndefault_locale = "en"\n'
        f'locales = [{locale_list}]\ntopic = "lobbying"\n\n[title]\n{titles}\n\n[summary]\n{summaries}\n',
        encoding="utf-8",
    )
    for m in range(1, modules + 1):
        module_dir = folder / f"{m:02d}-module-{m}"
        module_dir.mkdir()
        module_titles = "\n".join(f'{code} = "Module {m} ({code})"' for code in locales)
        requires = "true" if requires_previous and m > 1 else "false"
        (module_dir / "module.toml").write_text(
            f"requires_previous = {requires}\n\n[title]\n{module_titles}\n", encoding="utf-8"
        )
        names = (
            lesson_names[m - 1]
            if lesson_names
            else [f"m{m}-lesson-{n}" for n in range(1, lessons_per_module + 1)]
        )
        for n, lesson_slug in enumerate(names, start=1):
            for code in locales:
                if code != "en" and lesson_slug in arabic_missing:
                    continue
                title = f"Lesson {lesson_slug}" if code == "en" else f"الدرس {lesson_slug}"
                body = "Some text about the subject. " * 20 if code == "en" else "نص عن الموضوع. " * 20
                (module_dir / f"{n:02d}-{lesson_slug}.{code}.md").write_text(
                    f"# {title}\n\n{body}\n", encoding="utf-8"
                )
    return folder
