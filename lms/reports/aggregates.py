"""The dashboard's figures, aggregated by the database: one query, however many learners.

Each enrolment of the report (scoped and filtered by `queries.filtered`, as the completions
export is) becomes one row of facts: completed or not, the sum and count of its best
module-quiz scores, its pre-test and post-test scores and their normalised gain, and the
learner's gender where shared. The facts are computed once (a materialised CTE) and grouped
by course, gender and month together, by organisation and by country, in a UNION ALL: a few
hundred rows that add up to the figures the completion records give, without bringing a
single record into Python.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lms.accounts.models import Membership, Organisation
from lms.courses.models import Course, Enrolment, Module
from lms.extensions import db
from lms.quizzes.models import Attempt, Quiz
from lms.reports.filters import PROGRAMME, ReportFilter, Scope
from lms.reports.models import LearnerDemographics, ReportFact, ReportRefresh
from lms.reports.queries import (
    ACTIVE_DAYS,
    FilterColumns,
    execute,
    filtered,
    graded,
    learners_in_scope,
    lessons_done,
)
from lms.reports.summary import Summary, Tally, periods


class month_of(FunctionElement):  # noqa: N801 (a SQL function, named like one)
    """The UTC month of a date-time column: `YYYY-MM` on SQLite, its first moment on PostgreSQL."""

    type = sa.String()
    inherit_cache = True


@compiles(month_of)
def _month_sqlite(element, compiler, **kw):
    # SQLite keeps UTC date-times as ISO 8601 text: the month is the first seven characters.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(month_of, "postgresql")
def _month_postgresql(element, compiler, **kw):
    # The first moment of the month, in UTC (date_trunc is much cheaper than to_char).
    return f"date_trunc('month', ({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC')"


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


def _facts_select(scope: Scope, f: ReportFilter, *extra) -> sa.Select:
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
    return _facts_select(scope, f).cte("facts").prefix_with("MATERIALIZED")


# The stored facts: rebuilt by a periodic job, grouped by the dashboard ----------------------------


def refresh_facts(now: datetime) -> int:
    """Rebuild the stored report facts of every enrolment from the records; return how many.

    One INSERT ... SELECT in the database (no row comes into Python), in the caller's
    transaction: readers see the old facts until it commits.
    """
    select = _facts_select(
        PROGRAMME,
        ReportFilter(),
        Enrolment.id.label("enrolment_id"),
        Enrolment.last_activity_at,
        (lessons_done() > 0).label("is_started"),
    )
    names = [
        "user_id",
        "course_id",
        "enrolled_at",
        "completed_at",
        "gender",
        "score_sum",
        "score_count",
        "pre",
        "post",
        "gain",
        "enrolment_id",
        "last_activity_at",
        "is_started",
    ]
    started = time.perf_counter()
    execute(sa.delete(ReportFact))
    execute(sa.insert(ReportFact).from_select(names, select))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ReportFact)) or 0
    rows = execute(groups_select(PROGRAMME, ReportFilter(), stored=True)).all()
    groups = json.dumps([[_json_key(value) for value in row] for row in rows])
    took = round((time.perf_counter() - started) * 1000)
    execute(sa.delete(ReportRefresh))
    execute(sa.insert(ReportRefresh).values(refreshed_at=now, took_ms=took, programme_groups=groups))
    return count


def _json_key(value):
    # Months come as a first moment (PostgreSQL) or YYYY-MM text (SQLite): kept as YYYY-MM.
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, Decimal):
        return float(value)
    return value


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


def _organisations(scope: Scope) -> sa.Subquery:
    """Each learner's organisations (name and country), within the scope only."""
    stmt = sa.select(Membership.user_id, Organisation.name, Organisation.country).join(
        Organisation, Organisation.id == Membership.organisation_id
    )
    if not scope.is_programme:
        stmt = stmt.where(Organisation.id.in_(sorted(scope.organisation_ids)))
    return stmt.subquery("organisations")


