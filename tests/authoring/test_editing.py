"""Editing flows through the test client with CSRF on: courses, modules, lessons, history, owners."""

import re
import tomllib

import sqlalchemy as sa

from lms.authoring import services
from lms.authoring.models import CourseOwner, Draft, DraftChange, DraftFile, FileRevision
from lms.courses import services as courses
from tests.core.scripts import assert_only_the_exit_script

BASE = "/author/sample-course"
LESSON = f"{BASE}/modules/council-and-upr/lessons/human-rights-council"


def draft_file(db, slug, path) -> bytes | None:
    """Return a draft file's bytes, or None."""
    return db.session.scalar(
        sa.select(DraftFile.data)
        .join(Draft, Draft.id == DraftFile.draft_id)
        .where(Draft.slug == slug, DraftFile.path == path)
    )


def draft_paths(db, slug) -> set[str]:
    """Return the paths of a draft's files."""
    return set(
        db.session.scalars(
            sa.select(DraftFile.path).join(Draft, Draft.id == DraftFile.draft_id).where(Draft.slug == slug)
        )
    )


def base_of(client, url) -> str:
    """Return the hidden `base` hash the editor page carries."""
    match = re.search(
        r'name="base" type="hidden" value="([0-9a-f]*)"', client.get(url).get_data(as_text=True)
    )
    assert match, url
    return match.group(1)


def test_a_trainer_creates_a_course_and_owns_it(client, db, sign_in):
    trainer = sign_in("owner")
    response = client.post_form(
        "/author/new",
        {
            "slug": "advocacy-basics",
            "title": "Advocacy basics",
            "summary": "Why and how.",
            "default_locale": "en",
            "locales": ["en", "ar"],
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/author/advocacy-basics/")
    data = tomllib.loads(draft_file(db, "advocacy-basics", "course.toml").decode())
    assert data["slug"] == "advocacy-basics" and data["version"] == 1
    assert data["locales"] == ["en", "ar"] and data["title"] == {"en": "Advocacy basics"}
    assert (
        db.session.scalar(sa.select(CourseOwner.user_id).where(CourseOwner.course_slug == "advocacy-basics"))
        == trainer.id
    )
    assert courses.get_course("advocacy-basics") is None  # a draft, not published
    page = client.get("/author/").get_data(as_text=True)
    assert "Advocacy basics" in page


def test_a_slug_in_use_is_refused(client, db, sign_in, sample):
    sign_in("other")
    response = client.post_form(
        "/author/new",
        {"slug": "sample-course", "title": "T", "summary": "S", "default_locale": "en", "locales": ["en"]},
    )
    assert response.status_code == 200
    assert "exists already" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Draft).where(Draft.slug == "sample-course")) is None


def test_learners_and_managers_cannot_open_the_editor(client, sign_in):
    for who in ("learner", "manager"):
        sign_in(who)
        assert client.get("/author/").status_code == 403
    client.post_form("/logout")
    assert client.get("/author/").status_code == 302


def test_settings_rewrite_course_toml_and_keep_the_published_course(client, db, sign_in, sample):
    sign_in("owner")
    form = {
        "locales": ["en", "ar"],
        "default_locale": "en",
        "title_en": "New English title",
        "title_ar": "عنوان جديد",
        "title_fr": "Nouveau titre",
        "summary_en": 'A summary with "quotes" and a \\ backslash',
        "summary_ar": "ملخص",
        "pass_mark": "75",
        "certificate": "y",
        "certificate_valid_years": "2",
        "topic": "human-rights-mechanisms",
    }
    response = client.post_form(f"{BASE}/settings", form)
    assert response.status_code == 303
    data = tomllib.loads(draft_file(db, "sample-course", "course.toml").decode())
    assert data["title"] == {"en": "New English title", "ar": "عنوان جديد", "fr": "Nouveau titre"}
    assert data["summary"]["en"] == 'A summary with "quotes" and a \\ backslash'
    assert data["pass_mark"] == 75 and data["certificate_valid_years"] == 2 and data["version"] == 1
    # Learners keep seeing the published title until the draft is published.
    assert courses.get_course("sample-course").titles["en"] != "New English title"
    # The draft started from the published files: every other file is there, byte for byte.
    assert draft_paths(db, "sample-course") >= {"media/upr-cycle.png", "01-council-and-upr/quiz.ar.gift"}


def test_settings_need_a_title_for_every_language_taught(client, db, sign_in, sample):
    sign_in("owner")
    response = client.post_form(
        f"{BASE}/settings",
        {
            "locales": ["en", "ar", "fr"],
            "default_locale": "en",
            "title_en": "T",
            "title_ar": "ع",
            "summary_en": "S",
            "summary_ar": "م",
            "pass_mark": "70",
            "certificate_valid_years": "0",
        },
    )
    assert response.status_code == 200
    assert "Required for every language taught" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Draft).where(Draft.slug == "sample-course")) is None


