"""Fixtures for live sessions: a cohort of one organisation, its manager, learners and a trainer."""

from dataclasses import dataclass

import pytest

from lms.accounts import services as accounts
from lms.accounts.models import Role
from lms.cohorts.models import CohortMember
from lms.courses import services as courses
from lms.reports import cohorts as report_cohorts
from lms.reports import services as report_services
from tests.courses.course_builder import write_course


@dataclass
class Setup:
    """Handles on the seeded objects."""

    course: object
    cohort: object
    org: object
    manager: object  # manages the cohort's organisation
    stranger_manager: object  # manages another organisation
    trainer: object  # facilitator (no course ownership)
    learners: list  # members of the cohort, enrolled in the course
    outsider: object  # a learner outside the cohort


@pytest.fixture
def live(db, tmp_path, make_user, make_organisation):
    """A cohort taking one course, run for one organisation, with three learners."""
    courses.import_path(write_course(tmp_path, "live-course", modules=1, lessons_per_module=1))
    course = courses.get_course("live-course")
    org = make_organisation("Partner NGO", "LB")
    other_org = make_organisation("Other NGO", "TR")
    manager = make_user(role=Role.MANAGER, username="live-manager")
    stranger = make_user(role=Role.MANAGER, username="other-manager")
    report_services.grant_scope(None, manager, org)
    report_services.grant_scope(None, stranger, other_org)
    trainer = make_user(role=Role.TRAINER, username="live-trainer", display_name="Trainer T")
    learners = [
        make_user(username="lina", email="lina@example.org", locale="ar"),
        make_user(username="omar", email="omar@example.org"),
        make_user(username="sara"),
    ]
    outsider = make_user(username="outsider")
    cohort = report_cohorts.create_cohort(
        None,
        report_services.scope_for(manager),
        name="Geneva briefing 2026",
        course_ids=[course.id],
        organisation_ids=[org.id],
        starts_on=None,
        ends_on=None,
    )
    for user in learners:
        accounts.join_organisation(user, org)
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, source="upload"))
        courses.enroll(user, course)
    db.session.flush()
    return Setup(course, cohort, org, manager, stranger, trainer, learners, outsider)
