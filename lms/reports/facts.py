"""The report facts: one row per enrolment with what the dashboard adds up.

Each enrolment of the report (scoped and filtered by `queries.filtered`, as the completions
export is) becomes one row of facts: completed or not, the sum and count of its best
module-quiz scores, its pre-test and post-test scores and their normalised gain, and the
learner's gender where shared. `facts` computes them from the records (live); the periodic
refresh (`lms.reports.refresh`) stores them in ReportFact, which `stored_facts` reads back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from lms.accounts.models import Membership
from lms.courses.models import Course, Enrolment, Module
from lms.extensions import db
from lms.quizzes.models import Attempt, Quiz
from lms.reports.filters import ReportFilter, Scope
from lms.reports.models import LearnerDemographics, ReportFact, ReportRefresh
from lms.reports.queries import ACTIVE_DAYS, FilterColumns, filtered, graded, learners_in_scope


def _attempts(scope: Scope, f: ReportFilter) -> tuple[sa.ColumnElement[bool], ...]:
    """Attempts that count for scores (submitted, graded, with a score), of the report's learners.

    The scope, organisation and course narrow the attempts read (the join with the
    enrolments decides what counts); the programme reads them all.
    """
    where = list(graded())
    learners = learners_in_scope(scope)
    if learners is not None:
        where.append(Attempt.user_id.in_(learners))
    if f.organisation is not None:
        where.append(
            Attempt.user_id.in_(
                sa.select(Membership.user_id).where(Membership.organisation_id == f.organisation)
            )
        )
    if f.course:
        course = sa.select(Course.id).where(Course.slug == f.course)
        quizzes = sa.union(
            sa.select(Module.quiz_id).where(Module.course_id.in_(course)),
            sa.select(Course.assessment_quiz_id).where(Course.slug == f.course),
        )
        where.append(Attempt.quiz_id.in_(quizzes))
    return tuple(where)


def _module_scores(scope: Scope, f: ReportFilter) -> sa.Subquery:
    """Sum and count of the best module-quiz scores, per (user id, course id).

    A pre-test attempt never counts as a module score; a module without a graded attempt
    counts in neither the sum nor the count, as in the completion records.
    """
    best = (
        sa.select(Attempt.user_id, Attempt.quiz_id, sa.func.max(Attempt.score).label("best"))
        .where(*_attempts(scope, f), sa.or_(Attempt.phase.is_(None), Attempt.phase != "pre"))
        .group_by(Attempt.user_id, Attempt.quiz_id)
        .subquery("best")
    )
    return (
        sa.select(
            best.c.user_id,
            Module.course_id,
            sa.func.sum(best.c.best).label("score_sum"),
            sa.func.count(best.c.best).label("score_count"),
        )
        .join(Module, Module.quiz_id == best.c.quiz_id)
        .group_by(best.c.user_id, Module.course_id)
        .subquery("module_scores")
    )


def _assessment_scores(scope: Scope, f: ReportFilter) -> sa.Subquery:
    """Pre-test and post-test score per (user id, course id).

    The first pre-test counts; the post-test is the last one when the assessment is graded
    "last", the highest otherwise: each ranks first in its phase.
    """
    key = sa.case(
        (Attempt.phase == "pre", -Attempt.number),
        (Quiz.grading == "last", Attempt.number),
        else_=Attempt.score,
    )
    ranked = (
        sa.select(
            Attempt.user_id,
            Course.id.label("course_id"),
            Attempt.phase,
            Attempt.score,
            sa.func.row_number()
            .over(partition_by=(Attempt.user_id, Course.id, Attempt.phase), order_by=key.desc())
            .label("rank"),
        )
        .join(Course, Course.assessment_quiz_id == Attempt.quiz_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(*_attempts(scope, f), Attempt.phase.in_(("pre", "post")))
        .subquery("ranked")
    )
    return (
        sa.select(
            ranked.c.user_id,
            ranked.c.course_id,
            sa.func.max(sa.case((ranked.c.phase == "pre", ranked.c.score))).label("pre"),
            sa.func.max(sa.case((ranked.c.phase == "post", ranked.c.score))).label("post"),
        )
        .where(ranked.c.rank == 1)
        .group_by(ranked.c.user_id, ranked.c.course_id)
        .subquery("assessment")
    )


def facts_select(scope: Scope, f: ReportFilter, *extra) -> sa.Select:
    """The report's enrolments with what the dashboard adds up, computed from the records."""
    modules, assessment = _module_scores(scope, f), _assessment_scores(scope, f)
    pre, post = assessment.c.pre, assessment.c.post
    gain = sa.case((sa.and_(pre.is_not(None), post.is_not(None), pre < 100), (post - pre) / (100 - pre)))
    stmt = (
        sa.select(
            Enrolment.user_id,
            Enrolment.course_id,
            Enrolment.enrolled_at,
            Enrolment.completed_at,
            LearnerDemographics.gender,
            modules.c.score_sum,
            modules.c.score_count,
            pre.label("pre"),
            post.label("post"),
            gain.label("gain"),
            *extra,
        )
        .outerjoin(
            modules,
            sa.and_(modules.c.user_id == Enrolment.user_id, modules.c.course_id == Enrolment.course_id),
        )
        .outerjoin(
            assessment,
            sa.and_(assessment.c.user_id == Enrolment.user_id, assessment.c.course_id == Enrolment.course_id),
        )
        .outerjoin(
            LearnerDemographics,
            sa.and_(
                LearnerDemographics.user_id == Enrolment.user_id, LearnerDemographics.is_shared.is_(True)
            ),
        )
    )
    return filtered(stmt, scope, f)