def test_modules_are_added_renamed_reordered_and_deleted(client, db, sign_in, sample):
    sign_in("owner")
    assert (
        client.post_form(
            f"{BASE}/modules", {"slug": "regional-systems", "title": "Regional systems"}
        ).status_code
        == 303
    )
    assert draft_file(db, "sample-course", "03-regional-systems/module.toml") is not None
    # A slug already used is refused.
    client.post_form(f"{BASE}/modules", {"slug": "treaty-bodies", "title": "Again"})
    assert not any(p.startswith("04-") for p in draft_paths(db, "sample-course"))

    response = client.post_form(
        f"{BASE}/modules/regional-systems/",
        {
            "title_en": "Regional human rights systems",
            "title_ar": "الأنظمة الإقليمية",
            "requires_previous": "y",
            "quiz_max_attempts": "0",
            "quiz_feedback": "after_submit",
            "quiz_grading": "highest",
        },
    )
    assert response.status_code == 303
    data = tomllib.loads(draft_file(db, "sample-course", "03-regional-systems/module.toml").decode())
    assert data == {
        "requires_previous": True,
        "title": {"en": "Regional human rights systems", "ar": "الأنظمة الإقليمية"},
    }

    assert client.post_form(f"{BASE}/modules/regional-systems/move", {"direction": "up"}).status_code == 303
    paths = draft_paths(db, "sample-course")
    assert "02-regional-systems/module.toml" in paths and "03-treaty-bodies/01-shadow-reports.en.md" in paths
    assert not any(p.startswith("03-regional-systems/") for p in paths)

    # Deleting asks first: without the box ticked nothing happens.
    page = client.get(f"{BASE}/modules/treaty-bodies/delete")
    assert page.status_code == 200 and "Delete" in page.get_data(as_text=True)
    client.post_form(f"{BASE}/modules/treaty-bodies/delete", {})
    assert "03-treaty-bodies/module.toml" in draft_paths(db, "sample-course")
    assert client.post_form(f"{BASE}/modules/treaty-bodies/delete", {"confirm": "y"}).status_code == 303
    assert not any(p.startswith("03-treaty-bodies/") for p in draft_paths(db, "sample-course"))


def test_lessons_are_added_edited_moved_and_deleted(client, db, sign_in, sample):
    sign_in("owner")
    response = client.post_form(
        f"{BASE}/modules/council-and-upr/lessons",
        {"slug": "special-procedures", "title": "Special procedures"},
    )
    assert response.status_code == 303
    path = "01-council-and-upr/03-special-procedures.en.md"
    assert draft_file(db, "sample-course", path) == b"# Special procedures\n\n"
    # Lesson slugs are unique in the whole course.
    client.post_form(
        f"{BASE}/modules/treaty-bodies/lessons", {"slug": "special-procedures", "title": "Again"}
    )
    assert not any("treaty-bodies/02-" in p for p in draft_paths(db, "sample-course"))

    url = f"{BASE}/modules/council-and-upr/lessons/special-procedures/en"
    body = "# Special procedures\r\n\r\nIndependent experts.\r\n"
    response = client.post_form(url, {"body": body, "base": base_of(client, url), "action": "save"})
    assert response.status_code == 303
    assert draft_file(db, "sample-course", path) == b"# Special procedures\n\nIndependent experts.\n"

    client.post_form(f"{BASE}/modules/council-and-upr/lessons/special-procedures/move", {"direction": "up"})
    paths = draft_paths(db, "sample-course")
    assert "01-council-and-upr/02-special-procedures.en.md" in paths
    assert "01-council-and-upr/03-universal-periodic-review.ar.md" in paths

    client.post_form(f"{BASE}/modules/council-and-upr/lessons/special-procedures/delete", {"confirm": "y"})
    assert not any("special-procedures" in p for p in draft_paths(db, "sample-course"))


def test_a_lesson_without_a_title_line_is_not_saved(client, db, sign_in, sample):
    sign_in("owner")
    url = f"{LESSON}/en"
    response = client.post_form(
        url, {"body": "No title here", "base": base_of(client, url), "action": "save"}
    )
    assert response.status_code == 200
    assert "title" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Draft).where(Draft.slug == "sample-course")) is None


