"""Reads other domains make of courses: courses by slug, learners' progress, and the errors' statuses."""

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
