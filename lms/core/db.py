"""Database base class, naming convention and column types shared by every domain."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

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


_WROTE = "tamkeen-wrote"
# Statements that change nothing: a transaction of only these may end with COMMIT.
_READ_ONLY = ("SELECT", "BEGIN", "SAVEPOINT", "RELEASE")


def configure_engine_events(engine: sa.Engine) -> None:
    """Note which transactions write; give SQLite real transactions (SAVEPOINT) and foreign keys."""

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_connection, record, _proxy):
        record.info.pop(_WROTE, None)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _on_execute(conn, _cursor, statement, *_args):
        if not statement.lstrip()[:9].upper().startswith(_READ_ONLY):
            conn.info[_WROTE] = True

    if engine.dialect.name == "postgresql":

        @sa.event.listens_for(engine, "connect")
        def _on_connect_postgresql(dbapi_connection, _record):
            # PostgreSQL's JIT compiles a costly query (a report over every learner) to machine
            # code before running it: seconds spent for queries that run in about as long.
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True  # a SET inside a rolled-back transaction is undone
            dbapi_connection.execute("SET jit = off")
            dbapi_connection.autocommit = autocommit

    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN")


def end_read_only_transaction(session) -> None:
    """Commit the session's transaction if it only read; leave anything else to the usual rollback.

    Both end a read-only transaction alike, but psycopg forgets its prepared statements on every
    ROLLBACK: committing lets the queries every page runs stay prepared on each pooled connection.
    """
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if session.connection().info.get(_WROTE):
        return
    session.commit()
