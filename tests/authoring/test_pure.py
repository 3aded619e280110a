"""The pure parts of the editor: draft outlines and edits, GIFT bank edits, image cleaning."""

import io
import tomllib

import pytest
from PIL import Image, PngImagePlugin

from lms.authoring import images, layout, questions, structure
from lms.courses import package
from lms.quizzes import gift
from tests.authoring.conftest import SAMPLE


def sample_files() -> dict[str, bytes]:
    return {p.relative_to(SAMPLE).as_posix(): p.read_bytes() for p in SAMPLE.rglob("*") if p.is_file()}


def apply(files, changes):
    out = dict(files)
    for path, data in changes.items():
        if data is None:
            out.pop(path, None)
        else:
            out[path] = data
    return out


def test_the_outline_reads_a_valid_course():
    info = layout.outline(sample_files(), "sample-course")
    assert info.locales == ["en", "ar"] and info.default_locale == "en"
    assert [m.slug for m in info.modules] == ["council-and-upr", "treaty-bodies"]
    assert [lesson.slug for lesson in info.modules[0].lessons] == [
        "human-rights-council",
        "universal-periodic-review",
    ]
    assert info.modules[0].quizzes == {
        "ar": "01-council-and-upr/quiz.ar.gift",
        "en": "01-council-and-upr/quiz.en.gift",
    }
    assert info.media == ["upr-cycle.png"] and set(info.assessments) == {"en", "ar"}


def test_the_outline_never_refuses_a_broken_draft():
    info = layout.outline({"course.toml": b"not = [toml", "01-x/01-y.en.md": b"\xff\xfe", "stray": b""}, "c")
    assert info.default_locale == "en" and info.modules[0].slug == "x"
    assert info.modules[0].lessons[0].titles == {}


def test_moving_renumbers_and_keeps_every_byte():
    files = sample_files()
    info = layout.outline(files, "sample-course")
    moved = apply(files, structure.move_module(info, files, "treaty-bodies", -1))
    assert "01-treaty-bodies/module.toml" in moved and "02-council-and-upr/quiz.ar.gift" in moved
    assert sorted(moved.values()) == sorted(files.values())
    assert package.validate_files(moved, folder_name="sample-course") == []
    info = layout.outline(moved, "sample-course")
    lessons = apply(moved, structure.move_lesson(info.modules[1], moved, "universal-periodic-review", -1))
    assert "02-council-and-upr/01-universal-periodic-review.ar.md" in lessons
    assert package.validate_files(lessons, folder_name="sample-course") == []


def test_ten_or_more_modules_get_wider_prefixes_when_renumbered():
    files = {"course.toml": layout.course_toml(layout.course_settings(b"", "c"))}
    for n in range(1, 11):
        files[f"{n:02d}-m{n}/module.toml"] = b'[title]\nen = "M"\n'
    info = layout.outline(files, "c")
    moved = apply(files, structure.move_module(info, files, "m10", -1))
    assert "09-m10/module.toml" in moved and "10-m9/module.toml" in moved


def test_the_version_is_raised_without_touching_the_rest():
    text = b'# my notes\nschema_version = 1\nslug = "x"\nversion = 3   # bump me\n\n[title]\nen = "version = 9"\n'
    bumped = layout.bump_version(text, 4)
    assert bumped == text.replace(b"version = 3 ", b"version = 4 ")
    assert tomllib.loads(bumped.decode())["title"]["en"] == "version = 9"


def test_translated_files_know_their_source():
    assert layout.source_of("01-a/02-b.ar.md", "en") == "01-a/02-b.en.md"
    assert layout.source_of("01-a/02-b.en.md", "en") is None
    assert layout.source_of("01-a/quiz.fr.gift", "en") == "01-a/quiz.en.gift"
    assert layout.source_of("assessment.ar.gift", "en") == "assessment.en.gift"
    assert layout.source_of("media/a.png", "en") is None


