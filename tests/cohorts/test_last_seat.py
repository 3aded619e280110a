"""Two people taking the last seat at once: one gets it, the other is waitlisted.

PostgreSQL: the seat change locks the session's row, so the second waits and then counts the
seat the first took. SQLite: the first writer holds the database's write lock; the second is
refused ("database is locked"), rolls back and tries again, as the registration page does.
"""

import secrets
import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from config import TestConfig
from lms.accounts import services as account_services
from lms.accounts.models import User
from lms.app import create_app
from lms.cohorts import services
from lms.cohorts.models import Cohort, CohortMember, LiveSession, SessionRegistration
from lms.core.db import utcnow
from lms.extensions import db as _db
from tests.conftest import IS_POSTGRES, PASSWORD


def _seed(app) -> dict:
    with app.app_context():
        tag = uuid.uuid4().hex[:10]
        users = [account_services.register(f"seat-{tag}-{i}", PASSWORD) for i in range(2)]
        cohort = Cohort(name=f"Race {tag}", join_code=None)
        _db.session.add(cohort)
        _db.session.flush()
        _db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=u.id, source="upload") for u in users)
        start = utcnow() + timedelta(days=1)
        session = LiveSession(
            cohort_id=cohort.id,
            titles={"en": "Race"},
            descriptions={},
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            time_zone="UTC",
            language="en",
            capacity=1,
            code_secret=secrets.token_hex(8),
        )
        _db.session.add(session)
        _db.session.commit()
        ids = {"users": [u.id for u in users], "cohort": cohort.id, "session": session.id}
        _db.session.remove()
    return ids


def _clean(app, ids) -> None:
    with app.app_context():
        _db.session.execute(sa.delete(Cohort).where(Cohort.id == ids["cohort"]))
        _db.session.execute(sa.delete(User).where(User.id.in_(ids["users"])))
        _db.session.commit()
        _db.session.remove()


def _race(app, ids) -> list:
    """Both learners register at once: each has read before either writes."""
    barrier = threading.Barrier(2, timeout=10)
    local = threading.local()
    results: list = [None, None]

    # PostgreSQL: both hold just before the row lock. SQLite: the transaction begins IMMEDIATE
    # (taking the write lock) inside the same event, before any listener a test can add, so both
    # hold at the last read before it (membership): each has read before either writes.
    with app.app_context():
        postgres = _db.engine.dialect.name == "postgresql"

    def hold(conn, cursor, statement, *args):
        at = statement.startswith("UPDATE live_sessions") if postgres else "cohort_members" in statement
        if at and not getattr(local, "held", False):
            local.held = True
            barrier.wait()

    def target(index):
        with app.app_context():
            for _attempt in range(5):
                try:
                    user = _db.session.get(User, ids["users"][index])
                    session = _db.session.get(LiveSession, ids["session"])
                    results[index] = services.register(user, session)
                    _db.session.commit()
                    break
                except OperationalError as error:  # SQLite: the other one holds the write lock
                    _db.session.rollback()
                    results[index] = error
            _db.session.remove()

    with app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=target, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    finally:
        sa.event.remove(engine, "before_cursor_execute", hold)
    return results


def _states(app, ids) -> list[str]:
    with app.app_context():
        states = _db.session.scalars(
            sa.select(SessionRegistration.state).where(SessionRegistration.session_id == ids["session"])
        ).all()
        _db.session.remove()
    return sorted(states)


@pytest.mark.skipif(not IS_POSTGRES, reason="this run has no PostgreSQL (the SQLite test below runs)")
def test_two_learners_taking_the_last_seat_at_once_on_postgresql(app):
    ids = _seed(app)
    try:
        results = _race(app, ids)
        assert sorted(results) == ["registered", "waitlisted"], results
        assert _states(app, ids) == ["registered", "waitlisted"]
    finally:
        _clean(app, ids)


@pytest.fixture
def file_app(tmp_path):
    """An app on a SQLite file: threads share it (the suite's in-memory database is per thread)."""
    app = create_app(
        TestConfig,
        INSTANCE_PATH=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'race.sqlite3'}",
    )
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_two_learners_taking_the_last_seat_at_once_on_sqlite(file_app):
    ids = _seed(file_app)
    results = _race(file_app, ids)
    assert sorted(r for r in results if isinstance(r, str)) == ["registered", "waitlisted"], results
    assert _states(file_app, ids) == ["registered", "waitlisted"]
