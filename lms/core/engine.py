"""How the engine talks to the database driver, beneath SQLAlchemy: the code that relies on internals.

DirectQuery, the queries every page runs handed straight to the DBAPI cursor, is measured on the
mixed lesson-page load (bench/lesson_page.py --mix --compare) against the switch that turns it off
(DB_DIRECT_QUERIES in config.py). Also here: SQLite's BEGIN IMMEDIATE before writing, the pooled
PostgreSQL connection's check without a round trip, and the end of read-only transactions. They
rely on behaviour of SQLAlchemy and psycopg that tests/core/test_engine_internals.py pins;
pyproject.toml caps both libraries below their next minor version, so an upgrade runs those tests
first. (PostgreSQL reads in autocommit with a lazy BEGIN were measured too, and gained nothing
there: removed.)
"""

import select
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app, has_app_context

_WROTE = "tamkeen-wrote"
# Statements that change nothing: a transaction of only these may end with COMMIT.
_READ_ONLY = ("SELECT", "BEGIN", "SAVEPOINT", "RELEASE")


def _setting(name: str) -> bool:
    """Read one of the switches of config.py (on when there is no app, as in the defaults)."""
    return not has_app_context() or bool(current_app.config.get(name, True))


def configure_engine_events(engine: sa.Engine) -> None:
    """Note which transactions write; on SQLite begin them IMMEDIATE, before writing."""

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_connection, record, _proxy):
        record.info.pop(_WROTE, None)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _on_execute(conn, _cursor, statement, *_args):
        if not statement.lstrip()[:9].upper().startswith(_READ_ONLY):
            conn.info[_WROTE] = True

    if engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
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

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _begin_immediate_before_writing(conn, cursor, statement, _parameters, context, _many):
        # SQLite has one writer at a time. A transaction begun DEFERRED that reads, then writes,
        # fails at once with "database is locked" when another wrote in between (the wait of
        # busy_timeout does not apply to that upgrade): a double click became a 503. So plain
        # reads run on their own, and the transaction begins IMMEDIATE (taking
        # the write lock, waiting for it up to busy_timeout) before the first statement that
        # writes, opens a savepoint or reads to update (with_for_update, which SQLite's SQL
        # drops). Writers queue instead of failing; what they read after BEGIN is current.
        dbapi_connection = cursor.connection
        if dbapi_connection.in_transaction or not _sqlite_needs_transaction(statement, context):
            return
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
        except dbapi_connection.Error as error:
            raise as_sqlalchemy_error(conn, error, "BEGIN IMMEDIATE", {}, cursor) from error


def _sqlite_needs_transaction(statement: str, context) -> bool:
    """Tell whether a statement must run inside the (IMMEDIATE) transaction on SQLite."""
    if statement.lstrip()[:6].upper() not in ("SELECT", "PRAGMA"):
        return True
    compiled = getattr(context, "compiled", None)
    # SQLite's compiler leaves FOR UPDATE out of the SQL; the statement still says it.
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _configure_postgresql(engine: sa.Engine) -> None:
    """No JIT, and a ping only when a pooled connection's server may have gone."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect_postgresql(dbapi_connection, _record):
        # PostgreSQL's JIT compiles a costly query (a report over every learner) to machine
        # code before running it: seconds spent for queries that run in about as long.
        dbapi_connection.execute("SET jit = off")
        dbapi_connection.commit()

    @sa.event.listens_for(engine, "checkout")
    def _check_alive(dbapi_connection, _record, _proxy):
        # Instead of a "SELECT 1" round trip on every checkout: a pooled connection has nothing to
        # say unless its server went away (a restart closes the socket, or sends a last message
        # and closes it). Only then is it pinged, and dropped for a new one if the ping fails.
        if dbapi_connection.closed:
            raise sa.exc.DisconnectionError("the connection was closed")
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
        if not poller.poll(0):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure of the ping means: reconnect
            raise sa.exc.DisconnectionError(f"the server went away: {error}") from error
        if not alive:
            raise sa.exc.DisconnectionError("the server did not answer a ping")


def end_read_only_transaction(session) -> None:
    """Commit the session's transaction if it only read; leave anything else to the usual rollback.

    Both end a read-only transaction alike, but psycopg forgets its prepared statements on every
    ROLLBACK: committing lets the queries every page runs stay prepared on each pooled connection.
    On SQLite, when only plain reads ran nothing was begun, and the rollback sends nothing either.
    """
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    connection = session.connection()
    if connection.info.get(_WROTE) or not server_transaction_open(connection):
        return
    session.commit()


def server_transaction_open(connection: sa.Connection) -> bool:
    """Tell whether the database holds a transaction open for this connection.

    On SQLite only once something more than a plain SELECT has run; on PostgreSQL from the first
    statement.
    """
    dbapi_connection = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite":
        return dbapi_connection.in_transaction
    info = getattr(dbapi_connection, "info", None)  # psycopg's
    status = getattr(info, "transaction_status", None)
    return status is None or status.name != "IDLE"


def as_sqlalchemy_error(
    connection: sa.Connection, error: Exception, statement: str, parameters, cursor
) -> sa.exc.DBAPIError:
    """Return a DBAPI error as SQLAlchemy's own; invalidate the connection if the server is gone."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    return sa.exc.DBAPIError.instance(
        statement,
        parameters,
        error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )


