"""Who and what a cohort holds, as live sessions need it: its members, courses and peer groups."""

from collections.abc import Iterable

import sqlalchemy as sa

from lms.cohorts.models import Cohort, CohortCourse, CohortMember
from lms.courses.models import Course
from lms.extensions import db


def cohorts_teaching(course_slugs: Iterable[str] | None) -> list[Cohort]:
    """Return the cohorts that follow any of these courses (None: every course), by name."""
    query = sa.select(Cohort).order_by(Cohort.name, Cohort.id)
    if course_slugs is not None:
        slugs = list(course_slugs)
        query = query.where(
            Cohort.id.in_(
                sa.select(CohortCourse.cohort_id)
                .join(Course, Course.id == CohortCourse.course_id)
                .where(Course.slug.in_(slugs))
            )
        )
    return list(db.session.scalars(query))


def peer_group(user, course: Course) -> str | None:
    """Return "cohort-<id>" for the learner's first cohort following this course, or None."""
    cohort_id = db.session.scalar(
        sa.select(CohortMember.cohort_id)
        .join(CohortCourse, CohortCourse.cohort_id == CohortMember.cohort_id)
        .where(CohortMember.user_id == user.id, CohortCourse.course_id == course.id)
        .order_by(CohortMember.cohort_id)
        .limit(1)
    )
    return None if cohort_id is None else f"cohort-{cohort_id}"


def member_ids(cohort_id: int) -> set[int]:
    """Return the user ids of a cohort's members."""
    return set(db.session.scalars(sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)))


def cohort_courses(cohort_id: int) -> list[Course]:
    """Return the courses a cohort takes."""
    return list(
        db.session.scalars(
            sa.select(Course)
            .join(CohortCourse, CohortCourse.course_id == Course.id)
            .where(CohortCourse.cohort_id == cohort_id)
            .order_by(Course.slug)
        )
    )
