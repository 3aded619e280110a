"""The practice-task format: task.toml and task.LOCALE.md, validated with path:line messages."""

from pathlib import Path

import pytest

from lms.courses import package
from lms.courses import services as courses
from lms.tasks import services as tasks
from tests.tasks.builder import write_task_course


def _problems(folder):
    return [str(p) for p in package.validate(folder)]


def test_a_module_task_is_read_with_its_brief_template_and_rubric(tmp_path):
    pkg = package.load(write_task_course(tmp_path))
    spec = pkg.modules[0].task
    assert pkg.modules[1].task is None
    assert spec["titles"] == {"en": "Write a short statement", "ar": "اكتب بياناً قصيراً"}
    assert spec["briefs"]["en"].startswith("Write two parts.")
    assert "# Write" not in spec["briefs"]["en"] and "## Evidence" not in spec["briefs"]["en"]
    assert [s["heading"] for s in spec["sections"]["en"]] == ["Evidence", "The ask"]
    assert spec["sections"]["ar"][1] == {"heading": "المطلب", "hint": "جملة واحدة تبدأ بفعل."}
    assert [c["id"] for c in spec["criteria"]] == ["evidence", "ask"]
    assert spec["criteria"][0]["levels"][1] == {
        "points": 2,
        "descriptions": {"en": "Dated, sourced facts.", "ar": "وقائع مؤرخة وموثقة."},
    }
    assert (spec["review"], spec["word_limit"], spec["pass_points"], spec["requires_approval"]) == (
        "mentor",
        50,
        3,
        True,
    )


def test_a_translation_with_other_sections_is_reported_at_its_line(tmp_path):
    folder = write_task_course(tmp_path)
    (folder / "01-module-1" / "task.ar.md").write_text(
        "# عنوان\n\nنص.\n\n## الأدلة\nتلميح.\n", encoding="utf-8"
    )
    problems = _problems(folder)
    assert any(
        p.startswith("01-module-1/task.ar.md:5: the answer template has 1 sections here but 2")
        for p in problems
    ), problems


def test_a_criterion_missing_a_locale_is_reported_at_its_line(tmp_path):
    folder = write_task_course(tmp_path)
    toml = folder / "01-module-1" / "task.toml"
    toml.write_text(toml.read_text("utf-8").replace('ar = "المطلب"\n', ""), encoding="utf-8")
    problems = _problems(folder)
    line = toml.read_text("utf-8").splitlines().index('id = "ask"') + 1
    assert (
        f"01-module-1/task.toml:{line}: criterion ask: [criteria.title] has no ar entry (the task is written in ar)"
        in problems
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'review = "mentor"',
            'review = "peer"',
            'task.toml:1: review must be "mentor" or "mentor+peer", not "peer"',
        ),
        ("pass_points = 3", "pass_points = 9", "task.toml:6: pass_points is 9; the rubric gives at most 3"),
        ("word_limit = 50", "word_limit = 0", "task.toml:3: word_limit must be a positive integer, not 0"),
        ('id = "ask"', 'id = "evidence"', "criterion id evidence is used twice"),
        ("points = 1", "points = -1", "criterion ask: level 2 points must be 0 or more, not -1"),
        ("attachments = false", "attachments = false\ncolour = 1", "task.toml:5: unknown key colour"),
    ],
)
def test_bad_settings_are_reported_with_path_and_line(tmp_path, old, new, message):
    folder = write_task_course(tmp_path)
    toml = folder / "01-module-1" / "task.toml"
    toml.write_text(toml.read_text("utf-8").replace(old, new, 1), encoding="utf-8")
    problems = _problems(folder)
    assert any(message in p for p in problems), problems


def test_a_brief_without_task_toml_and_a_task_without_a_default_brief_are_refused(tmp_path):
    folder = write_task_course(tmp_path)
    (folder / "01-module-1" / "task.toml").unlink()
    assert (
        "01-module-1/task.toml:0: missing: a module with task.LOCALE.md files needs a task.toml"
        in _problems(folder)
    )
    other = write_task_course(tmp_path / "b")
    (other / "01-module-1" / "task.en.md").unlink()
    assert "01-module-1/task.en.md:0: missing: the task needs a brief in the default locale" in _problems(
        other
    )


def test_a_lesson_cannot_be_called_task(tmp_path):
    folder = write_task_course(tmp_path)
    (folder / "02-module-2" / "02-task.en.md").write_text("# Task\n\nText.\n", encoding="utf-8")
    assert any("lesson slug task is reserved" in p for p in _problems(folder))


def test_import_creates_the_task_and_export_gives_the_files_back(tmp_path, db):
    folder = write_task_course(tmp_path)
    course = courses.import_path(folder).course
    module = courses.load_outline(course)[0]
    assert module.task is not None and module.task.activity_id.endswith("/courses/task-course/module-1/task")
    out = courses.export_course(course, tmp_path / "out")
    for name in ("task.toml", "task.en.md", "task.ar.md"):
        assert (out / "01-module-1" / name).read_bytes() == (folder / "01-module-1" / name).read_bytes()


def test_a_new_version_updates_the_task_in_place(tmp_path, db):
    folder = write_task_course(tmp_path)
    course = courses.import_path(folder).course
    first = courses.load_outline(course)[0].task_id
    (folder / "course.toml").write_text(
        (folder / "course.toml").read_text("utf-8").replace("\nversion = 1", "\nversion = 2"),
        encoding="utf-8",
    )
    toml = folder / "01-module-1" / "task.toml"
    toml.write_text(toml.read_text("utf-8").replace("word_limit = 50", "word_limit = 80"), encoding="utf-8")
    courses.import_path(folder)
    task = courses.load_outline(course)[0].task
    assert task.id == first and task.word_limit == 80
    assert tasks.task_for_activity(task.activity_id) is task


def test_a_package_with_a_bad_task_is_not_imported_at_all(tmp_path, db):
    folder = write_task_course(tmp_path)
    toml = folder / "01-module-1" / "task.toml"
    toml.write_text(toml.read_text("utf-8").replace("pass_points = 3", "pass_points = 99"), encoding="utf-8")
    with pytest.raises(package.PackageError):
        courses.import_path(folder)
    assert courses.get_course("task-course") is None


def test_the_cli_validates_a_task_with_path_and_line(tmp_path, runner):
    folder = write_task_course(tmp_path)
    toml = folder / "01-module-1" / "task.toml"
    toml.write_text(toml.read_text("utf-8").replace('review = "mentor"', "review = 3"), encoding="utf-8")
    result = runner.invoke(args=["courses", "validate", str(folder)])
    assert result.exit_code != 0
    assert "01-module-1/task.toml:1: review must be" in result.output


SHIPPED = Path(__file__).resolve().parents[2] / "courses"


@pytest.mark.parametrize(
    "slug",
    ["civil-society", "international-funding", "lobbying-international-organisations", "rights-mechanisms"],
)
def test_every_shipped_course_has_a_practice_task_in_three_languages(slug):
    pkg = package.load(SHIPPED / slug)
    specs = [m.task for m in pkg.modules if m.task]
    assert specs, f"{slug} has no practice task"
    for spec in specs:
        assert set(spec["briefs"]) >= {"en", "ar", "fr"}
        assert 3 <= len(spec["criteria"]) <= 5
        assert len(spec["sections"]["en"]) >= 3
        assert all(set(c["titles"]) >= {"en", "ar", "fr"} for c in spec["criteria"])
        assert (
            0 < spec["pass_points"] <= sum(max(lv["points"] for lv in c["levels"]) for c in spec["criteria"])
        )