def facts(scope: Scope, f: ReportFilter) -> sa.CTE:
    """Return the report's enrolments, one row each with what the dashboard adds up (live)."""
    # Materialised: computed once, then grouped seven ways.
    return facts_select(scope, f).cte("facts").prefix_with("MATERIALIZED")


# The stored facts: rebuilt by a periodic job, grouped by the dashboard ----------------------------


def last_refresh() -> datetime | None:
    """When the stored facts were last rebuilt (None: never, the dashboard computes live)."""
    return db.session.scalar(sa.select(sa.func.max(ReportRefresh.refreshed_at)))


FACT_COLUMNS = FilterColumns(
    ReportFact.user_id,
    ReportFact.course_id,
    ReportFact.enrolled_at,
    ReportFact.completed_at,
    lambda: ReportFact.is_started.is_(True),
)


def _filtered_facts(stmt: sa.Select, scope: Scope, f: ReportFilter) -> sa.Select:
    """Limit a select over the stored facts to the scope and filter, as for enrolments."""
    return filtered(stmt, scope, f, FACT_COLUMNS)


def stored_facts(scope: Scope, f: ReportFilter) -> sa.CTE:
    """Return the report's enrolments from the stored facts (the same columns as `facts`)."""
    fact = ReportFact
    stmt = sa.select(
        fact.user_id,
        fact.course_id,
        fact.enrolled_at,
        fact.completed_at,
        fact.gender,
        fact.score_sum,
        fact.score_count,
        fact.pre,
        fact.post,
        fact.gain,
    )
    return _filtered_facts(stmt, scope, f).cte("facts").prefix_with("MATERIALIZED")


def stored_active_learners(scope: Scope, f: ReportFilter, now: datetime) -> int:
    """Distinct learners of the report active in the 30 days before `now`, from the stored facts."""
    since = now - timedelta(days=ACTIVE_DAYS)
    stmt = sa.select(sa.func.count(sa.distinct(ReportFact.user_id))).where(
        ReportFact.last_activity_at >= since
    )
    return db.session.scalar(_filtered_facts(stmt, scope, f)) or 0