def test_preview_uses_the_learners_sanitiser_and_saves_nothing(client, db, sign_in, sample):
    sign_in("owner")
    url = f"{LESSON}/en"
    body = "# Preview\n\n<script>alert(1)</script> [x](javascript:alert(1)) ![map](media/upr-cycle.png) ![far](https://evil.example/x.png)"
    response = client.post_form(url, {"body": body, "base": base_of(client, url), "action": "preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    article = html.split('<article class="lesson card"', 1)[1].split("</article>", 1)[0]
    assert "<script" not in article and 'href="javascript' not in article and "evil.example" not in article
    assert 'src="/author/sample-course/media/upr-cycle.png"' in article
    assert db.session.scalar(sa.select(Draft).where(Draft.slug == "sample-course")) is None


def test_a_concurrent_edit_is_not_overwritten(client, db, sign_in, sample):
    sign_in("owner")
    url = f"{LESSON}/en"
    loaded = base_of(client, url)
    first = client.post_form(url, {"body": "# First\n\nOne.", "base": loaded, "action": "save"})
    assert first.status_code == 303
    second = client.post_form(url, {"body": "# Second\n\nTwo.", "base": loaded, "action": "save"})
    assert second.status_code == 409
    assert "Someone saved this file" in second.get_data(as_text=True)
    assert (
        draft_file(db, "sample-course", "01-council-and-upr/01-human-rights-council.en.md")
        == b"# First\n\nOne."
    )


def test_every_change_is_recorded_and_a_lesson_can_be_restored(client, db, sign_in, sample, people):
    sign_in("owner")
    url = f"{LESSON}/en"
    original = draft_file(db, "sample-course", "x") or courses_file(
        db, "01-council-and-upr/01-human-rights-council.en.md"
    )
    client.post_form(url, {"body": "# Changed\n\nNew text.", "base": base_of(client, url), "action": "save"})
    # Reordering renames the file; the lesson's history follows it.
    client.post_form(
        f"{BASE}/modules/council-and-upr/lessons/human-rights-council/move", {"direction": "down"}
    )

    history = client.get(f"{BASE}/history").get_data(as_text=True)
    assert "Amal" in history and "Edited a lesson" in history and "Moved a lesson" in history
    revisions = services.lesson_history(
        services.workspace(people["owner"], "sample-course"), "human-rights-council", "en"
    ).items
    first = next(e.revision for e in reversed(revisions) if e.revision.data == original)
    page = client.get(f"{BASE}/revisions/{first.id}")
    assert page.status_code == 200 and "Restore" in page.get_data(as_text=True)
    assert client.post_form(f"{BASE}/revisions/{first.id}/restore").status_code == 303
    assert draft_file(db, "sample-course", "01-council-and-upr/02-human-rights-council.en.md") == original
    who = db.session.scalar(sa.select(DraftChange.user_id).where(DraftChange.action == "restore"))
    assert who == people["owner"].id
    lesson_page = client.get(f"{LESSON}/history").get_data(as_text=True)
    assert lesson_page.count("View or restore") >= 3


def courses_file(db, path) -> bytes:
    """Return a file of the published sample course."""
    course = courses.get_course("sample-course")
    return courses.course_files(course)[path]


def test_a_deleting_revision_cannot_be_restored(client, db, sign_in, sample):
    sign_in("owner")
    client.post_form(f"{BASE}/modules/treaty-bodies/delete", {"confirm": "y"})
    deleted = db.session.scalar(sa.select(FileRevision).where(FileRevision.data.is_(None)).limit(1))
    response = client.post_form(f"{BASE}/revisions/{deleted.id}/restore")
    assert response.status_code == 303
    assert "deleted the file" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_owners_add_co_trainers_but_not_learners(client, db, sign_in, sample, people):
    sign_in("owner")
    client.post_form(f"{BASE}/owners", {"username": "learner-one"})
    client.post_form(f"{BASE}/owners", {"username": "nobody-at-all"})
    assert not services.can_edit(people["learner"], "sample-course")
    assert not services.can_edit(people["other"], "sample-course")
    assert client.post_form(f"{BASE}/owners", {"username": "trainer-other"}).status_code == 303
    assert services.can_edit(people["other"], "sample-course")
    page = client.get(f"{BASE}/").get_data(as_text=True)
    assert "Omar" in page
    # The co-trainer now edits the course too, and can be removed again.
    sign_in("other")
    assert client.get(f"{BASE}/").status_code == 200
    sign_in("owner")
    client.post_form(f"{BASE}/owners/{people['other'].id}/remove")
    assert not services.can_edit(people["other"], "sample-course")
    # The last owner stays.
    client.post_form(f"{BASE}/owners/{people['owner'].id}/remove")
    assert services.can_edit(people["owner"], "sample-course")


def test_admins_edit_every_course(client, db, sign_in, sample, foreign):
    sign_in("admin")
    assert client.get(f"{BASE}/").status_code == 200
    assert client.get("/author/foreign-course/").status_code == 200
    page = client.get("/author/").get_data(as_text=True)
    assert "sample-course" in page and "foreign-course" in page


def test_a_trainer_lists_only_their_own_courses(client, sign_in, sample, foreign):
    sign_in("owner")
    page = client.get("/author/").get_data(as_text=True)
    assert "sample-course" in page and "foreign-course" not in page


def test_editing_pages_are_right_to_left_in_arabic(client, sign_in, sample):
    sign_in("owner")
    client.post_form("/language", {"lang": "ar", "next": "/"})
    for url in (
        f"{LESSON}/ar",
        f"{BASE}/settings",
        f"{BASE}/modules/council-and-upr/quiz/ar/question?qid=m1-q01",
    ):
        html = client.get(url).get_data(as_text=True)
        assert '<html lang="ar" dir="rtl">' in html, url
        for textarea in re.findall(r"<textarea[^>]*>", html):
            assert 'dir="auto"' in textarea, (url, textarea)
        assert "style=" not in html
        assert_only_the_exit_script(html)
