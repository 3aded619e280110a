"""Database base class, naming convention and column types shared by every domain."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

# The engine's behaviour that relies on SQLAlchemy and psycopg internals lives in lms.core.engine;
# these names stay importable from here for lms.app.
from lms.core.engine import configure_engine_events, end_read_only_transaction  # noqa: F401

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every engine (SQLite stores naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the constraint naming convention."""

    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class DirectQuery:
    """Transitional: a SELECT run through the session, for call sites not yet switched back.

    DirectQuery used to hand the hot queries straight to the DBAPI cursor; on the mixed lesson-page
    load it gained under the 10 % that code relying on library internals must earn (issue 16), so
    it went. Remove this class once lms.courses.learner and lms.accounts.services run their
    statements with db.session.execute themselves.
    """

    def __init__(self, statement: sa.Select | sa.CompoundSelect) -> None:
        self.statement = statement

    def rows(self, session, params: dict) -> list[tuple]:
        """Run the query in the session's transaction; return its rows as tuples."""
        return [tuple(row) for row in session.execute(self.statement, params)]
