"""Database base class, naming convention and column types shared by every domain."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
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


def insert_ignore(session, table: sa.Table, values: dict | list[dict], conflict_columns: list[str]):
    """Return an INSERT of one row (or a list of rows) that skips rows clashing on `conflict_columns`.

    "INSERT ... ON CONFLICT DO NOTHING" on SQLite and PostgreSQL: two requests that insert the
    same row at once both succeed and one row is left, with no IntegrityError to recover from.
    `conflict_columns` must be covered by a unique constraint of `table`.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:
        raise NotImplementedError(dialect)
    return insert(table).values(values).on_conflict_do_nothing(index_elements=conflict_columns)
