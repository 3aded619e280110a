"""The learner's path: catalog, enrolment, lessons, progress, locks, completion, light pages."""

import re
import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from lms.courses import services
from lms.courses.models import Enrolment, Lesson, LessonProgress
from lms.extensions import db as _db
from tests.conftest import PASSWORD
from tests.core.scripts import assert_only_the_exit_script
from tests.courses.course_builder import write_course


@pytest.fixture
def course(db, tmp_path):
    services.import_path(write_course(tmp_path, arabic_missing={"m1-lesson-2"}))
    return services.get_course("built-course")


@pytest.fixture
def learner(make_user, auth):
    user = make_user(username="learner-path")
    auth.login("learner-path")
    return user


def _enroll(client, slug="built-course"):
    return client.post_form(f"/courses/{slug}/enroll", token_from=f"/courses/{slug}/")


def _done(client, path):
    return client.post_form(f"{path}/done", token_from=path)


def test_catalog_lists_and_filters(client, course):
    body = client.get("/courses/").get_data(as_text=True)
    assert "Course built-course (en)" in body and "العربية" in body
    assert "Course built-course" in client.get("/courses/?topic=lobbying&lang=ar").get_data(as_text=True)
    assert "Course built-course" not in client.get("/courses/?lang=tr").get_data(as_text=True)
    assert "Course built-course" not in client.get("/courses/?topic=funding").get_data(as_text=True)


def test_enrolling_twice_is_harmless(client, course, learner, db):
    assert _enroll(client).status_code == 303
    assert _enroll(client).status_code == 303
    count = db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.user_id == learner.id))
    assert count == 1


def test_lesson_in_arabic_and_fallback_with_a_note(client, course):
    ar = {"Accept-Language": "ar"}
    page = client.get("/courses/built-course/module-1/m1-lesson-1", headers=ar).get_data(as_text=True)
    assert "الدرس m1-lesson-1" in page and 'dir="rtl"' in page
    fallback = client.get("/courses/built-course/module-1/m1-lesson-2", headers=ar).get_data(as_text=True)
    assert "Lesson m1-lesson-2" in fallback
    assert 'class="note"' in fallback


def test_lesson_ids_are_checked_against_their_parent(client, course):
    assert client.get("/courses/built-course/module-2/m1-lesson-1").status_code == 404
    assert client.get("/courses/no-such-course/module-1/m1-lesson-1").status_code == 404


def test_mark_done_is_idempotent_and_moves_on(client, course, learner, db):
    _enroll(client)
    path = "/courses/built-course/module-1/m1-lesson-1"
    first = _done(client, path)
    assert first.status_code == 303 and first.headers["Location"].endswith("/module-1/m1-lesson-2")
    _done(client, path)
    rows = db.session.scalar(
        sa.select(sa.func.count(LessonProgress.id)).where(LessonProgress.user_id == learner.id)
    )
    assert rows == 1


def test_marking_done_needs_enrolment_and_a_post(client, course, learner, db):
    path = "/courses/built-course/module-1/m1-lesson-1"
    assert client.get(f"{path}/done").status_code == 405
    _done(client, path)
    assert db.session.scalar(sa.select(sa.func.count(LessonProgress.id))) == 0


def test_locked_module_explains_why(client, db, tmp_path, learner):
    services.import_path(write_course(tmp_path, slug="locked", requires_previous=True))
    _enroll(client, "locked")
    page = client.get("/courses/locked/").get_data(as_text=True)
    assert "complete the previous module" in page
    response = client.get("/courses/locked/module-2/m2-lesson-1")
    assert response.status_code == 303
    assert _done(client, "/courses/locked/module-1/m1-lesson-1").status_code == 303
    assert client.post_form("/courses/locked/module-2/m2-lesson-1/done").status_code == 403
    _done(client, "/courses/locked/module-1/m1-lesson-2")
    assert client.get("/courses/locked/module-2/m2-lesson-1").status_code == 200


def test_full_path_to_completion_and_my_learning(client, course, learner, db):
    _enroll(client)
    client.get("/courses/built-course/module-1/m1-lesson-2")
    me = client.get("/me/").get_data(as_text=True)
    assert "Continue where you left off" in me and "/module-1/m1-lesson-2" in me
    assert 'value="0"' in me
    for lesson in db.session.scalars(sa.select(Lesson).order_by(Lesson.sequence)).all():
        _done(client, f"/courses/built-course/{lesson.module.slug}/{lesson.slug}")
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == learner.id))
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None
    first_completion = enrolment.completed_at
    _done(client, "/courses/built-course/module-1/m1-lesson-1")
    db.session.refresh(enrolment)
    assert enrolment.completed_at == first_completion
    from lms.records.models import Statement

    rows = db.session.execute(
        sa.select(Statement.verb, Statement.object_id).where(Statement.actor_id == learner.public_id)
    ).all()
    verbs = [verb for verb, _object in rows]
    course_iri = services.activity_iri("built-course", "")
    completed = [o for v, o in rows if v == "http://adlnet.gov/expapi/verbs/completed"]
    assert completed.count(course_iri) == 1  # recorded once, with its time
    # Each lesson done once is one more "completed" record (the lesson marked done twice: once).
    assert len(completed) == 1 + db.session.scalar(sa.select(sa.func.count()).select_from(Lesson))
    assert verbs.count("http://adlnet.gov/expapi/verbs/registered") == 1
    assert "Completed on" in client.get("/me/").get_data(as_text=True)


