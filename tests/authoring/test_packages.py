"""Images, .zip import and export, publishing, translations, learners and essays."""

import io
import os
import zipfile

import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.authoring import services
from lms.authoring.models import Draft, DraftFile
from lms.courses import services as courses
from lms.courses.models import Course, CourseFile, Lesson, LessonContent, LessonProgress
from lms.quizzes import services as quizzes
from lms.quizzes.models import Quiz, Response
from tests.authoring.conftest import SAMPLE, own, zip_folder
from tests.authoring.test_editing import BASE, LESSON, base_of, draft_file, draft_paths
from tests.courses.course_builder import write_course

# Images ----------------------------------------------------------------------------------------


def jpeg_with_location() -> bytes:
    """A small JPEG whose EXIF names a camera and a GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (33.0, 53.0, 12.0), 3: "E", 4: (35.0, 30.0, 6.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "JPEG", exif=exif.tobytes(), comment=b"taken at the office")
    return out.getvalue()


def upload(client, name, data):
    """Upload an image; the body is encoded here so a large one needs no temporary file."""
    fields = {"csrf_token": client.csrf_token("/"), "file": FileStorage(io.BytesIO(data), name)}
    boundary, body = encode_multipart(fields)
    return client.post(f"{BASE}/media", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_an_image_is_stored_without_its_metadata(client, db, sign_in, sample):
    sign_in("owner")
    original = jpeg_with_location()
    assert b"PhoneMaker" in original
    response = upload(client, "Office Photo.JPG", original)
    assert response.status_code == 303
    stored = draft_file(db, "sample-course", "media/office-photo.jpg")
    assert (
        stored
        and b"PhoneMaker" not in stored
        and b"Exif" not in stored
        and b"taken at the office" not in stored
    )
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (64, 48) and not image.getexif()
    served = client.get(f"{BASE}/media/office-photo.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data == stored


def test_a_file_that_claims_to_be_an_image_is_refused(client, db, sign_in, sample):
    sign_in("owner")
    for name, data in [
        ("photo.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100),
    ]:
        response = upload(client, name, data)
        assert response.status_code == 303
        assert "not a PNG, JPEG, GIF or WebP image" in client.get(f"{BASE}/media").get_data(as_text=True)
    assert db.session.scalar(sa.select(Draft).where(Draft.slug == "sample-course")) is None


def test_an_oversized_image_is_refused(client, db, sign_in, sample):
    sign_in("owner")
    noisy = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 1024 * 1024
    response = upload(client, "big.png", out.getvalue())
    assert response.status_code == 303
    assert "larger than" in client.get(f"{BASE}/media").get_data(as_text=True)
    # Far above the limit, the request itself is refused before it is read.
    response = upload(client, "huge.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert db.session.scalar(sa.select(Draft).where(Draft.slug == "sample-course")) is None


def test_an_image_can_be_deleted(client, db, sign_in, sample):
    sign_in("owner")
    assert client.post_form(f"{BASE}/media/upr-cycle.png/delete").status_code == 303
    assert "media/upr-cycle.png" not in draft_paths(db, "sample-course")
    assert client.post_form(f"{BASE}/media/missing.png/delete").status_code == 404


# Packages --------------------------------------------------------------------------------------


def import_zip(client, data, name="course.zip"):
    return client.post_form(
        "/author/import", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_a_zip_is_imported_into_a_new_draft(client, db, sign_in, people):
    sign_in("owner")
    response = import_zip(client, zip_folder(SAMPLE, "sample-course"))
    assert response.status_code == 303
    paths = draft_paths(db, "sample-course")
    assert {"course.toml", "media/upr-cycle.png", "01-council-and-upr/quiz.ar.gift"} <= paths
    assert services.can_edit(people["owner"], "sample-course")
    assert courses.get_course("sample-course") is None


def test_a_zip_slip_is_refused_and_nothing_is_written(client, db, sign_in):
    sign_in("owner")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("course.toml", "schema_version = 1\n")
        out.writestr("../../etc/evil.txt", "x")
    response = import_zip(client, buffer.getvalue(), "evil.zip")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "evil.zip:0:" in html and "are not allowed" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_an_invalid_course_shows_path_and_line_problems(client, db, sign_in, tmp_path):
    sign_in("owner")
    folder = tmp_path / "broken-course"
    (folder / "01-basics").mkdir(parents=True)
    (folder / "course.toml").write_text(
        'schema_version = 1\nslug = "broken-course"\nversion = "two"\n', "utf-8"
    )
    (folder / "01-basics" / "01-intro.en.md").write_text("No title\n", "utf-8")
    html = import_zip(client, zip_folder(folder, "broken-course")).get_data(as_text=True)
    assert "course.toml:3: version must be a positive integer" in html
    assert "01-basics/module.toml:0: module.toml is missing" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_a_zip_cannot_overwrite_another_trainers_course(client, db, sign_in, sample):
    sign_in("other")
    html = import_zip(client, zip_folder(SAMPLE, "sample-course")).get_data(as_text=True)
    assert "not one of its owners" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_importing_over_a_draft_keeps_translations_stale_when_only_the_source_changed(
    client, db, sign_in, sample, tmp_path
):
    sign_in("owner")
    client.post_form(f"{BASE}/history")  # nothing: GET only
    folder = tmp_path / "sample-course"
    with zipfile.ZipFile(io.BytesIO(zip_folder(SAMPLE))) as archive:
        archive.extractall(folder)
    lesson = folder / "01-council-and-upr" / "01-human-rights-council.en.md"
    lesson.write_text(lesson.read_text("utf-8") + "\nA new paragraph in English.\n", "utf-8")
    assert import_zip(client, zip_folder(folder, "sample-course")).status_code == 303
    page = client.get(f"{LESSON}/ar").get_data(as_text=True)
    assert "Stale" in page and "A new paragraph in English." in page  # the source's change is shown


def test_export_validate_and_import_into_an_empty_database_give_the_same_course(
    client, db, runner, sign_in, tmp_path
):
    """A course written in the web editor round-trips through git tools unchanged."""
    sign_in("owner")
    build_course_in_the_editor(client)
    assert client.post_form("/author/field-guide/publish").status_code == 303
    before = snapshot(courses.get_course("field-guide"))

    exported = client.get("/author/field-guide/published.zip")
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    assert (
        client.get("/author/field-guide/export.zip").data == exported.data
    )  # the draft is what was published
    path = tmp_path / "field-guide.zip"
    path.write_bytes(exported.data)
    result = runner.invoke(args=["courses", "validate", str(path)])
    assert result.exit_code == 0, result.output

    # Empty the database of the course: its rows and its quizzes.
    course = courses.get_course("field-guide")
    quiz_ids = [course.assessment_quiz_id, *(m.quiz_id for m in courses.load_outline(course))]
    db.session.delete(course)
    db.session.flush()
    db.session.execute(sa.delete(Quiz).where(Quiz.id.in_([q for q in quiz_ids if q])))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Quiz)) == 0
    result = runner.invoke(args=["courses", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    assert snapshot(courses.get_course("field-guide")) == before


def build_course_in_the_editor(client):
    """Write a small two-language course with a quiz and an image, only through the editor."""
    client.post_form(
        "/author/new",
        {
            "slug": "field-guide",
            "title": "Field guide",
            "summary": "Practical steps.",
            "default_locale": "en",
            "locales": ["en", "ar"],
        },
    )
    client.post_form(
        "/author/field-guide/settings",
        {
            "locales": ["en", "ar"],
            "default_locale": "en",
            "title_en": "Field guide",
            "title_ar": "دليل ميداني",
            "summary_en": "Practical steps.",
            "summary_ar": "خطوات عملية.",
            "pass_mark": "70",
            "certificate": "y",
            "certificate_valid_years": "0",
        },
    )
    client.post_form("/author/field-guide/modules", {"slug": "first-steps", "title": "First steps"})
    client.post_form(
        "/author/field-guide/modules/first-steps/",
        {
            "title_en": "First steps",
            "title_ar": "الخطوات الأولى",
            "quiz_max_attempts": "0",
            "quiz_feedback": "after_submit",
            "quiz_grading": "highest",
        },
    )
    client.post_form(
        "/author/field-guide/modules/first-steps/lessons", {"slug": "mapping", "title": "Mapping"}
    )
    client.post_form(
        "/author/field-guide/media",
        {"file": (io.BytesIO(jpeg_with_location()), "map.jpg")},
        content_type="multipart/form-data",
    )
    for locale, body in (
        ("en", "# Mapping\n\nDraw the map.\n\n![A map](media/map.jpg)\n"),
        ("ar", "# رسم الخريطة\n\nارسم الخريطة.\n"),
    ):
        url = f"/author/field-guide/modules/first-steps/lessons/mapping/{locale}"
        assert (
            client.post_form(url, {"body": body, "base": base_of(client, url), "action": "save"}).status_code
            == 303
        )
    for locale, text in (("en", "Who decides?"), ("ar", "من يقرر؟")):
        url = f"/author/field-guide/modules/first-steps/quiz/{locale}/question"
        url += "?qtype=truefalse" if locale == "en" else "?qid=q1"
        data = {
            "qid": "q1",
            "text": text,
            "text_format": "moodle",
            "correct": "true",
            "base": base_of(client, url),
        }
        assert client.post_form(url, data).status_code == 303
    assert client.get("/author/field-guide/publish").get_data(as_text=True).count("Publish now") == 1


def snapshot(course):
    """Everything a learner and an export see of a course."""
    modules = courses.load_outline(course)
    contents = courses.lesson_contents(course, modules, "ar")
    return {
        "course": (
            course.slug,
            course.version,
            course.default_locale,
            course.locales,
            course.titles,
            course.summaries,
            course.pass_mark,
            course.has_certificate,
            course.lesson_count,
        ),
        "modules": [
            (
                m.slug,
                m.position,
                m.titles,
                m.requires_previous,
                [(lesson.slug, lesson.position, lesson.titles) for lesson in m.lessons],
            )
            for m in modules
        ],
        "contents": sorted((c.locale, c.title, c.body_md) for c in contents.values()),
        "files": dict(courses_db_files(course)),
    }


def courses_db_files(course):
    from lms.extensions import db

    return db.session.execute(
        sa.select(CourseFile.path, CourseFile.data).where(CourseFile.course_id == course.id)
    ).all()


def test_the_exported_draft_of_a_new_course_imports_as_the_same_course(client, db, runner, sign_in, tmp_path):
    sign_in("owner")
    build_course_in_the_editor(client)
    path = tmp_path / "field-guide.zip"
    path.write_bytes(client.get("/author/field-guide/export.zip").data)
    assert runner.invoke(args=["courses", "validate", str(path)]).exit_code == 0
    result = runner.invoke(args=["courses", "import", str(path)])
    assert result.exit_code == 0, result.output
    course = courses.get_course("field-guide")
    files = dict(courses_db_files(course))
    drafted = {p: bytes(d) for p, d in db.session.execute(sa.select(DraftFile.path, DraftFile.data)).all()}
    assert files == drafted
    assert course.titles == {"en": "Field guide", "ar": "دليل ميداني"} and course.lesson_count == 1


# Publishing ------------------------------------------------------------------------------------


def test_publishing_refuses_a_course_with_problems_and_writes_nothing(client, db, sign_in, sample):
    sign_in("owner")
    client.post_form(f"{BASE}/media/upr-cycle.png/delete")  # a lesson still shows it
    page = client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "media/upr-cycle.png" in page and "Publish now" not in page
    response = client.post_form(f"{BASE}/publish")
    assert response.status_code == 200
    assert "nothing was published" in response.get_data(as_text=True)
    assert courses.get_course("sample-course").version == 1
    assert courses.get_media(courses.get_course("sample-course"), "upr-cycle.png") is not None


def test_publishing_raises_the_version_and_keeps_learners_progress(client, db, sign_in, sample, people):
    learner = people["learner"]
    courses.enroll(learner, sample)
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.slug == "human-rights-council"))
    courses.record_lesson_done(learner, sample, lesson)
    db.session.flush()

    sign_in("owner")
    url = f"{LESSON}/en"
    client.post_form(
        url,
        {
            "body": "# The Human Rights Council\n\nRewritten.\n",
            "base": base_of(client, url),
            "action": "save",
        },
    )
    client.post_form(
        f"{BASE}/modules/council-and-upr/lessons/human-rights-council/move", {"direction": "down"}
    )
    # Not published yet: learners still read the old text.
    content = db.session.scalar(
        sa.select(LessonContent.body_md).where(
            LessonContent.lesson_id == lesson.id, LessonContent.locale == "en"
        )
    )
    assert "Rewritten." not in content

    response = client.post_form(f"{BASE}/publish")
    assert response.status_code == 303
    db.session.expire_all()
    course = courses.get_course("sample-course")
    assert course.version == 2
    assert b"version = 2" in draft_file(db, "sample-course", "course.toml")
    moved = db.session.scalar(sa.select(Lesson).where(Lesson.slug == "human-rights-council"))
    assert moved.position == 2
    body = db.session.scalar(
        sa.select(LessonContent.body_md).where(
            LessonContent.lesson_id == moved.id, LessonContent.locale == "en"
        )
    )
    assert "Rewritten." in body
    assert courses.done_slugs(learner, course) == {"human-rights-council"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 1
    # Nothing new: publishing again is refused.
    assert client.post_form(f"{BASE}/publish").status_code == 303
    assert courses.get_course("sample-course").version == 2


def test_a_draft_can_be_discarded_for_the_published_course(client, db, sign_in, sample):
    sign_in("owner")
    url = f"{LESSON}/en"
    client.post_form(url, {"body": "# Changed\n\nText.", "base": base_of(client, url), "action": "save"})
    client.post_form(f"{BASE}/reset", {})
    assert (
        draft_file(db, "sample-course", "01-council-and-upr/01-human-rights-council.en.md")
        == b"# Changed\n\nText."
    )
    client.post_form(f"{BASE}/reset", {"confirm": "y"})
    assert not services.has_unpublished_changes(services.workspace(sample_owner(db), "sample-course"))


def sample_owner(db):
    from lms.accounts.models import User

    return db.session.scalar(sa.select(User).where(User.username == "trainer-own"))


# Translations ----------------------------------------------------------------------------------


def test_a_translation_goes_stale_when_its_source_changes(client, db, sign_in, sample):
    sign_in("owner")
    table = client.get(f"{BASE}/translations").get_data(as_text=True)
    assert "translation-stale" not in table and "translation-ok" in table
    en, ar = f"{LESSON}/en", f"{LESSON}/ar"
    client.post_form(
        en,
        {
            "body": "# The Human Rights Council\n\nA corrected fact.\n",
            "base": base_of(client, en),
            "action": "save",
        },
    )
    table = client.get(f"{BASE}/translations").get_data(as_text=True)
    assert table.count('class="translation-stale"') == 1
    page = client.get(ar).get_data(as_text=True)
    assert "Stale" in page and "+A corrected fact." in page
    # Saving the translation (even unchanged) marks it as written from the new source.
    text = draft_file(db, "sample-course", "01-council-and-upr/01-human-rights-council.ar.md").decode()
    assert (
        client.post_form(ar, {"body": text, "base": base_of(client, ar), "action": "save"}).status_code == 303
    )
    assert "translation-stale" not in client.get(f"{BASE}/translations").get_data(as_text=True)


def test_a_missing_translation_is_listed_and_can_be_written(client, db, sign_in, sample):
    sign_in("owner")
    client.post_form(f"{BASE}/modules/treaty-bodies/lessons", {"slug": "follow-up", "title": "Follow-up"})
    table = client.get(f"{BASE}/translations").get_data(as_text=True)
    assert "Missing" in table
    url = f"{BASE}/modules/treaty-bodies/lessons/follow-up/ar"
    assert "Not translated yet" in client.get(url).get_data(as_text=True)
    assert (
        client.post_form(
            url, {"body": "# المتابعة\n\nنص.", "base": base_of(client, url), "action": "save"}
        ).status_code
        == 303
    )
    assert (
        draft_file(db, "sample-course", "02-treaty-bodies/02-follow-up.ar.md") == "# المتابعة\n\nنص.".encode()
    )


def test_preview_as_a_learner_in_any_language(client, sign_in, sample):
    sign_in("owner")
    html = client.get(f"{BASE}/preview/fr/council-and-upr/human-rights-council").get_data(as_text=True)
    assert "not available in your language" in html and 'lang="en" dir="ltr"' in html
    html = client.get(f"{BASE}/preview/ar/council-and-upr/human-rights-council").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in html
    assert client.get(f"{BASE}/preview/de/").status_code == 404
    assert client.get(f"{BASE}/preview/ar/treaty-bodies/human-rights-council").status_code == 404


# Learners and essays ---------------------------------------------------------------------------


def test_trainers_see_their_learners_by_display_name_only(client, db, sign_in, sample, make_user):
    named = make_user(username="secret-username", display_name="Nour", email="nour@example.org")
    anonymous = make_user(username="another-secret")
    for learner in (named, anonymous):
        courses.enroll(learner, sample)
    courses.record_lesson_done(
        named, sample, db.session.scalar(sa.select(Lesson).where(Lesson.slug == "human-rights-council"))
    )
    sign_in("owner")
    html = client.get(f"{BASE}/learners").get_data(as_text=True)
    assert "Nour" in html and "Learner 2" in html and "1 of 3" in html
    assert "secret-username" not in html and "another-secret" not in html and "nour@example.org" not in html


def course_with_essay(tmp_path, slug):
    """Publish a course whose first module's quiz is one essay question."""
    folder = write_course(tmp_path, slug, locales=("en",))
    (folder / "01-module-1" / "quiz.en.gift").write_text("::e1:: Describe your advocacy plan. {}\n", "utf-8")
    return courses.import_path(folder).course


