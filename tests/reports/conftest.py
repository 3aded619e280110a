"""Fixtures for reports: a small programme with organisations, learners, progress and managers."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.accounts.models import Role
from lms.courses import services as courses
from lms.courses.models import Enrolment, Lesson, LessonProgress
from lms.reports import services
from lms.reports.models import LearnerDemographics
from tests.courses.course_builder import write_course

T0 = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)


@dataclass
class Programme:
    """Handles on the seeded objects."""

    course: object
    other_course: object
    org_a: object
    org_b: object
    org_c: object
    alice: object  # member of A
    bob: object  # member of A and B
    carol: object  # member of B
    dave: object  # member of C
    erin: object  # no organisation
    manager_a: object  # manages A
    manager_b: object  # manages B
    programme_manager: object


def enrol(db, user, course, *, done: int = 0, completed_at=None, enrolled_at=T0, last_activity_at=None):
    """Enrol a learner directly, with `done` lessons marked and maybe a completion time."""
    enrolment = Enrolment(
        user_id=user.id,
        course_id=course.id,
        enrolled_at=enrolled_at,
        last_activity_at=last_activity_at or enrolled_at,
        completed_at=completed_at,
    )
    db.session.add(enrolment)
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.sequence).limit(done)
    ).all()
    for lesson in lessons:
        db.session.add(
            LessonProgress(
                user_id=user.id, course_id=course.id, lesson_slug=lesson.slug, completed_at=enrolled_at
            )
        )
    db.session.flush()
    return enrolment


def share(db, user, gender=None, age_band=None, is_shared=True):
    """Store a learner's demographics."""
    db.session.add(
        LearnerDemographics(user_id=user.id, gender=gender, age_band=age_band, is_shared=is_shared)
    )
    db.session.flush()


@pytest.fixture
def courses_imported(db, tmp_path):
    """Two courses: one in English and Arabic (4 lessons), one in English (2 lessons)."""
    courses.import_path(write_course(tmp_path, "course-a"))
    courses.import_path(write_course(tmp_path, "course-b", modules=1, locales=("en",)))
    return courses.get_course("course-a"), courses.get_course("course-b")


@pytest.fixture
def programme(db, make_user, make_organisation, courses_imported):
    """Organisations A (LB), B (TN), C (EG); five learners; managers of A, of B, of everything."""
    course, other = courses_imported
    org_a = make_organisation("Organisation A", "LB")
    org_b = make_organisation("Organisation B", "TN")
    org_c = make_organisation("Organisation C", "EG")
    alice = make_user(username="alice", display_name="Alice", locale="ar")
    bob = make_user(username="bob", display_name="Bob")
    carol = make_user(username="carol", display_name="Carol")
    dave = make_user(username="dave", display_name="Dave")
    erin = make_user(username="erin", display_name="Erin")
    accounts.join_organisation(alice, org_a)
    accounts.join_organisation(bob, org_a)
    accounts.join_organisation(bob, org_b)
    accounts.join_organisation(carol, org_b)
    accounts.join_organisation(dave, org_c)
    manager_a = make_user(role=Role.MANAGER, username="manager-a")
    manager_b = make_user(role=Role.MANAGER, username="manager-b")
    programme_manager = make_user(role=Role.MANAGER, username="manager-all")
    services.grant_scope(None, manager_a, org_a)
    services.grant_scope(None, manager_b, org_b)
    services.grant_scope(None, programme_manager, None)
    enrol(db, alice, course, done=4, completed_at=datetime(2025, 2, 1, 12, tzinfo=UTC))
    enrol(db, bob, course, done=1)
    enrol(db, bob, other)
    enrol(db, carol, course, enrolled_at=datetime(2025, 3, 3, tzinfo=UTC))
    enrol(db, dave, course, done=2)
    enrol(db, erin, other, done=2, completed_at=datetime(2025, 3, 10, tzinfo=UTC))
    return Programme(
        course,
        other,
        org_a,
        org_b,
        org_c,
        alice,
        bob,
        carol,
        dave,
        erin,
        manager_a,
        manager_b,
        programme_manager,
    )
