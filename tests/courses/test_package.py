"""The course package format: the sample course loads, every malformed case is reported."""

import re
import shutil
import tomllib
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.core import markdown
from lms.courses import package
from lms.courses.archive import safe_extract
from lms.courses.package import (
    PackageError,
    Problem,
    QuizSettings,
    load,
    render_course_toml,
    render_module_toml,
    validate,
    write,
)
from lms.quizzes import gift

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = FIXTURES / "sample-course"
BAD = FIXTURES / "bad"
DOC = ROOT / "docs" / "course-format.md"


def all_files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def problems_of(folder, **kwargs):
    return [str(p) for p in validate(folder, **kwargs)]


def gift_errors(rel):
    """The exact problems lms.quizzes.gift reports for a fixture file, as path:line: message."""
    text = (BAD / "quizzes" / rel).read_text(encoding="utf-8")
    return [f"{rel}:{line}: {message}" for line, message in gift.check(text)]


@pytest.fixture
def sample(tmp_path):
    """A scratch copy of the sample course, named by its slug, to break in one test."""
    return Path(shutil.copytree(SAMPLE, tmp_path / "sample-course"))


# -- the sample course --------------------------------------------------------------------------


def test_sample_course_is_valid():
    assert validate(SAMPLE) == []


def test_sample_course_loads_with_everything_in_order():
    pkg = load(SAMPLE)
    assert (pkg.slug, pkg.version, pkg.default_locale, pkg.locales) == (
        "sample-course",
        1,
        "en",
        ("en", "ar"),
    )
    assert pkg.topic == "human-rights-mechanisms"
    assert (pkg.pass_mark, pkg.certificate, pkg.certificate_valid_years) == (70, True, 0)
    assert pkg.titles["ar"] == "دورة نموذجية: منظومة حقوق الإنسان في الأمم المتحدة"
    assert set(pkg.summaries) == {"en", "ar"}
    assert [(m.position, m.slug, m.dirname) for m in pkg.modules] == [
        (1, "council-and-upr", "01-council-and-upr"),
        (2, "treaty-bodies", "02-treaty-bodies"),
    ]
    first, second = pkg.modules
    assert [(lesson.position, lesson.slug) for lesson in first.lessons] == [
        (1, "human-rights-council"),
        (2, "universal-periodic-review"),
    ]
    lesson = first.lessons[1]
    assert lesson.filenames == {
        "en": "02-universal-periodic-review.en.md",
        "ar": "02-universal-periodic-review.ar.md",
    }
    assert lesson.titles == {"en": "The Universal Periodic Review", "ar": "الاستعراض الدوري الشامل"}
    assert lesson.bodies["en"].startswith("# The Universal Periodic Review\n")
    assert first.requires_previous is False and second.requires_previous is True
    assert first.quiz_settings == QuizSettings(pass_mark=80, max_attempts=3, shuffle=True)
    assert second.quiz_settings == QuizSettings()
    assert list(first.quiz) == ["en", "ar"] and second.quiz == {}
    assert [q.id for q in gift.parse(first.quiz["ar"])] == ["m1-q01", "m1-q02", "m1-q03"]
    assert list(pkg.assessment) == ["en", "ar"]
    assert pkg.sources_md.startswith("# Sources and further reading")
    assert list(pkg.media) == ["upr-cycle.png"]
    assert pkg.media["upr-cycle.png"] == (SAMPLE / "media" / "upr-cycle.png").read_bytes()
    assert pkg.files == all_files(SAMPLE)


def test_a_package_can_be_checked_and_loaded_from_bytes_in_memory():
    files = all_files(SAMPLE)
    assert package.validate_files(files, folder_name="sample-course") == []
    assert package.load_files(files, folder_name="sample-course") == load(SAMPLE)
    del files["course.toml"]
    with pytest.raises(PackageError, match="course.toml:0: course.toml is missing"):
        package.load_files(files, folder_name="sample-course")


def test_quiz_pass_mark_falls_back_to_the_course():
    pkg = load(SAMPLE)
    assert [pkg.pass_mark_of(module) for module in pkg.modules] == [80, 70]


