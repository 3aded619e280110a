"""Reads other domains make of courses: courses by slug, learners' progress, and the errors' statuses."""

import dataclasses

import pytest
import sqlalchemy as sa

from lms.core.errors import DomainError
from lms.courses import services
from lms.courses.models import Course
from tests.courses.course_builder import write_course
from tests.courses.test_learner_path import count_queries


@pytest.fixture
def two_courses(db, tmp_path):
    services.import_path(write_course(tmp_path / "a", slug="first-course"))
    services.import_path(write_course(tmp_path / "b", slug="second-course"))
    db.session.execute(sa.update(Course).where(Course.slug == "second-course").values(is_published=False))
    db.session.flush()


def test_courses_by_slug_finds_published_and_unpublished_in_one_query(two_courses):
    with count_queries() as statements:
        found = services.courses_by_slug(["first-course", "second-course", "missing"])
    assert len(statements) == 1
    assert sorted(found) == ["first-course", "second-course"]
    assert all(isinstance(course, Course) and course.slug == slug for slug, course in found.items())
    assert services.courses_by_slug([]) == {}
    assert {"first-course", "second-course"} <= set(services.courses_by_slug(None))


def test_learner_progress_counts_lessons_still_in_the_course_without_private_data(db, tmp_path, make_user):
    services.import_path(write_course(tmp_path / "v1", slug="followed"))
    course = services.get_course("followed")
    named = make_user(username="named-learner", display_name="Rima Haddad")
    unnamed = make_user(username="unnamed-learner", display_name="")
    services.enroll(named, course)
    services.enroll(unnamed, course)
    services.mark_lesson_done(named, course, "module-1", "m1-lesson-1")
    services.mark_lesson_done(named, course, "module-1", "m1-lesson-2")
    services.mark_lesson_done(unnamed, course, "module-1", "m1-lesson-1")
    # A new version without m1-lesson-2: the learner's record of it stays but no longer counts.
    services.import_path(
        write_course(
            tmp_path / "v2", slug="followed", version=2, lesson_names=[["m1-lesson-1"], ["m2-lesson-1"]]
        )
    )

    with count_queries() as statements:
        rows = services.learner_progress(course)
    assert len(statements) == 2
    assert [(r.name, r.number, r.lessons_done, r.completed_at) for r in rows] == [
        ("Rima Haddad", 1, 1, None),
        ("", 2, 1, None),
    ]
    assert all(isinstance(r, services.LearnerProgress) for r in rows)
    fields = {f.name for f in dataclasses.fields(services.LearnerProgress)}
    assert not fields & {"username", "email", "user_id"}
    assert "named-learner" not in repr(rows) and "unnamed-learner" not in repr(rows)


def test_a_course_nobody_enrolled_in_has_no_learners(two_courses):
    assert services.learner_progress(services.get_course("first-course")) == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (services.CourseError("x"), 400),
        (services.ImportRefused("x"), 409),
        (services.NotEnrolled("x"), 403),
        (services.ModuleLocked(), 403),
    ],
)
def test_course_errors_are_domain_errors_with_their_status(error, status):
    assert isinstance(error, DomainError) and error.status == status
