"""What lms.core.engine relies on in SQLAlchemy and psycopg, pinned: an upgrade that changes it fails here.

pyproject.toml caps both libraries below their next minor version; raising a cap means running
these tests (on SQLite and on PostgreSQL) first. Each test uses the library directly, not our code.
"""

import enum
import select
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


# psycopg: what DirectQuery, the checkout check and server_transaction_open use -----------------


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


def test_a_psycopg_cursor_takes_sqlalchemys_sql_and_gives_tuples(psycopg_connection):
    from psycopg.pq import TransactionStatus

    connection = psycopg_connection
    compiled = sa.select(sa.bindparam("name", type_=sa.String)).compile(dialect=postgresql.psycopg.dialect())
    assert connection.info.transaction_status == TransactionStatus.IDLE
    cursor = connection.cursor()
    cursor.execute(compiled.string, {"name": "x"})  # a dict for pyformat parameters
    assert cursor.fetchall() == [("x",)]  # plain tuples, as DirectQuery returns them
    cursor.close()
    assert connection.info.transaction_status == TransactionStatus.INTRANS  # begun by the driver
    connection.rollback()
    # What the checkout check looks at: a healthy idle connection is open and has nothing to read.
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
    assert not connection.closed and poller.poll(0) == []