def test_minutes_come_from_default_locale_word_counts_when_not_given():
    pkg = load(SAMPLE)
    assert pkg.estimated_minutes is None
    words = sum(lesson.word_counts["en"] for module in pkg.modules for lesson in module.lessons)
    assert words > 400
    assert pkg.minutes == -(-words // 200)


def test_titles_and_word_counts_match_the_renderer():
    for module in load(SAMPLE).modules:
        for lesson in module.lessons:
            for locale, body in lesson.bodies.items():
                assert lesson.titles[locale] == markdown.title_of(body)
                assert lesson.word_counts[locale] == markdown.word_count(body)


def test_sample_lessons_render_with_their_image():
    body = load(SAMPLE).modules[0].lessons[1].bodies["ar"]
    html = markdown.render(body, media_url=lambda name: f"/courses/sample-course/media/{name}")
    assert '<img src="/courses/sample-course/media/upr-cycle.png"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_load_then_write_gives_identical_files(tmp_path):
    pkg = load(SAMPLE)
    write(pkg, tmp_path / "sample-course")
    assert all_files(tmp_path / "sample-course") == all_files(SAMPLE)
    assert load(tmp_path / "sample-course") == pkg


def test_write_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write(load(SAMPLE), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("rel", ["../escape.md", "/etc/evil", "a/../../b", "a//b", "a\\b", "./a"])
def test_write_refuses_paths_outside_the_folder(tmp_path, rel):
    pkg = load(SAMPLE)
    hostile = type(pkg)(**{**pkg.__dict__, "files": {**pkg.files, rel: b"x"}})
    with pytest.raises(ValueError, match="unsafe path"):
        write(hostile, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_doc_example_is_the_sample_course():
    doc = DOC.read_text(encoding="utf-8")
    example = doc[doc.index("## A complete example") :]
    blocks = re.findall(r"^#### `sample-course/([^`]+)`\n\n(`{3,})[a-z]*\n(.*?)^\2$", example, re.M | re.S)
    shown = {path: text for path, _, text in blocks}
    texts = {
        rel: data.decode("utf-8") for rel, data in all_files(SAMPLE).items() if not rel.startswith("media/")
    }
    assert shown == texts
    assert "`media/upr-cycle.png`" in example


def test_render_course_toml_reproduces_the_sample_file():
    pkg = load(SAMPLE)
    text = render_course_toml(
        slug=pkg.slug,
        version=pkg.version,
        default_locale=pkg.default_locale,
        locales=pkg.locales,
        titles=pkg.titles,
        summaries=pkg.summaries,
        topic=pkg.topic,
        estimated_minutes=pkg.estimated_minutes,
        pass_mark=pkg.pass_mark,
        certificate=pkg.certificate,
        certificate_valid_years=pkg.certificate_valid_years,
    )
    assert text == (SAMPLE / "course.toml").read_text(encoding="utf-8")


def test_render_module_toml_reproduces_the_sample_files():
    pkg = load(SAMPLE)
    for module in pkg.modules:
        text = render_module_toml(
            titles=module.titles,
            locales=pkg.locales,
            requires_previous=module.requires_previous,
            quiz=module.quiz_settings if module.quiz else None,
        )
        assert text == (SAMPLE / module.dirname / "module.toml").read_text(encoding="utf-8")


@given(
    titles=st.dictionaries(st.sampled_from(package.LOCALES), st.text(min_size=1), min_size=1),
    summary=st.text(),
    slug=st.text(),
    minutes=st.none() | st.integers(min_value=1, max_value=10**6),
)
def test_rendered_course_toml_parses_back_to_the_same_values(titles, summary, slug, minutes):
    text = render_course_toml(
        slug=slug,
        version=3,
        default_locale="ar",
        locales=["ar", "en"],
        titles=titles,
        summaries={"en": summary},
        estimated_minutes=minutes,
        certificate=False,
    )
    data = tomllib.loads(text)
    assert data["slug"] == slug and data["title"] == titles and data["summary"] == {"en": summary}
    assert data.get("estimated_minutes") == minutes
    assert (data["schema_version"], data["locales"], data["certificate"]) == (1, ["ar", "en"], False)


@given(st.text(), st.booleans(), st.integers(min_value=1, max_value=500))
def test_rendered_module_toml_parses_back_to_the_same_values(title, requires, per_attempt):
    quiz = QuizSettings(questions_per_attempt=per_attempt, feedback="never", grading="last")
    data = tomllib.loads(render_module_toml(titles={"en": title}, requires_previous=requires, quiz=quiz))
    assert data == {
        "requires_previous": requires,
        "title": {"en": title},
        "quiz": {
            "max_attempts": 0,
            "shuffle": False,
            "questions_per_attempt": per_attempt,
            "feedback": "never",
            "grading": "last",
        },
    }


def test_rendered_strings_escape_quotes_backslashes_newlines_and_keep_arabic():
    text = render_module_toml(titles={"ar": 'قال "مرحبًا"\\\n\tثم\r\x7f\x00', "en": "plain"})
    assert text == (
        'requires_previous = false\n\n[title]\nen = "plain"\n'
        'ar = "قال \\"مرحبًا\\"\\\\\\n\\tثم\\r\\u007F\\u0000"\n'
    )
    assert tomllib.loads(text)["title"]["ar"] == 'قال "مرحبًا"\\\n\tثم\r\x7f\x00'


# -- problems -----------------------------------------------------------------------------------


def test_problem_prints_as_path_line_message():
    assert str(Problem("01-a/quiz.en.gift", 7, "unclosed '{'")) == "01-a/quiz.en.gift:7: unclosed '{'"


def test_load_raises_with_every_problem():
    with pytest.raises(PackageError) as caught:
        load(BAD / "encoding")
    assert [str(p) for p in caught.value.problems] == problems_of(BAD / "encoding")
    assert str(caught.value) == "\n".join(problems_of(BAD / "encoding"))


def test_a_path_that_is_not_a_folder_is_a_problem(tmp_path):
    assert problems_of(tmp_path / "nowhere") == [f".:0: {tmp_path / 'nowhere'} is not a folder"]


def test_invalid_toml_is_reported_at_its_line_in_every_file():
    assert problems_of(BAD / "invalid-toml") == [
        "01-basics/module.toml:3: invalid TOML: Expected ']' at the end of a table declaration",
        "course.toml:4: invalid TOML: Illegal character '\\n'",
    ]


def test_unsupported_schema_version_is_the_only_problem_reported():
    assert problems_of(BAD / "schema-version") == [
        "course.toml:1: unsupported schema_version 2; this version of Tamkeen reads schema_version = 1"
    ]


def test_missing_keys_wrong_types_and_unknown_keys():
    assert problems_of(BAD / "course-keys") == [
        "course.toml:0: schema_version is missing; this version of Tamkeen reads schema_version = 1",
        "course.toml:0: default_locale is missing",
        'course.toml:2: version must be a positive integer, not "one"',
        'course.toml:3: locales must be a list such as ["en"], not "en"',
        'course.toml:4: topic must be a slug, not "Civil Society"',
        "course.toml:5: estimated_minutes must be a positive integer, not true",
        "course.toml:6: pass_mark must be a percentage from 0 to 100, not 120",
        'course.toml:7: certificate must be true or false, not "yes"',
        "course.toml:8: certificate_valid_years must be 0 or more, not -1",
        "course.toml:9: unknown key colour",
        "course.toml:15: [summary] en must be a non-empty string",
    ]


def test_slug_must_equal_the_folder_name():
    assert problems_of(BAD / "slug-mismatch") == [
        "course.toml:2: slug another-course does not match the folder name slug-mismatch"
    ]


def test_folder_name_can_be_given_for_an_unpacked_archive(tmp_path):
    folder = Path(shutil.copytree(SAMPLE, tmp_path / "tmp1234"))
    assert problems_of(folder) == ["course.toml:2: slug sample-course does not match the folder name tmp1234"]
    assert problems_of(folder, folder_name="sample-course") == []


def test_locale_problems():
    assert problems_of(BAD / "locales") == [
        "01-basics/01-welcome.de.md:0: unsupported locale de (supported: en, ar, fr, es, tr)",
        "01-basics/01-welcome.fr.md:0: locale fr is not in the course's locales (en, ar)",
        "01-basics/module.toml:1: [title] has no ar entry",
        "01-basics/quiz.tr.gift:0: locale tr is not in the course's locales (en, ar)",
        "course.toml:4: default_locale fr is not one of locales",
        "course.toml:5: unsupported locale de in locales (supported: en, ar, fr, es, tr)",
        "course.toml:5: locale en is listed twice",
        "course.toml:7: [title] has no ar entry",
        "course.toml:9: unsupported locale de in [title] (supported: en, ar, fr, es, tr)",
        "course.toml:11: [summary] has no ar entry",
    ]


def test_layout_problems_with_modules_and_lessons():
    slug_rule = "use lowercase letters, digits and single hyphens, at most 64 characters"
    module_holds = (
        "a module folder holds module.toml, NN-slug.LOCALE.md lessons, quiz.LOCALE.gift, "
        "task.toml and task.LOCALE.md"
    )
    assert problems_of(BAD / "lessons") == [
        "01-basics/01-welcome.ar.md:0: prefix 01 is also used by 01-another.en.md",
        "01-basics/01-welcome.en.md:0: no title: the first line starting with '# ' is the title",
        f"01-basics/02-Bad_Slug.en.md:0: lesson slug Bad_Slug is not valid: {slug_rule}",
        "01-basics/03-arabic-only.en.md:0: missing: every lesson needs a file in the default locale",
        "01-basics/05-moved.ar.md:0: lesson moved has prefix 05 here but 04 in 04-moved.en.md",
        f"01-basics/notes.txt:0: unknown file: {module_holds}",
        f"01-basics/quiz.en.gif:0: unknown file: {module_holds}",
        "01-duplicate-prefix:0: prefix 01 is also used by 01-basics",
        "01-duplicate-prefix/01-welcome.ar.md:0: lesson slug welcome is also used in 01-basics; it must be unique",
        f"02-Bad-Module:0: module slug Bad-Module is not valid: {slug_rule}",
        "03-basics:0: module slug basics is also used by 01-basics",
        "04-empty:0: the module has no lessons",
        "05-no-toml/module.toml:0: module.toml is missing",
        "06-nested/extra/01-hidden.en.md:0: unknown file: module folders hold no sub-folders",
        "README.md:0: unknown file: a course folder holds course.toml, sources.md, translations.toml, "
        "assessment.LOCALE.gift, NN-slug module folders and media/",
        "intro:0: unknown folder: module folders are named NN-slug, such as 01-basics",
    ]


def test_missing_course_and_module_files():
    assert problems_of(BAD / "missing-files") == [
        "01-basics/module.toml:0: module.toml is missing",
        "course.toml:0: course.toml is missing",
    ]


def test_media_and_image_problems():
    remote = "images must be files in the course's media/ folder, so that pages never load anything from another site"
    assert problems_of(BAD / "media") == [
        "01-basics/01-pictures.en.md:5: image media/missing.png does not exist in media/",
        "01-basics/01-pictures.en.md:5: link to media/guide.pdf, which is not in media/",
        f"01-basics/01-pictures.en.md:7: remote image https://tracker.example/pixel.png: {remote}",
        "01-basics/01-pictures.en.md:8: image ../images/map.png must point into media/, e.g. media/diagram.png",
        f"01-basics/01-pictures.en.md:12: remote image //cdn.example/x.png: {remote}",
        "01-basics/01-pictures.en.md:12: link ftp://files.example/report: only http, https, mailto and relative links",
        "media/Big Photo.PNG:0: media file names use lowercase letters, digits, '-', '_' and '.', "
        "and end in .png, .jpg, .jpeg, .gif or .webp",
        "media/diagram.svg:0: media/ may only hold png, jpeg, gif and webp images",
        "media/fake.png:0: the content is not a png, jpeg, gif or webp image",
        "media/nested/deep.png:0: unknown file: media/ holds no sub-folders",
        "media/photo.png:0: the content is a jpeg image, not png",
        f"sources.md:4: remote image https://www.ohchr.org/logo.png: {remote}",
    ]


def test_files_that_are_not_utf8_are_reported_at_the_first_bad_line():
    assert problems_of(BAD / "encoding") == [
        "01-basics/module.toml:3: the file is not UTF-8: save it as UTF-8",
        "01-basics/quiz.en.gift:3: the file is not UTF-8: save it as UTF-8",
    ]


def test_lessons_and_sources_that_are_not_utf8_are_reported(sample):
    # Built here, not kept as fixtures: ruff reads every .md file in the repository as UTF-8.
    lesson = sample / "02-treaty-bodies" / "01-shadow-reports.en.md"
    lesson.write_bytes(b"# Shadow reports\n\nR\xe9sum\xe9\n")
    (sample / "sources.md").write_bytes("# Sources\n\nNa\u00efve\n".encode("utf-16"))
    assert problems_of(sample) == [
        "02-treaty-bodies/01-shadow-reports.en.md:3: the file is not UTF-8: save it as UTF-8",
        "sources.md:1: the file is not UTF-8: save it as UTF-8",
    ]


def test_quiz_problems():
    expected = [
        "01-basics/quiz.ar.gift:0: the ar file lacks question ids that 01-basics/quiz.en.gift has: q2",
        "01-basics/quiz.ar.gift:1: question q1 is multichoice here but truefalse in 01-basics/quiz.en.gift",
        "01-basics/quiz.ar.gift:8: question id q4 is not in 01-basics/quiz.en.gift",
        "01-basics/quiz.en.gift:10: question 4 has no id: give it one as ::id::",
        "01-basics/quiz.en.gift:15: question id q3 is used twice",
        *gift_errors("02-syntax/quiz.en.gift"),
        "03-arabic-only/module.toml:6: [quiz] questions_per_attempt is 5; the quiz has 2",
        '03-arabic-only/module.toml:7: [quiz] feedback must be after_submit or once_passed or never, not "always"',
        "03-arabic-only/module.toml:8: unknown key attempts in [quiz]",
        "03-arabic-only/quiz.en.gift:0: missing: there are files for ar but not for the default locale en",
        "assessment.ar.gift:0: the ar file lacks question ids that assessment.en.gift has: a2",
    ]
    assert [line.split(":")[1] for line in gift_errors("02-syntax/quiz.en.gift")] == ["4", "7"]
    assert problems_of(BAD / "quizzes") == expected


def test_media_over_one_mebibyte_is_refused(sample):
    png = (sample / "media" / "upr-cycle.png").read_bytes()
    (sample / "media" / "upr-cycle.png").write_bytes(png + b"\0" * package.MEDIA_MAX_BYTES)
    size = len(png) + package.MEDIA_MAX_BYTES
    assert problems_of(sample) == [f"media/upr-cycle.png:0: the file has {size} bytes; the limit is 1048576"]


def test_symbolic_links_are_refused(sample, tmp_path):
    (tmp_path / "secret.md").write_text("# Secret\n")
    (sample / "01-council-and-upr" / "03-secret.en.md").symlink_to(tmp_path / "secret.md")
    (sample / "media-link").symlink_to(sample / "media", target_is_directory=True)
    assert problems_of(sample) == [
        "01-council-and-upr/03-secret.en.md:0: symbolic links are not allowed",
        "media-link:0: symbolic links are not allowed",
    ]


def test_crlf_line_ends_and_a_byte_order_mark_are_accepted(sample):
    for rel in ("course.toml", "01-council-and-upr/01-human-rights-council.en.md", "assessment.en.gift"):
        path = sample / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    pkg = load(sample)
    lesson = pkg.modules[0].lessons[0]
    assert lesson.titles["en"] == "The Human Rights Council"
    assert "\r" not in lesson.bodies["en"] and not lesson.bodies["en"].startswith("\ufeff")
    assert pkg.files["course.toml"].startswith(b"\xef\xbb\xbf")


def test_a_lesson_may_be_missing_in_a_locale_other_than_the_default(sample):
    (sample / "02-treaty-bodies" / "01-shadow-reports.ar.md").unlink()
    lesson = load(sample).modules[1].lessons[0]
    assert list(lesson.bodies) == ["en"]


def test_a_zipped_course_extracts_and_loads(sample, tmp_path):
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for rel in sorted(all_files(sample)):
            zf.write(sample / rel, f"sample-course/{rel}")
    top = safe_extract(archive, tmp_path / "unpacked")
    assert load(tmp_path / "unpacked", folder_name=top).files == all_files(SAMPLE)
