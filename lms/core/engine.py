"""How the engine talks to the database driver, beneath SQLAlchemy: the code that relies on internals.

SQLite's BEGIN IMMEDIATE before writing, the pooled PostgreSQL connection's check without a round
trip, and the end of read-only transactions. They rely on behaviour of SQLAlchemy and psycopg that
tests/core/test_engine_internals.py pins; pyproject.toml caps both libraries below their next minor
version, so an upgrade runs those tests first. Two speed-ups that relied on more internals were
measured on the mixed lesson-page load (bench/lesson_page.py --mix) and removed for gaining under
10 % there: PostgreSQL reads in autocommit with a lazy BEGIN, and DirectQuery (the hot queries
handed straight to the DBAPI cursor).
"""

import select

import sqlalchemy as sa

_WROTE = "tamkeen-wrote"
# Statements that change nothing: a transaction of only these may end with COMMIT.
_READ_ONLY = ("SELECT", "BEGIN", "SAVEPOINT", "RELEASE")


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