def test_essays_of_the_course_are_marked_and_others_are_not_found(
    client, db, sign_in, people, make_user, tmp_path
):
    own_course = course_with_essay(tmp_path / "a", "essay-course")
    other_course = course_with_essay(tmp_path / "b", "other-essay-course")
    own(db, own_course.slug, people["owner"])
    own(db, other_course.slug, people["other"])
    learner = make_user(username="essay-writer", display_name="Writer")

    def answer(course):
        quiz = courses.course_quizzes(course)[0]
        attempt = quizzes.start_attempt(learner, quiz, "en")
        view = quizzes.attempt_view(attempt)
        quizzes.submit_attempt(learner, attempt, {view.questions[0].name: f"My plan for {course.slug}."})
        return db.session.scalar(sa.select(Response.id).where(Response.attempt_id == attempt.id))

    own_response, other_response = answer(own_course), answer(other_course)
    sign_in("owner")
    html = client.get("/author/essay-course/essays").get_data(as_text=True)
    assert "My plan for essay-course." in html and "other-essay-course." not in html
    assert "essay-writer" not in html and "Writer" not in html
    assert (
        client.post_form(f"/author/essay-course/essays/{other_response}", {"mark": "80"}).status_code == 404
    )
    response = client.post_form(
        f"/author/essay-course/essays/{own_response}", {"mark": "80", "comment": "Clear."}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert quizzes.get_response(own_response).fraction == 0.8
    assert quizzes.get_response(other_response).fraction is None
    assert "No essays are waiting" in client.get("/author/essay-course/essays").get_data(as_text=True)
