"""What lms.core.engine relies on in SQLAlchemy and psycopg, pinned: an upgrade that changes it fails here.

pyproject.toml caps both libraries below their next minor version; raising a cap means running
these tests (on SQLite and on PostgreSQL) first. Each test uses the library directly, not our code.
"""

import select
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

things = sa.Table("things", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))


def test_sqlites_compiler_drops_for_update_but_the_statement_still_says_it():
    # SQLite's BEGIN IMMEDIATE before a locking read looks at the compiled statement's
    # _for_update_arg, since the SQL sent has no FOR UPDATE.
    engine = sa.create_engine("sqlite://")
    seen = []

    def listener(_conn, _cursor, statement, _parameters, context, _many):
        if statement.startswith("SELECT"):
            seen.append((statement, context.compiled.statement._for_update_arg is not None))

    sa.event.listen(engine, "before_cursor_execute", listener)
    with engine.connect() as connection:
        things.create(connection)
        connection.execute(sa.select(things.c.id).with_for_update())
        connection.execute(sa.select(things.c.id))
    engine.dispose()
    assert [locking for _sql, locking in seen] == [True, False]
    assert all("FOR UPDATE" not in sql for sql, _locking in seen)


def test_a_drivers_error_becomes_sqlalchemys_with_the_invalidated_flag():
    error = sa.exc.DBAPIError.instance(
        "BEGIN IMMEDIATE",
        {},
        sqlite3.OperationalError("database is locked"),
        sqlite3.Error,
        connection_invalidated=True,
        dialect=sqlite.dialect(),
    )
    assert isinstance(error, sa.exc.OperationalError) and error.connection_invalidated


def test_pysqlite_without_isolation_level_leaves_begin_to_us():
    connection = sqlite3.connect(":memory:")
    connection.isolation_level = None
    connection.execute("CREATE TABLE t (x int)")
    assert not connection.in_transaction  # no implicit BEGIN before a write
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO t VALUES (1)")
    assert connection.in_transaction
    connection.execute("ROLLBACK")
    connection.close()


@pytest.fixture
def psycopg_connection(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("psycopg's behaviour needs a PostgreSQL server (the PostgreSQL run has one)")
    import psycopg

    dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(dsn)
    yield connection
    connection.close()


def test_psycopg_reports_its_transaction_and_a_quiet_socket(psycopg_connection):
    from psycopg.pq import TransactionStatus

    connection = psycopg_connection
    assert connection.info.transaction_status == TransactionStatus.IDLE
    connection.execute("SELECT 1")
    assert connection.info.transaction_status.name == "INTRANS"  # server_transaction_open reads this
    connection.rollback()
    # What the checkout check looks at: a healthy idle connection is open and has nothing to read.
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
    assert not connection.closed and poller.poll(0) == []
