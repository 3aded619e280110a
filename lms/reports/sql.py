"""Portable SQL for reports: expressions that read the same on SQLite and PostgreSQL.

Each hides one difference between the engines (date-time text, months, aggregate order,
collation, exact score text) so that the queries above it are written once.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lms.extensions import db


def dialect_name() -> str:
    """Return the name of the session's database engine ("sqlite", "postgresql")."""
    return db.session.get_bind().dialect.name


def execute(stmt, params: dict | None = None, **options) -> sa.CursorResult:
    """Run a Core statement on the session's connection (after a flush) and return its result."""
    # Core execution on the session's connection: these are plain column rows, and the ORM's
    # per-row machinery would cost more than the query itself. Flush first, as the ORM would.
    db.session.flush()
    return db.session.connection().execute(stmt, params, execution_options=options or None)


class iso_utc(FunctionElement):  # noqa: N801 (a SQL function, named like one)
    """A UTC date-time column as ISO 8601 text to the second with a Z, on SQLite and PostgreSQL.

    Formatted by the database, so that an export writes it as it comes. Fractions of a second
    are cut, not rounded, as `datetime.isoformat(timespec="seconds")` does.
    """

    type = sa.String()
    inherit_cache = True


@compiles(iso_utc)
def _iso_utc_sqlite(element, compiler, **kw):
    # SQLite keeps UTC date-times as "YYYY-MM-DD HH:MM:SS.ffffff" text.
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {compiler.process(element.clauses, **kw)})"


@compiles(iso_utc, "postgresql")
def _iso_utc_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"""to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


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


def code_point_order(column) -> sa.ColumnElement:
    """Return a text column that sorts in code point order on every engine."""
    # PostgreSQL sorts by its collation; "C" is code point order, as Python and SQLite sort.
    return column.collate("C") if dialect_name() == "postgresql" else column


def joined(stmt: sa.Select, order_by: tuple, separator: str, as_text=None) -> sa.ScalarSelect:
    """Return the values of a one-column select, in `order_by` order, joined into one string.

    NULL when there are none. `as_text` turns a value into text, evaluated once per value.
    PostgreSQL orders inside the aggregate; SQLite (no ORDER BY in aggregates before 3.44)
    concatenates an ordered subquery, which it does not flatten.
    """
    as_text = as_text or (lambda value: value)
    if dialect_name() == "postgresql":
        value = as_text(stmt.selected_columns[0])
        ordered = postgresql.aggregate_order_by(sa.literal(separator), *order_by)
        return stmt.with_only_columns(
            sa.func.string_agg(value, ordered), maintain_column_froms=True
        ).scalar_subquery()
    rows = stmt.order_by(*order_by).subquery()
    return sa.select(sa.func.group_concat(as_text(rows.c[0]), separator)).scalar_subquery()


def score_text(score) -> sa.ColumnElement[str]:
    """A score as text with every digit of the double (so Python rounds the very value); "" for NULL."""
    if dialect_name() == "postgresql":
        return sa.func.coalesce(sa.cast(score, sa.Text), "")  # the shortest text that reads back
    return sa.case((score.is_(None), ""), else_=sa.func.printf("%.17g", score))
