"""What lms.core.engine relies on in SQLAlchemy and psycopg, pinned: an upgrade that changes it fails here.

pyproject.toml caps both libraries below their next minor version; raising a cap means running
these tests (on SQLite and on PostgreSQL) first. Each test uses the library directly, not our code.
"""

import enum
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lms.core.db import UTCDateTime

metadata = sa.MetaData()


class Colour(enum.Enum):
    RED = "red"


things = sa.Table(
    "things",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("colour", sa.Enum(Colour)),
    sa.Column("at", UTCDateTime()),
)
QUERY = sa.select(things.c.id, things.c.colour, things.c.at).where(
    things.c.name == sa.bindparam("name"), things.c.id > sa.bindparam("above")
)
DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]


# DirectQuery: compiling once and handing SQL and parameters to the DBAPI cursor ------------------


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.driver)
def test_a_compiled_select_gives_the_drivers_sql_and_parameters(dialect):
    compiled = QUERY.compile(dialect=dialect)
    values = compiled.construct_params({"name": "x", "above": 3})
    assert values == {"name": "x", "above": 3}
    if dialect.driver == "pysqlite":  # qmark: a tuple in the order of positiontup
        assert compiled.positional and compiled.positiontup == ["name", "above"]
        assert "things.name = ? AND things.id > ?" in compiled.string
    else:  # psycopg: pyformat, a dict by name
        assert not compiled.positional
        assert "things.name = %(name)s::VARCHAR AND things.id > %(above)s::INTEGER" in compiled.string


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.driver)
def test_an_expanding_parameter_shows_as_postcompile(dialect):
    compiled = (
        sa.select(things.c.id)
        .where(things.c.id.in_(sa.bindparam("ids", expanding=True)))
        .compile(dialect=dialect)
    )
    assert "POSTCOMPILE" in compiled.string


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.driver)
def test_result_processors_convert_raw_values_as_sqlalchemy_does(dialect):
    processors = [
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in QUERY.selected_columns
    ]
    assert processors[0] is None  # integers come back as they are
    assert processors[1]("RED") is Colour.RED  # an Enum column stores the member name
    raw = "2026-12-06 10:00:00.000000" if dialect.driver == "pysqlite" else datetime(2026, 12, 6, 10)  # noqa: DTZ001
    assert processors[2](raw) == datetime(2026, 12, 6, 10, tzinfo=UTC)


def test_cursor_listeners_registered_without_retval_still_return_statement_and_parameters():
    engine = sa.create_engine("sqlite://")
    seen = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    sa.event.listen(engine, "after_cursor_execute", lambda *args: seen.append("after"))
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        context = object()
        for listener in connection.dispatch.before_cursor_execute:
            assert listener(connection, cursor, "SELECT 1", (), context, False) == ("SELECT 1", ())
        for listener in connection.dispatch.after_cursor_execute:
            listener(connection, cursor, "SELECT 1", (), context, False)
        cursor.close()
    assert seen == ["SELECT 1", "after"]
    engine.dispose()


def test_a_drivers_error_becomes_sqlalchemys_with_the_invalidated_flag():
    import sqlite3

    dialect = sqlite.dialect()
    error = sa.exc.DBAPIError.instance(
        "SELECT 1",
        (),
        sqlite3.OperationalError("gone"),
        sqlite3.Error,
        connection_invalidated=True,
        dialect=dialect,
    )
    assert isinstance(error, sa.exc.OperationalError) and error.connection_invalidated


# The lazy BEGIN on PostgreSQL: psycopg in autocommit mode, transactions begun by hand -------------


@pytest.fixture
def psycopg_connection(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("psycopg's behaviour needs a PostgreSQL server (the PostgreSQL run has one)")
    import psycopg

    dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(dsn, autocommit=True)
    yield connection
    connection.close()


def test_in_autocommit_an_explicit_begin_opens_a_transaction_that_commit_and_rollback_end(psycopg_connection):
    from psycopg.pq import TransactionStatus

    connection = psycopg_connection
    connection.execute("SELECT 1")
    assert connection.info.transaction_status == TransactionStatus.IDLE  # nothing begun for a read
    connection.execute("BEGIN")
    connection.execute("CREATE TEMPORARY TABLE pinned (x int)")
    assert connection.info.transaction_status == TransactionStatus.INTRANS
    connection.commit()  # sends COMMIT although the connection is in autocommit mode
    assert connection.info.transaction_status == TransactionStatus.IDLE
    connection.execute("BEGIN")
    connection.execute("INSERT INTO pinned VALUES (1)")
    connection.rollback()  # sends ROLLBACK likewise
    assert connection.info.transaction_status == TransactionStatus.IDLE
    assert connection.execute("SELECT count(*) FROM pinned").fetchone() == (0,)
    connection.autocommit = False  # settable between transactions (the checkout puts it back)
    connection.autocommit = True


def test_sqlalchemys_psycopg_dialect_streams_results_through_a_server_cursor(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("psycopg's behaviour needs a PostgreSQL server (the PostgreSQL run has one)")
    from psycopg import ServerCursor

    engine = sa.create_engine(url)
    cursors = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, cursor, *_a: cursors.append(cursor))
    with engine.connect() as connection:
        rows = connection.execution_options(stream_results=True).execute(sa.select(sa.literal(1))).all()
    with engine.connect() as connection:
        isolation = connection.execution_options(isolation_level="AUTOCOMMIT").get_execution_options()
    assert rows == [(1,)] and isinstance(cursors[-1], ServerCursor)
    assert isolation["isolation_level"] == "AUTOCOMMIT"  # how an explicit AUTOCOMMIT is recognised
    engine.dispose()
