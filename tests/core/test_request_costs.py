"""Work saved on every request: the session cookie re-sent once a minute, read-only transactions committed."""

import pytest
import sqlalchemy as sa

from lms.accounts.models import Organisation
from lms.core import sessions
from lms.core.db import end_read_only_transaction


def _sets_cookie(response) -> bool:
    return any(h.startswith("tamkeen_session=") for h in response.headers.getlist("Set-Cookie"))


def test_an_unchanged_session_is_re_sent_at_most_once_a_minute(client, auth, make_user, monkeypatch):
    make_user(username="cookie-refresh")
    assert _sets_cookie(auth.login("cookie-refresh"))
    client.get("/me/")  # shows (and so removes) the sign-in message: a change
    assert not _sets_cookie(client.get("/me/"))
    now = sessions.time.time()
    monkeypatch.setattr(sessions.time, "time", lambda: now + sessions.REFRESH_SECONDS + 1)
    refreshed = client.get("/me/")
    assert refreshed.status_code == 200 and _sets_cookie(refreshed)


def test_a_changed_session_is_sent_at_once(client):
    assert _sets_cookie(client.get("/"))  # the CSRF secret goes into a new session
    assert not _sets_cookie(client.get("/"))


def test_a_read_only_transaction_is_committed(app, db):
    with app.app_context():
        session = db.session()
        session.execute(sa.select(sa.literal(1)))
        assert session.in_transaction()
        end_read_only_transaction(session)
        assert not session.in_transaction()


def test_a_transaction_that_wrote_is_left_for_the_rollback(app, db):
    with app.app_context():
        session = db.session()
        session.add(Organisation(name="Left uncommitted", country="LB"))
        session.flush()
        end_read_only_transaction(session)
        assert session.in_transaction()
        session.rollback()
        assert session.scalar(sa.select(Organisation).where(Organisation.name == "Left uncommitted")) is None


def test_a_core_write_is_noticed_too(app, db):
    with app.app_context():
        session = db.session()
        session.execute(sa.insert(Organisation).values(name="Core write", country="LB"))
        end_read_only_transaction(session)
        assert session.in_transaction()
        session.rollback()


def test_postgresql_connections_plan_without_jit(db):
    # JIT compilation cost seconds on report queries over every learner (and the bare baseline
    # of bench/exports.py runs on the same engine, so it is planned alike).
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    assert db.session.scalar(sa.text("SHOW jit")) == "off"
