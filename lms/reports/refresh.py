"""The periodic refresh of the stored report facts (and of the programme's grouped figures)."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from lms.core.db import utcnow
from lms.courses.models import Enrolment
from lms.extensions import db
from lms.reports.aggregates import groups_select
from lms.reports.facts import facts_select
from lms.reports.filters import PROGRAMME, ReportFilter
from lms.reports.models import ReportFact, ReportRefresh
from lms.reports.queries import lessons_done
from lms.reports.sql import execute


def refresh_facts(now: datetime) -> int:
    """Rebuild the stored report facts of every enrolment from the records; return how many.

    One INSERT ... SELECT in the database (no row comes into Python), in the caller's
    transaction: readers see the old facts until it commits.
    """
    select = facts_select(
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


def refresh_report_facts(now: datetime | None = None) -> int:
    """Rebuild the dashboard's stored facts from the records; return how many enrolments."""
    return refresh_facts(now or utcnow())
