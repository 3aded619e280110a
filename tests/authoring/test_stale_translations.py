"""Stale translations, visibly: publishing asks first, learners see a note, translations.toml keeps the marks."""

import io
import shutil
import tomllib
import zipfile

import pytest
import sqlalchemy as sa

from lms.authoring import services
from lms.authoring.models import Draft
from lms.courses import package
from lms.courses import services as courses
from lms.courses.models import LessonContent
from lms.courses.package import translations
from tests.authoring.conftest import SAMPLE, zip_folder
from tests.authoring.test_editing import BASE, LESSON, base_of, draft_file

AR_LESSON = "01-council-and-upr/01-human-rights-council.ar.md"
EN_LESSON = "01-council-and-upr/01-human-rights-council.en.md"
LEARNER_URL = "/courses/sample-course/council-and-upr/human-rights-council"
NOTE_ID = 'id="outdated-translation"'


def change_the_source(client):
    """Edit the English lesson so that its Arabic translation goes stale."""
    en = f"{LESSON}/en"
    body = "# The Human Rights Council\n\nA corrected fact.\n"
    assert (
        client.post_form(en, {"body": body, "base": base_of(client, en), "action": "save"}).status_code == 303
    )


def test_publishing_lists_stale_translations_and_needs_a_confirmation(client, db, sign_in, sample):
    sign_in("owner")
    change_the_source(client)
    page = client.get(f"{BASE}/publish").get_data(as_text=True)
    assert "1 translation is stale or missing" in page and AR_LESSON in page
    assert 'name="accept_translations"' in page

    response = client.post_form(f"{BASE}/publish", {})
    assert response.status_code == 200
    assert "confirm that you want to publish them" in response.get_data(as_text=True)
    db.session.expire_all()
    assert courses.get_course("sample-course").version == 1  # nothing published

    response = client.post_form(f"{BASE}/publish", {"accept_translations": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    assert courses.get_course("sample-course").version == 2


def test_a_course_with_nothing_stale_publishes_without_a_confirmation(client, db, sign_in, sample):
    sign_in("owner")
    ar = f"{LESSON}/ar"
    text = draft_file(db, "sample-course", AR_LESSON) or courses.course_files(sample)[AR_LESSON]
    body = text.decode() + "\nسطر جديد.\n"
    assert (
        client.post_form(ar, {"body": body, "base": base_of(client, ar), "action": "save"}).status_code == 303
    )
    assert "accept_translations" not in client.get(f"{BASE}/publish").get_data(as_text=True)
    assert client.post_form(f"{BASE}/publish", {}).status_code == 303


def test_learners_see_a_note_on_a_lesson_older_than_its_source(client, db, sign_in, sample, people):
    sign_in("owner")
    change_the_source(client)
    assert client.post_form(f"{BASE}/publish", {"accept_translations": "y"}).status_code == 303
    outdated = db.session.scalars(sa.select(LessonContent).where(LessonContent.is_outdated.is_(True))).all()
    assert [(c.locale, c.title) for c in outdated] == [("ar", "مجلس حقوق الإنسان")]
    client.post_form("/logout")  # lessons are readable without an account
    arabic = client.get(LEARNER_URL, headers={"Accept-Language": "ar"}).get_data(as_text=True)
    english = client.get(LEARNER_URL, headers={"Accept-Language": "en"}).get_data(as_text=True)
    other = client.get(
        "/courses/sample-course/council-and-upr/universal-periodic-review", headers={"Accept-Language": "ar"}
    ).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in arabic and NOTE_ID in arabic
    assert NOTE_ID not in english and NOTE_ID not in other


def test_stale_marks_survive_export_git_and_import(client, db, sign_in, sample, people, tmp_path):
    sign_in("owner")
    change_the_source(client)
    # The draft's export carries translations.toml with the hash of the source the Arabic was made from.
    exported = client.get(f"{BASE}/export.zip").data
    names = zipfile.ZipFile(io.BytesIO(exported)).namelist()
    assert "sample-course/translations.toml" in names

    # Publish anyway, then export as `flask courses export` does: the file is in the package.
    client.post_form(f"{BASE}/publish", {"accept_translations": "y"})
    db.session.expire_all()
    folder = courses.export_course(courses.get_course("sample-course"), tmp_path / "git")
    assert package.validate(folder) == []
    pkg = package.load(folder)
    assert AR_LESSON in pkg.translation_sources
    assert translations.stale(pkg.files, "en", pkg.translation_sources) == [AR_LESSON]

    # A fresh editor (the draft and its records gone) imports the package: still stale.
    db.session.delete(db.session.scalar(sa.select(Draft).where(Draft.slug == "sample-course")))
    db.session.flush()
    owner = people["owner"]
    services.import_zip(owner, io.BytesIO(zip_folder(folder, "sample-course")), "sample-course.zip")
    ws = services.workspace(owner, "sample-course")
    assert [issue.path for issue in services.translation_issues(ws)] == [AR_LESSON]
    table = client.get(f"{BASE}/translations").get_data(as_text=True)
    assert table.count('class="translation-stale"') == 1

    # Saving the translation marks it up to date, and translations.toml follows.
    ar = f"{LESSON}/ar"
    body = draft_file(db, "sample-course", AR_LESSON).decode()
    client.post_form(ar, {"body": body, "base": base_of(client, ar), "action": "save"})
    recorded = translations.check(
        tomllib.loads(draft_file(db, "sample-course", "translations.toml").decode()), ""
    )[0]
    assert recorded[AR_LESSON] == translations.sha256(draft_file(db, "sample-course", EN_LESSON))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[sources]\n"01-a/01-b.ar.md" = "abc"\n',
            "translations.toml:2: 01-a/01-b.ar.md: the value is a SHA-256 in hex",
        ),
        (
            '[sources]\n"notes.txt" = "' + "0" * 64 + '"\n',
            "translations.toml:2: notes.txt is not a translated lesson",
        ),
        ("[other]\n", "translations.toml:1: unknown key other"),
        ("[sources\n", "translations.toml:1: invalid TOML"),
    ],
)
def test_a_bad_translations_toml_is_reported_by_line(tmp_path, text, expected):
    folder = tmp_path / "sample-course"
    shutil.copytree(SAMPLE, folder)
    (folder / "translations.toml").write_text(text, "utf-8")
    problems = [str(p) for p in package.validate(folder)]
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_translations_toml_round_trips_and_names_stale_questions():
    files = {
        "assessment.en.gift": b"::a1:: Q? {=yes ~no}\n",
        "assessment.ar.gift": "::a1:: س؟ {=نعم ~لا}\n".encode(),
        EN_LESSON: b"# T\n\nNew.\n",
        AR_LESSON: "# ع\n".encode(),
    }
    old_question = translations.question_hashes("::a1:: Old? {=yes ~no}\n")["a1"]
    sources = {
        "assessment.ar.gift#a1": old_question,
        AR_LESSON: translations.sha256(EN_LESSON.encode()),
        "01-gone/01-x.ar.md": "0" * 64,
    }
    text = translations.render(sources).decode()
    assert text.startswith("# The source each translation") and "[sources]" in text
    assert translations.check(tomllib.loads(text), text) == (sources, [])
    assert translations.stale(files, "en", sources) == [AR_LESSON, "assessment.ar.gift#a1"]
    fresh = {
        **sources,
        "assessment.ar.gift#a1": translations.question_hashes(files["assessment.en.gift"].decode())["a1"],
    }
    assert translations.stale(files, "en", fresh) == [AR_LESSON]