BANK = """// Keep this comment
$CATEGORY: un/hrc

::q1:: First? {=a ~b}

// about q2
::q2:: Second {T}
"""


def test_one_question_is_replaced_in_place():
    new = gift.parse("::q1:: Better first? {=yes ~no}")[0]
    text = questions.replace_question(BANK, "q1", new)
    assert text.startswith("// Keep this comment\n$CATEGORY: un/hrc\n\n::q1::")
    assert "// about q2\n::q2:: Second {T}" in text
    parsed = gift.parse(text)
    assert [q.id for q in parsed] == ["q1", "q2"] and parsed[0].text == "Better first?"
    assert parsed[0].category == "un/hrc"


def test_questions_are_deleted_and_appended():
    text = questions.delete_question(BANK, "q1")
    assert [q.id for q in gift.parse(text)] == ["q2"] and "// Keep this comment" in text
    text = questions.append_question(text, gift.parse("::q3:: Third {T}")[0])
    assert [q.id for q in gift.parse(text)] == ["q2", "q3"]
    emptied = questions.delete_question(questions.delete_question(text, "q2"), "q3")
    assert emptied == "// Keep this comment\n$CATEGORY: un/hrc\n"  # the comment about q2 went too


def test_fresh_ids_never_collide():
    found = gift.parse("::q1:: A {T}\n\nB {F}\n\n::q1:: C {T}")
    ids = [q.id for q in questions.unique_ids(found, {"q1", "q-1"}, "q")]
    assert ids == ["q-2", "q-3", "q-4"]


def test_a_question_hash_ignores_where_it_sits():
    one = gift.parse("::a:: Same {T}")[0]
    two = gift.parse("\n\n\n::a:: Same {T}")[0]
    assert questions.question_hash(one) == questions.question_hash(two)
    assert questions.question_hash(one) != questions.question_hash(gift.parse("::a:: Other {T}")[0])


def _png(**info) -> bytes:
    out = io.BytesIO()
    meta = PngImagePlugin.PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, "PNG", pnginfo=meta)
    return out.getvalue()


def test_png_text_chunks_are_removed_and_transparency_kept():
    data, extension = images.clean(_png(Author="Someone at risk", Location="Aleppo"))
    assert extension == "png" and b"Someone at risk" not in data and b"Aleppo" not in data
    assert Image.open(io.BytesIO(data)).mode == "RGBA"


def test_an_animated_gif_stays_animated():
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0, comment=b"secret"
    )
    data, extension = images.clean(out.getvalue())
    assert extension == "gif" and Image.open(io.BytesIO(data)).n_frames == 3 and b"secret" not in data


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"GIF89a" + b"\0" * 20, "not-an-image"),
        (b"%PDF-1.7 not an image", "not-an-image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 2_000_000, "too-large"),
    ],
)
def test_bad_images_are_refused(data, code):
    with pytest.raises(images.ImageRejected) as caught:
        images.clean(data)
    assert caught.value.code == code


def test_a_decompression_bomb_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")
    assert len(out.getvalue()) < 1024 * 1024
    with pytest.raises(images.ImageRejected) as caught:
        images.clean(out.getvalue())
    assert caught.value.code == "too-many-pixels"


def test_media_names_are_safe():
    assert images.media_name("../../Etc/Pass Wd.PNG", "png") == "pass-wd.png"
    assert images.media_name("صورة.jpg", "jpg") == "image.jpg"


def test_authoring_errors_are_domain_errors_with_their_status():
    from lms.authoring import services
    from lms.core.errors import DomainError

    assert issubclass(services.AuthoringError, DomainError)
    statuses = {
        services.AuthoringError: 400,
        services.Problems("x", []).__class__: 400,
        services.NotFound: 404,
        services.NotAllowed: 403,
        services.Conflict: 409,
        services.UnconfirmedTranslations: 409,
    }
    for error, status in statuses.items():
        assert error.status == status, error
    assert services.Problems("Bad.", ["a.md:1: x"]).problems == ["a.md:1: x"]
