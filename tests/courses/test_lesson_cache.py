"""Lesson pages from the per-process outline cache: new imports seen at once, own progress, few queries."""

import pytest
import sqlalchemy as sa

from lms.courses import services
from lms.courses.models import Course
from lms.extensions import db as _db
from tests.conftest import CSRF_RE
from tests.courses.course_builder import write_course
from tests.courses.test_learner_path import count_queries

LESSON = "/courses/cached/module-1/m1-lesson-1"


@pytest.fixture
def learner(make_user, auth):
    user = make_user(username="cache-learner")
    auth.login("cache-learner")
    return user


def _import(root, *, version=1, text=None, lesson_names=None):
    folder = write_course(root, slug="cached", version=version, lesson_names=lesson_names)
    if text:
        (folder / "01-module-1" / "01-m1-lesson-1.en.md").write_text(
            f"# Lesson one\n\n{text}\n", encoding="utf-8"
        )
    return services.import_path(folder)


def _page(client, path=LESSON, **headers):
    response = client.get(path, headers=headers)
    return response.status_code, response.get_data(as_text=True)


def test_a_new_import_is_seen_at_once(client, db, tmp_path, learner):
    _import(tmp_path / "v1", text="The first wording.")
    assert "The first wording." in _page(client)[1]
    assert "The first wording." in _page(client)[1]  # now from the cache

    _import(tmp_path / "v2", version=2, text="The second wording.")
    status, body = _page(client)
    assert status == 200 and "The second wording." in body and "The first wording." not in body


def test_a_new_import_changes_the_outline_at_once(client, db, tmp_path, learner):
    _import(tmp_path / "v1")
    assert _page(client, "/courses/cached/module-1/m1-lesson-2")[0] == 200
    assert "m1-lesson-2" in _page(client)[1]  # the "next" link

    _import(tmp_path / "v2", version=2, lesson_names=[["m1-lesson-1", "m1-fresh"], ["m2-lesson-1"]])
    assert _page(client, "/courses/cached/module-1/m1-lesson-2")[0] == 404
    status, body = _page(client)
    assert status == 200 and "/courses/cached/module-1/m1-fresh" in body
    assert _page(client, "/courses/cached/module-1/m1-fresh")[0] == 200


def test_a_change_made_only_in_the_database_is_seen(client, db, tmp_path, learner):
    """Another app server's import reaches this one through the course row: unpublishing, for one."""
    _import(tmp_path / "v1")
    assert _page(client)[0] == 200
    db.session.execute(sa.update(Course).where(Course.slug == "cached").values(is_published=False))
    db.session.flush()
    assert _page(client)[0] == 404


def test_each_learner_sees_their_own_progress_and_language(client, db, tmp_path, make_user, auth):
    _import(tmp_path / "v1")
    make_user(username="first-learner")
    make_user(username="second-learner", locale="ar")
    auth.login("first-learner")
    client.post_form("/courses/cached/enroll", token_from="/courses/cached/")
    client.post_form(f"{LESSON}/done", token_from=LESSON)
    assert 'class="done-note"' in _page(client)[1]
    auth.logout()

    auth.login("second-learner")
    body = _page(client)[1]
    assert 'class="done-note"' not in body and f'action="{LESSON}/done"' not in body  # not enrolled
    assert "الدرس m1-lesson-1" in body and 'dir="rtl"' in body


def test_a_signed_in_lesson_page_reads_the_database_twice(client, db, tmp_path, learner):
    """The session with its user, then the course's version with the learner's progress."""
    _import(tmp_path / "v1")
    client.post_form("/courses/cached/enroll", token_from="/courses/cached/")
    client.get(LESSON)  # warm the cache; remembers the lesson as the last one read
    with count_queries() as statements:
        assert client.get(LESSON).status_code == 200
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, statements
    assert len(statements) == 2, statements  # nothing is written on a plain read


def test_reading_another_lesson_remembers_it(client, db, tmp_path, learner):
    _import(tmp_path / "v1")
    client.post_form("/courses/cached/enroll", token_from="/courses/cached/")
    client.get("/courses/cached/module-1/m1-lesson-2")
    enrolment = _db.session.scalar(sa.select(services.Enrolment))
    _db.session.refresh(enrolment)
    assert enrolment.last_lesson_slug == "m1-lesson-2"


def test_the_shared_part_of_a_lesson_page_is_kept_per_language(client, db, tmp_path):
    _import(tmp_path / "v1")
    lesson_two = "/courses/cached/module-1/m1-lesson-2"
    english = _page(client, lesson_two, **{"Accept-Language": "en"})[1]
    arabic = _page(client, lesson_two, **{"Accept-Language": "ar"})[1]
    french = _page(client, lesson_two, **{"Accept-Language": "fr"})[1]
    # From the cache: the same page but for the signed CSRF token, whose timestamp may differ.
    assert CSRF_RE.sub("", _page(client, lesson_two, **{"Accept-Language": "en"})[1]) == CSRF_RE.sub(
        "", english
    )
    assert 'rel="prev" href="/courses/cached/module-1/m1-lesson-1"' in english
    assert 'rel="next"' in english and 'aria-label="You are here"' in english
    assert (
        'lang="ar"' in arabic
        and "الدرس m1-lesson-2" in arabic
        and "This lesson is not available" not in arabic
    )
    # No French text: the English lesson with a note, in French, naming the language in itself.
    assert "English" in french and 'article class="lesson" lang="en"' in french
    assert "This lesson is not available" not in french and 'aria-label="You are here"' not in french