class DirectQuery:
    """A prebuilt SELECT for the queries every page runs, handed straight to the DBAPI cursor.

    For a small query SQLAlchemy's work on each execution (execution context, events, result
    objects) costs more CPU than the query's own round trip. This compiles the statement once per
    dialect and gives the DBAPI cursor its SQL and parameters; each value of a row is converted
    by its column's type as SQLAlchemy would. Only for plain SELECTs whose parameters need no
    conversion (text, numbers). The engine's cursor events still fire (query counters, loggers),
    with a small stand-in for the execution context. A database error is raised as SQLAlchemy's
    and a lost connection is invalidated (this connection only: the checkout check finds the
    pool's others), so the page answers 503 while the database is down, as for any query.
    """

    def __init__(self, statement: sa.Select | sa.CompoundSelect) -> None:
        self.statement = statement
        self._by_dialect: dict[str, tuple] = {}

    def _compiled(self, dialect: sa.Dialect) -> tuple:
        prepared = self._by_dialect.get(dialect.name)
        if prepared is None:
            compiled = self.statement.compile(dialect=dialect)
            if "POSTCOMPILE" in compiled.string:
                raise ValueError("a DirectQuery cannot expand parameters (IN lists)")
            processors = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            ]
            prepared = self._by_dialect[dialect.name] = (compiled, processors if any(processors) else None)
        return prepared

    def rows(self, session, params: dict) -> list[tuple]:
        """Run the query in the session's transaction; return its rows as tuples.

        With the app's DB_DIRECT_QUERIES off, the session runs it the usual way (same rows).
        """
        if not _setting("DB_DIRECT_QUERIES"):
            return [tuple(row) for row in session.execute(self.statement, params)]
        connection = session.connection()
        dialect = connection.dialect
        compiled, processors = self._compiled(dialect)
        values = compiled.construct_params(params)
        parameters = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
        dbapi_connection = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor()
        statement = compiled.string
        context = SimpleNamespace(statement=statement, parameters=parameters, executemany=False)
        try:
            for listener in connection.dispatch.before_cursor_execute:
                statement, parameters = listener(connection, cursor, statement, parameters, context, False)
            cursor.execute(statement, parameters)
            rows = cursor.fetchall()
            for listener in connection.dispatch.after_cursor_execute:
                listener(connection, cursor, statement, parameters, context, False)
        except dialect.loaded_dbapi.Error as error:
            raise as_sqlalchemy_error(connection, error, statement, parameters, cursor) from error
        finally:
            cursor.close()
        if processors is None:
            return rows
        return [tuple(p(v) if p else v for p, v in zip(processors, row, strict=True)) for row in rows]
