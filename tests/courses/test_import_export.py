"""validate, import and export: all or nothing, idempotent, progress kept, byte-identical export."""

import filecmp
import shutil
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.courses import importer, services
from lms.courses.models import Course, CourseFile, Lesson, LessonContent, LessonProgress, Module
from tests.courses.course_builder import write_course

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHIPPED = sorted(p for p in (ROOT / "courses").iterdir() if (p / "course.toml").exists())


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _row_counts(db) -> tuple[int, ...]:
    return tuple(_count(db, m) for m in (Course, Module, Lesson, LessonContent, CourseFile))


def test_validate_accepts_the_documented_sample(runner):
    result = runner.invoke(args=["courses", "validate", str(FIXTURES / "sample-course")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", sorted(p.name for p in (FIXTURES / "bad").iterdir()))
def test_validate_reports_path_and_line_and_writes_nothing(runner, db, case):
    before = _row_counts(db)
    result = runner.invoke(args=["courses", "validate", str(FIXTURES / "bad" / case)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line and "problem(s) found" not in line]
    assert lines, result.output
    for line in lines:
        path, lineno, message = line.split(":", 2)
        assert path and lineno.isdigit() and message.strip(), line
    assert _row_counts(db) == before


@pytest.mark.parametrize("case", sorted(p.name for p in (FIXTURES / "bad").iterdir()))
def test_import_of_a_malformed_course_changes_nothing(runner, db, case):
    before = _row_counts(db)
    result = runner.invoke(args=["courses", "import", str(FIXTURES / "bad" / case)])
    assert result.exit_code == 1
    assert _row_counts(db) == before


def test_import_then_reimport_changes_nothing(runner, db):
    first = runner.invoke(args=["courses", "import", str(FIXTURES / "sample-course")])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    course = services.get_course("sample-course")
    stamp, counts = course.updated_at, _row_counts(db)
    second = runner.invoke(args=["courses", "import", str(FIXTURES / "sample-course")])
    assert second.exit_code == 0 and "unchanged" in second.output
    db.session.refresh(course)
    assert course.updated_at == stamp and _row_counts(db) == counts


def test_import_is_all_or_nothing(app, db, tmp_path, monkeypatch):
    folder = write_course(tmp_path)
    before = _row_counts(db)

    def explode(*_args):
        raise RuntimeError("disk fell off half-way")

    monkeypatch.setattr(importer, "_replace_files", explode)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["courses", "import", str(folder)])
    assert result.exit_code != 0
    db.session.rollback()
    assert _row_counts(db) == before


def test_new_version_updates_content_and_keeps_progress(app, db, tmp_path, make_user):
    old = write_course(tmp_path / "v1", lesson_names=[["intro", "history"], ["practice"]])
    services.import_path(old)
    course = services.get_course("built-course")
    learner = make_user()
    services.enroll(learner, course)
    for slug in ("intro", "history"):
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.slug == slug))
        with app.test_request_context():
            services.record_lesson_done(learner, course, lesson)
    # Version 2 removes "history", renames a module's prefix and adds a lesson.
    new = write_course(tmp_path / "v2", version=2, lesson_names=[["intro", "new-lesson"], ["practice"]])
    result = services.import_path(new)
    assert result.status == "updated" and result.course.version == 2
    slugs = set(db.session.scalars(sa.select(Lesson.slug).where(Lesson.course_id == course.id)))
    assert slugs == {"intro", "new-lesson", "practice"}
    kept = set(
        db.session.scalars(sa.select(LessonProgress.lesson_slug).where(LessonProgress.user_id == learner.id))
    )
    assert kept == {"intro", "history"}  # progress on the removed lesson is kept, not deleted


def test_changed_content_with_the_same_version_is_refused(app, db, tmp_path):
    folder = write_course(tmp_path / "a")
    services.import_path(folder)
    (folder / "01-module-1" / "01-m1-lesson-1.en.md").write_text("# Changed\n\nNew text.\n", encoding="utf-8")
    with pytest.raises(services.ImportRefused, match="version"):
        services.import_path(folder)


def _zip_folder(folder: Path, target: Path, *, with_top: bool = True) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder.parent if with_top else folder)
                archive.write(path, str(name))
    return target


@pytest.mark.parametrize("with_top", [True, False])
def test_zip_import(runner, db, tmp_path, with_top):
    zipped = _zip_folder(FIXTURES / "sample-course", tmp_path / "sample.zip", with_top=with_top)
    result = runner.invoke(args=["courses", "import", str(zipped)])
    assert result.exit_code == 0, result.output
    assert services.get_course("sample-course") is not None


def test_hostile_zip_is_refused_before_extracting(runner, db, tmp_path):
    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(hostile, "w") as archive:
        archive.writestr("sample/course.toml", "schema_version = 1\n")
        archive.writestr("../../escaped.txt", "pwned")
    before = _row_counts(db)
    result = runner.invoke(args=["courses", "import", str(hostile)])
    assert result.exit_code == 1
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert _row_counts(db) == before


@pytest.mark.parametrize("course_dir", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_course_export_is_identical(runner, db, tmp_path, course_dir):
    assert runner.invoke(args=["courses", "validate", str(course_dir)]).exit_code == 0
    result = runner.invoke(args=["courses", "import", str(course_dir)])
    assert result.exit_code == 0, result.output
    out = runner.invoke(args=["courses", "export", course_dir.name, str(tmp_path)])
    assert out.exit_code == 0, out.output
    exported = tmp_path / course_dir.name
    original_files = sorted(p.relative_to(course_dir) for p in course_dir.rglob("*") if p.is_file())
    exported_files = sorted(p.relative_to(exported) for p in exported.rglob("*") if p.is_file())
    assert original_files == exported_files
    match, mismatch, errors = filecmp.cmpfiles(
        course_dir, exported, [str(p) for p in original_files], shallow=False
    )
    assert not mismatch and not errors


def test_sample_course_export_round_trips(runner, db, tmp_path):
    runner.invoke(args=["courses", "import", str(FIXTURES / "sample-course")])
    runner.invoke(args=["courses", "export", "sample-course", str(tmp_path)])
    # The export is itself a valid package that imports as "unchanged".
    copy = tmp_path / "copy" / "sample-course"
    shutil.copytree(tmp_path / "sample-course", copy)
    result = runner.invoke(args=["courses", "import", str(copy)])
    assert result.exit_code == 0 and "unchanged" in result.output


def test_load_all_imports_every_shipped_course(runner, db, app):
    result = runner.invoke(args=["courses", "load-all"])
    assert result.exit_code == 0, result.output
    assert {c.slug for c in services.catalog()} >= {p.name for p in SHIPPED}


def test_unknown_schema_version_is_refused_clearly(runner, tmp_path):
    folder = write_course(tmp_path)
    text = (
        (folder / "course.toml")
        .read_text(encoding="utf-8")
        .replace("schema_version = 1", "schema_version = 2")
    )
    (folder / "course.toml").write_text(text, encoding="utf-8")
    result = runner.invoke(args=["courses", "validate", str(folder)])
    assert result.exit_code == 1
    assert "course.toml:1:" in result.output and "schema_version" in result.output