def test_lesson_page_stays_light(client, course, learner):
    _enroll(client)
    for headers in ({}, {"Accept-Language": "ar"}):
        page = client.get("/courses/built-course/module-1/m1-lesson-1", headers=headers)
        html = page.get_data()
        assert_only_the_exit_script(html.decode())
        total = len(html)
        assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(
            rb'<script src="([^"]+)"', html
        )
        for href in assets:
            asset = client.get(href.decode())
            total += len(asset.get_data())
            asset.close()
        assert total < 30 * 1024, total


@contextmanager
def count_queries():
    statements = []

    def _count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", _count)


@pytest.mark.parametrize(
    "path", ["/courses/", "/courses/{slug}/", "/courses/{slug}/module-1/m1-lesson-2", "/me/"]
)
def test_query_counts_do_not_grow_with_the_course(client, db, tmp_path, learner, path):
    counts = []
    for lessons in (2, 25):  # 2 modules x 2 = 4 lessons vs 2 x 25 = 50
        slug = f"size-{lessons}"
        services.import_path(write_course(tmp_path / slug, slug=slug, lessons_per_module=lessons))
        _enroll(client, slug)
        for n in range(1, lessons + 1):
            _done(client, f"/courses/{slug}/module-1/m1-lesson-{n}")
        url = path.format(slug=slug)
        client.get(url)  # warm caches
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_concurrent_mark_done_gives_one_row(race_app, tmp_path):
    from lms.accounts import services as accounts

    with race_app.app_context():
        services.import_path(write_course(tmp_path, slug="race-course"))
        user = accounts.register("racer", PASSWORD)
        course = services.get_course("race-course")
        services.enroll(user, course)
        _db.session.commit()
        user_id, course_id = user.id, course.id
    errors, barrier = [], threading.Barrier(6)

    def worker():
        try:
            with race_app.app_context():
                u = accounts.get_user(user_id)
                c = _db.session.get(type(course), course_id)
                lesson = services.get_lesson(c, "module-1", "m1-lesson-1")
                barrier.wait()
                services.record_lesson_done(u, c, lesson)
                _db.session.commit()
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        with race_app.app_context():
            count = _db.session.scalar(
                sa.select(sa.func.count(LessonProgress.id)).where(LessonProgress.user_id == user_id)
            )
            assert count == 1
    finally:
        with race_app.app_context():
            _db.session.execute(sa.delete(services.Course).where(services.Course.slug == "race-course"))
            _db.session.execute(sa.text("DELETE FROM users WHERE username_key = 'racer'"))
            _db.session.commit()


def test_concurrent_enrolments_give_one_enrolment(race_app, tmp_path):
    from lms.accounts import services as accounts
    from lms.courses.models import Enrolment

    with race_app.app_context():
        services.import_path(write_course(tmp_path, slug="race-enrol"))
        user = accounts.register("enrol-racer", PASSWORD)
        _db.session.commit()
        user_id, actor, course_id = user.id, user.public_id, services.get_course("race-enrol").id
    errors, barrier = [], threading.Barrier(6)

    def worker():
        try:
            with race_app.app_context():
                u = accounts.get_user(user_id)
                c = _db.session.get(services.Course, course_id)
                barrier.wait()
                services.enroll(u, c)
                _db.session.commit()
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        with race_app.app_context():
            count = _db.session.scalar(
                sa.select(sa.func.count(Enrolment.id)).where(Enrolment.user_id == user_id)
            )
            assert count == 1
    finally:
        with race_app.app_context():
            _db.session.execute(sa.text("DELETE FROM statements WHERE actor_id = :a"), {"a": actor})
            _db.session.execute(sa.delete(services.Course).where(services.Course.slug == "race-enrol"))
            _db.session.execute(sa.text("DELETE FROM users WHERE username_key = 'enrol-racer'"))
            _db.session.commit()


def test_largest_shipped_lesson_page_stays_light(client, db, runner):
    """The heaviest real lesson, in Arabic (two bytes a letter), with CSS, under 30 KB."""
    from pathlib import Path

    from lms.courses.models import LessonContent

    assert runner.invoke(args=["courses", "load-all"]).exit_code == 0
    biggest = db.session.scalars(sa.select(LessonContent)).all()
    content = max(biggest, key=lambda c: len(c.body_md.encode()))
    lesson = db.session.get(Lesson, content.lesson_id)
    course = db.session.get(services.Course, lesson.course_id)
    url = f"/courses/{course.slug}/{lesson.module.slug}/{lesson.slug}"
    page = client.get(url, headers={"Accept-Language": content.locale})
    assert page.status_code == 200
    css = Path(client.application.static_folder, "style.css").stat().st_size
    assert len(page.get_data()) + css < 30 * 1024, (url, len(page.get_data()), css)
