"""DirectQuery: the hot queries handed straight to the DBAPI cursor, with SQLAlchemy's types and errors."""

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role, User
from lms.core.engine import DirectQuery
from tests.core.postgres_support import terminate_backend

USERS = sa.select(User.id, User.username, User.role, User.is_discreet, User.created_at, User.locale).where(
    User.username.like(sa.bindparam("pattern"))
)


def test_rows_are_what_sqlalchemy_would_return(db, make_user):
    make_user(role="manager", username="direct-manager", locale="ar")
    make_user(role="learner", username="direct-learner")
    expected = sorted(tuple(row) for row in db.session.execute(USERS, {"pattern": "direct-%"}))
    rows = sorted(DirectQuery(USERS).rows(db.session, {"pattern": "direct-%"}))
    assert rows == expected
    manager = next(row for row in rows if row[1] == "direct-manager")
    assert manager[2] is Role.MANAGER and manager[3] is False and manager[4].tzinfo is not None


def test_the_engines_cursor_events_see_the_query(db):
    seen = []

    def listener(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        DirectQuery(USERS).rows(db.session, {"pattern": "nobody"})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    selects = [statement for statement in seen if statement.startswith("SELECT")]
    assert len(selects) == 1 and "FROM users" in selects[0]


def test_a_database_error_is_sqlalchemys(db):
    missing = sa.select(sa.table("no_such_table", sa.column("x")).c.x)
    with pytest.raises(sa.exc.DBAPIError) as raised, db.session.begin_nested():
        DirectQuery(missing).rows(db.session, {})
    assert "no_such_table" in str(raised.value)


def test_expanding_parameters_are_refused(db):
    query = DirectQuery(sa.select(User.id).where(User.id.in_(sa.bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="IN lists"):
        query.rows(db.session, {"ids": [1, 2]})


def test_a_lost_connection_is_invalidated_like_any_other(app):
    with app.app_context():
        engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with sa.orm.Session(engine) as session:
        pid = session.scalar(sa.text("SELECT pg_backend_pid()"))
        terminate_backend(engine.url, pid)
        with pytest.raises(sa.exc.OperationalError) as raised:
            DirectQuery(USERS).rows(session, {"pattern": "x"})
        assert raised.value.connection_invalidated
    engine.dispose()


def test_switched_off_the_session_runs_the_query_with_the_same_rows(app, db, make_user, monkeypatch):
    # DB_DIRECT_QUERIES=false (bench/lesson_page.py --compare measures what the direct path gives).
    make_user(username="direct-switch", locale="ar")
    statements = []

    def listener(_conn, clauseelement, *_args):
        statements.append(clauseelement)

    sa.event.listen(db.engine, "before_execute", listener)
    try:
        direct = DirectQuery(USERS).rows(db.session, {"pattern": "direct-switch"})
        assert statements == []  # straight to the cursor: SQLAlchemy's execute is not involved
        monkeypatch.setitem(app.config, "DB_DIRECT_QUERIES", False)
        assert DirectQuery(USERS).rows(db.session, {"pattern": "direct-switch"}) == direct
        assert len(statements) == 1 and len(direct) == 1
    finally:
        sa.event.remove(db.engine, "before_execute", listener)
