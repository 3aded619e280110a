"""The dashboard's figures, aggregated by the database: one query, however many learners.

Each enrolment of the report (scoped and filtered by `queries.filtered`, as the completions
export is) becomes one row of facts (`lms.reports.facts`): completed or not, the sum and count of its best
module-quiz scores, its pre-test and post-test scores and their normalised gain, and the
learner's gender where shared. The facts are computed once (a materialised CTE) and grouped
by course, gender and month together, by organisation and by country, in a UNION ALL: a few
hundred rows that add up to the figures the completion records give, without bringing a
single record into Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from lms.accounts.models import Membership, Organisation
from lms.core.db import utcnow
from lms.courses.models import Course
from lms.extensions import db
from lms.reports.facts import facts, last_refresh, stored_active_learners, stored_facts
from lms.reports.filters import ReportFilter, Scope
from lms.reports.models import ReportRefresh
from lms.reports.queries import active_learners
from lms.reports.sql import execute, month_of
from lms.reports.summary import Summary, Tally, periods


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


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's figures; `as_of`: when the stored facts they add up were refreshed."""

    summary: Summary
    active_learners: int
    as_of: datetime | None = None


def dashboard(scope: Scope, f: ReportFilter, *, now: datetime | None = None, live: bool = False) -> Dashboard:
    """Return the dashboard's figures, added up by the database (a fixed number of queries).

    They come from the stored facts that `refresh_report_facts` rebuilds every five minutes
    (exact as of that moment, fast at any size); from the records themselves (`live`, or
    before the first refresh).
    """
    now = now or utcnow()
    as_of = None if live else last_refresh()
    if as_of is None:
        return Dashboard(
            summary=summarise(scope, f),
            active_learners=active_learners(scope, f, now),
        )
    return Dashboard(
        summary=summarise(scope, f, stored=True),
        active_learners=stored_active_learners(scope, f, now),
        as_of=as_of,
    )
