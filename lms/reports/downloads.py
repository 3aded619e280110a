"""Audited downloads: completion records, live attendance and xAPI statements, and the audit trail.

Each export writes to a binary stream as it reads, then records who exported what (no data).
"""

import io
from datetime import date
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.core.i18n import text_direction
from lms.core.pagination import contains
from lms.extensions import db
from lms.reports import attendance, completions, exports, queries
from lms.reports.errors import ReportError
from lms.reports.filters import ReportFilter, Scope
from lms.reports.models import ExportAudit
from lms.reports.scope import check_filter, describe_filter

FORMATS = ("csv", "xlsx")


def record_export(
    actor: User | None, kind: str, fmt: str, filters: dict[str, Any], row_count: int, *, actor_name: str = ""
) -> ExportAudit:
    """Write one audit entry: who, when, which filter and how many rows (flushes)."""
    entry = ExportAudit(
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor.username if actor is not None else actor_name)[:120],
        kind=kind,
        format=fmt,
        filters=filters,
        row_count=row_count,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def export_completions(
    actor: User | None,
    scope: Scope,
    f: ReportFilter,
    fmt: str,
    out: IO[bytes],
    *,
    locale: str = "en",
    actor_name: str = "",
    tmpdir: str | None = None,
) -> int:
    """Write the completion records as CSV or XLSX to a binary stream and audit it; return rows.

    Rows are written as they are read from a server-side cursor. `locale` decides only the
    sheet direction of an XLSX file: the columns never depend on the interface language.
    """
    if fmt not in FORMATS:
        raise ReportError(_("Unknown export format."))
    check_filter(scope, f)
    rows = completions.completion_rows(scope, f)
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        count = exports.write_csv(rows, text)
        text.flush()
        text.detach()
    else:
        rtl = text_direction(locale) == "rtl"
        count = exports.write_xlsx(completions.records(rows), out, rtl=rtl, tmpdir=tmpdir)
    record_export(
        actor, "completions", fmt, describe_filter(scope, f, locale=locale), count, actor_name=actor_name
    )
    return count


def export_attendance(
    actor: User | None, scope: Scope, f: ReportFilter, out: IO[bytes], *, actor_name: str = ""
) -> int:
    """Write the live-session attendance of the filter as CSV and audit it; return the rows."""
    check_filter(scope, f)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    count = attendance.write_csv(scope, f, text)
    text.flush()
    text.detach()
    record_export(actor, "attendance", "csv", describe_filter(scope, f), count, actor_name=actor_name)
    return count


def export_statements(
    actor: User | None, scope: Scope, since: date, until: date, out: IO[bytes], *, actor_name: str = ""
) -> int:
    """Write the learning records of a date range as xAPI JSON lines and audit it; return the count."""
    if until < since:
        raise ReportError(_("The end date is before the start date."))
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    count = exports.write_jsonl(queries.iter_statements(scope, since, until), text)
    text.flush()
    text.detach()
    filters = {"scope": scope.describe(), "since": since.isoformat(), "until": until.isoformat()}
    record_export(actor, "statements", "jsonl", filters, count, actor_name=actor_name)
    return count


def audit_select(search: str = "") -> sa.Select:
    """Return the audit entries, newest first, found by who exported (for `paginate`)."""
    stmt = sa.select(ExportAudit)
    if search:
        stmt = stmt.where(contains(ExportAudit.actor_name, search))
    return stmt.order_by(ExportAudit.id.desc())


def audit_trail(limit: int = 500) -> list[ExportAudit]:
    """Return the latest audit entries, newest first."""
    return list(db.session.scalars(audit_select().limit(limit)))
