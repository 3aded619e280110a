"""Fixtures for the practice-task tests: a course with a task, its mentor, learners."""

import pytest

from lms.accounts.models import Role
from lms.authoring.models import CourseOwner
from lms.courses import services as courses
from tests.tasks.builder import write_task_course

BASE = "/courses/task-course/module-1/task"


@pytest.fixture
def task_course(tmp_path, db):
    """The imported course whose first module has a mentor-reviewed task."""
    return courses.import_path(write_task_course(tmp_path)).course


@pytest.fixture
def task(task_course):
    """The course's task."""
    return courses.load_outline(task_course)[0].task


@pytest.fixture
def mentor(make_user, db, task_course):
    """A trainer who owns the course."""
    user = make_user(role=Role.TRAINER, username="mentor")
    db.session.add(CourseOwner(course_slug=task_course.slug, user_id=user.id, added_by_id=user.id))
    db.session.flush()
    return user


@pytest.fixture
def enrolled(make_user, task_course):
    """Factory: an enrolled learner."""

    def _make(username: str):
        user = make_user(username=username, display_name=f"Name of {username}")
        courses.enroll(user, task_course)
        return user

    return _make
