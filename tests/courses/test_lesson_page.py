"""One call for a lesson page's data: frozen, the learner's own standing, few queries cold and warm."""

import dataclasses

import pytest

from lms.core.caches import caches
from lms.core.errors import NotFoundError
from lms.courses import services
from tests.courses.course_builder import write_course
from tests.courses.test_learner_path import count_queries


@pytest.fixture
def course(db, tmp_path):
    services.import_path(write_course(tmp_path, slug="paged", arabic_missing={"m1-lesson-2"}))
    return services.get_course("paged")


def test_the_page_data_is_frozen_and_says_the_learners_standing(app, course, make_user):
    learner = make_user(username="page-reader")
    view = services.lesson_page(learner, "paged", "module-1", "m1-lesson-1", "en")
    assert isinstance(view, services.LessonView)
    assert view.lesson.slug == "m1-lesson-1" and view.page.title and view.page.html
    assert view.course.slug == "paged" and view.page.next.slug == "m1-lesson-2"
    assert (view.is_enrolled, view.is_done, view.moves_place) == (False, False, False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.is_done = True

    enrolment = services.enroll(learner, course)
    services.mark_lesson_done(learner, course, "module-1", "m1-lesson-1")
    view = services.lesson_page(learner, "paged", "module-1", "m1-lesson-1", "en")
    assert view.is_enrolled and view.enrolment_id == enrolment.id and view.is_done
    assert not view.moves_place  # marking it done made it the learner's place
    other = services.lesson_page(learner, "paged", "module-1", "m1-lesson-2", "en")
    assert other.moves_place and not other.is_done


def test_a_missing_translation_falls_back_with_a_note(course):
    view = services.lesson_page(None, "paged", "module-1", "m1-lesson-2", "ar")
    assert view.page.is_fallback and view.page.locale == "en"
    assert not services.lesson_page(None, "paged", "module-1", "m1-lesson-1", "ar").page.is_fallback


@pytest.mark.parametrize(
    ("slug", "module_slug", "lesson_slug"),
    [
        ("nowhere", "module-1", "m1-lesson-1"),
        ("paged", "module-2", "m1-lesson-1"),
        ("paged", "module-1", "x"),
    ],
)
def test_what_does_not_exist_is_not_found(course, slug, module_slug, lesson_slug):
    with pytest.raises(NotFoundError) as caught:
        services.lesson_page(None, slug, module_slug, lesson_slug, "en")
    assert caught.value.status == 404


def test_a_locked_module_is_refused(db, tmp_path, make_user):
    services.import_path(write_course(tmp_path, slug="gated", requires_previous=True))
    learner = make_user(username="gated-reader")
    services.enroll(learner, services.get_course("gated"))
    with pytest.raises(services.ModuleLocked) as caught:
        services.lesson_page(learner, "gated", "module-2", "m2-lesson-1", "en")
    assert caught.value.status == 403


def test_queries_cold_and_warm(app, course, make_user):
    learner = make_user(username="counted-reader")
    services.enroll(learner, course)
    caches(app).outlines.clear()
    counts = []
    for lesson in ("m1-lesson-1", "m1-lesson-1", "m1-lesson-2"):
        with count_queries() as statements:
            services.lesson_page(learner, "paged", "module-1", lesson, "en")
        counts.append(len(statements))
    # Cold: standing, course, modules and lessons, media sizes, the lesson's content. Warm: the
    # standing alone; another lesson of a warm outline: its content once.
    assert counts == [5, 1, 2]


def test_marking_done_needs_enrolment_and_an_open_module_and_says_what_comes_next(db, tmp_path, make_user):
    services.import_path(write_course(tmp_path, slug="stepped", requires_previous=True))
    course = services.get_course("stepped")
    learner = make_user(username="stepping-learner")
    with pytest.raises(services.NotEnrolled):
        services.mark_lesson_done(learner, course, "module-1", "m1-lesson-1")
    services.enroll(learner, course)
    with pytest.raises(NotFoundError):
        services.mark_lesson_done(learner, course, "module-2", "m1-lesson-1")
    with pytest.raises(services.ModuleLocked):
        services.mark_lesson_done(learner, course, "module-2", "m2-lesson-1")
    lesson, following = services.mark_lesson_done(learner, course, "module-1", "m1-lesson-1")
    assert (lesson.slug, following.slug) == ("m1-lesson-1", "m1-lesson-2")
    lesson, following = services.mark_lesson_done(learner, course, "module-1", "m1-lesson-2")
    assert following.slug == "m2-lesson-1"  # the next module, now open
    services.mark_lesson_done(learner, course, "module-2", "m2-lesson-1")
    _lesson, following = services.mark_lesson_done(learner, course, "module-2", "m2-lesson-2")
    assert following is None
    assert services.get_enrolment(learner, course).completed_at is not None
