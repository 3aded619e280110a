"""The completion records as ONE SQL statement: every column a correlated subquery, in export order."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import Membership, Organisation, User
from lms.certificates.models import Certificate
from lms.cohorts import services as cohort_services
from lms.courses.models import Course, Enrolment, Module
from lms.quizzes.models import Attempt, Quiz
from lms.reports.filters import ReportFilter, Scope
from lms.reports.models import LearnerDemographics
from lms.reports.practice import task_columns
from lms.reports.queries import filtered, graded, lessons_done
from lms.reports.sql import code_point_order, iso_utc, joined, score_text

# Joins a learner's organisation names in one column: a character no name contains, so that
# the names split back exactly (the export shows them joined with "; ").
ORGANISATION_SEPARATOR = "\x1f"


def _organisations(scope: Scope) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """Return the learner's organisation names (sorted) and their countries (without repeats).

    Only organisations in the scope: a manager of one organisation never learns which other
    organisations a learner is in. Names are joined with ORGANISATION_SEPARATOR, countries
    with "; ", in code point order (as Python sorts) whatever the database collation.
    """
    member = sa.and_(Membership.user_id == Enrolment.user_id, Organisation.id == Membership.organisation_id)
    if not scope.is_programme:
        member = sa.and_(member, Organisation.id.in_(sorted(scope.organisation_ids)))
    name = code_point_order(Organisation.name)
    names = joined(
        sa.select(Organisation.name).where(member).correlate(Enrolment),
        (name, Organisation.country),
        ORGANISATION_SEPARATOR,
    )
    first = sa.func.min(name).label("first")
    by_country = (
        sa.select(Organisation.country, first)
        .where(member)
        .group_by(Organisation.country)
        .correlate(Enrolment)
    )
    countries = by_country.subquery()
    countries_joined = joined(sa.select(countries.c.country), (countries.c.first, countries.c.country), "; ")
    return names, countries_joined


def completions_select(scope: Scope, f: ReportFilter) -> sa.Select:
    """Return the completion records of a report as ONE statement, in export order.

    Every column comes from the database: lessons done, organisations, best module-quiz
    scores, attempts, pre-test and post-test scores and the certificate are correlated
    subqueries on indexed columns, so the rows stream from a server-side cursor and Python
    only shapes cells. Times come as ISO 8601 UTC text. Course titles, languages and module
    slugs are per course, not per row: `completions.course_infos` has them.
    """
    module = sa.and_(Module.course_id == Enrolment.course_id, Module.quiz_id.is_not(None))
    mine = Attempt.user_id == Enrolment.user_id
    best = (
        sa.select(sa.func.max(Attempt.score))
        .where(mine, Attempt.quiz_id == Module.quiz_id, *graded())
        .where(sa.or_(Attempt.phase.is_(None), Attempt.phase != "pre"))
        .correlate(Enrolment, Module)
        .scalar_subquery()
    )
    best_scores = joined(
        sa.select(best.label("best")).where(module).correlate(Enrolment),
        (Module.position, Module.id),
        " ",
        score_text,
    )
    passed = (
        sa.select(sa.func.count(Module.id))
        .where(
            module,
            sa.select(Attempt.id)
            .where(mine, Attempt.quiz_id == Module.quiz_id, *graded(), Attempt.is_passed.is_(True))
            .correlate(Enrolment, Module)
            .exists(),
        )
        .correlate(Enrolment)
        .scalar_subquery()
    )
    attempts = (
        sa.select(sa.func.count(Attempt.id))
        .join(Module, Module.quiz_id == Attempt.quiz_id)
        .where(mine, Module.course_id == Enrolment.course_id, Attempt.submitted_at.is_not(None))
        .correlate(Enrolment)
        .scalar_subquery()
    )
    assessment = sa.and_(mine, Attempt.quiz_id == Course.assessment_quiz_id, *graded())
    # The first pre-test counts; the post-test by the assessment's grading: last or highest.
    pre = (
        sa.select(Attempt.score)
        .where(assessment, Attempt.phase == "pre")
        .order_by(Attempt.number)
        .limit(1)
        .correlate(Enrolment, Course)
        .scalar_subquery()
    )
    post_key = sa.case((Quiz.grading == "last", Attempt.number), else_=Attempt.score)
    post = (
        sa.select(Attempt.score)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(assessment, Attempt.phase == "post")
        .order_by(post_key.desc(), Attempt.number.desc())
        .limit(1)
        .correlate(Enrolment, Course)
        .scalar_subquery()
    )
    # Several course versions may each have a certificate: the issued one first, then the newest.
    certificate_id = (
        sa.select(Certificate.id)
        .where(Certificate.user_id == Enrolment.user_id, Certificate.course_id == Enrolment.course_id)
        .order_by(Certificate.issued_at.is_(None), Certificate.course_version.desc())
        .limit(1)
        .correlate(Enrolment)
        .scalar_subquery()
    )
    organisations, countries = _organisations(scope)
    task_statuses, tasks_approved, task_versions, task_points = task_columns()
    live_sessions, live_minutes = cohort_services.live_attendance_subqueries(
        Enrolment.user_id, Enrolment.course_id
    )
    stmt = (
        sa.select(
            User.public_id,
            sa.func.coalesce(User.display_name, "").label("display_name"),
            sa.func.coalesce(organisations, "").label("organisations"),
            sa.func.coalesce(countries, "").label("countries"),
            LearnerDemographics.gender,
            LearnerDemographics.age_band,
            Course.slug,
            Course.version,
            Course.id.label("course_id"),
            User.locale,
            iso_utc(Enrolment.enrolled_at).label("enrolled_at"),
            iso_utc(Enrolment.last_activity_at).label("last_activity_at"),
            iso_utc(Enrolment.completed_at).label("completed_at"),
            lessons_done().label("lessons_done"),
            Course.lesson_count,
            best_scores.label("module_best_scores"),
            passed.label("module_quizzes_passed"),
            attempts.label("quiz_attempts"),
            pre.label("pre_test_score"),
            post.label("post_test_score"),
            Certificate.code,
            Certificate.issued_at,
            Certificate.revoked_at,
            Certificate.expires_at,
            task_statuses.label("task_statuses"),
            tasks_approved.label("tasks_approved"),
            task_versions.label("task_versions"),
            task_points.label("task_points"),
            live_sessions.label("live_sessions_attended"),
            live_minutes.label("live_minutes"),
        )
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(
            LearnerDemographics,
            sa.and_(
                LearnerDemographics.user_id == Enrolment.user_id, LearnerDemographics.is_shared.is_(True)
            ),
        )
        .outerjoin(Certificate, Certificate.id == certificate_id)
    )
    return filtered(stmt, scope, f).order_by(Course.slug, Enrolment.enrolled_at, Enrolment.id)