def groups_select(scope: Scope, f: ReportFilter, *, stored: bool = False) -> sa.CompoundSelect:
    """Return (grouping, key, gender, enrolled month, completed month, measures...) rows.

    Grouping "course" has the course slug as key, with gender and months: every figure but
    organisations and countries adds up from these few rows. Grouping "organisation" has the
    organisation's name as key, "country" its country code (NULL: none). A learner in two
    organisations counts in both; in two organisations of one country, once in that country.
    """
    rows = stored_facts(scope, f) if stored else facts(scope, f)
    measures = (
        sa.func.count(),
        sa.func.count(rows.c.completed_at),
        sa.func.sum(rows.c.score_sum),
        sa.func.sum(rows.c.score_count),
        sa.func.sum(rows.c.pre),
        sa.func.count(rows.c.pre),
        sa.func.sum(rows.c.post),
        sa.func.count(rows.c.post),
        sa.func.sum(rows.c.gain),
        sa.func.count(rows.c.gain),
    )
    enrolled, completed = month_of(rows.c.enrolled_at), month_of(rows.c.completed_at)
    organisations = _organisations(scope)
    countries = sa.select(organisations.c.user_id, organisations.c.country).distinct().subquery("countries")
    nothing = (sa.null(), sa.null(), sa.null())

    def grouped(name: str, key, source) -> sa.Select:
        return sa.select(sa.literal(name), key, *nothing, *measures).select_from(source).group_by(key)

    return sa.union_all(
        sa.select(sa.literal("course"), Course.slug, rows.c.gender, enrolled, completed, *measures)
        .select_from(rows.join(Course, Course.id == rows.c.course_id))
        .group_by(Course.slug, rows.c.gender, enrolled, completed),
        grouped(
            "organisation",
            organisations.c.name,
            rows.outerjoin(organisations, organisations.c.user_id == rows.c.user_id),
        ),
        grouped(
            "country", countries.c.country, rows.outerjoin(countries, countries.c.user_id == rows.c.user_id)
        ),
    )


def _tally(numbers) -> Tally:
    enrolments, completions, score_sum, score_count, pre_sum, pre_count, post_sum, post_count, *gain = numbers
    gain_sum, gain_count = gain
    return Tally(
        enrolments=int(enrolments),
        completions=int(completions),
        score_sum=float(score_sum or 0),
        score_count=int(score_count or 0),
        pre_sum=float(pre_sum or 0),
        pre_count=int(pre_count),
        post_sum=float(post_sum or 0),
        post_count=int(post_count),
        gain_sum=float(gain_sum or 0),
        gain_count=int(gain_count),
    )


def _month(key) -> tuple[int, int]:
    # PostgreSQL gives the first moment of the month, SQLite its YYYY-MM text.
    if isinstance(key, str):
        year, month = key.split("-")
        return int(year), int(month)
    return key.year, key.month


def _add(groups: dict, key, tally: Tally) -> None:
    if key in groups:
        groups[key] += tally
    else:
        groups[key] = tally


def summarise(scope: Scope, f: ReportFilter, *, stored: bool = False) -> Summary:
    """Return the dashboard's totals, groups and periods for a report (one query).

    `stored`: add up the stored facts (as of their last refresh) rather than the records.
    """
    summary = Summary()
    enrolled: dict[tuple[int, int], int] = {}
    completed: dict[tuple[int, int], int] = {}
    if stored and scope.is_programme and f == ReportFilter():
        # The whole programme, unfiltered: grouped once by the refresh.
        result = json.loads(db.session.scalar(sa.select(ReportRefresh.programme_groups)) or "[]")
    else:
        result = execute(groups_select(scope, f, stored=stored)).all()
    for grouping, key, gender, enrolled_in, completed_in, *numbers in result:
        tally = _tally(numbers)
        if grouping == "organisation":
            _add(summary.by_organisation, key, tally)  # two organisations may share a name
        elif grouping == "country":
            summary.by_country[key] = tally
        else:
            summary.totals += tally
            _add(summary.by_course, key, replace(tally))
            _add(summary.by_gender, gender, replace(tally))
            _add(enrolled, _month(enrolled_in), tally.enrolments)
            if completed_in is not None:
                _add(completed, _month(completed_in), tally.completions)
    summary.periods, summary.period_unit = periods(enrolled, completed)
    return summary
