"""Sessions end a fixed time after sign-in, however active; expired rows are purged."""

from datetime import timedelta

import sqlalchemy as sa

from lms.accounts import services
from lms.accounts.models import UserSession
from lms.core.db import utcnow


def _rows(db, user) -> list[UserSession]:
    return list(db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)))


def test_an_active_session_ends_after_the_absolute_lifetime(app, client, auth, make_user, db):
    user = make_user(username="long-sitter")
    auth.login("long-sitter")
    assert client.get("/me/").status_code == 200
    (row,) = _rows(db, user)
    row.created_at = utcnow() - timedelta(days=app.config["SESSION_ABSOLUTE_DAYS"], minutes=1)
    db.session.flush()
    # The cookie is fresh (it slides with every visit) but the session began too long ago.
    assert client.get("/me/").status_code == 302


def test_the_absolute_lifetime_is_configurable(app, client, auth, make_user, db, monkeypatch):
    user = make_user(username="short-stay")
    auth.login("short-stay")
    (row,) = _rows(db, user)
    row.created_at = utcnow() - timedelta(days=2)
    db.session.flush()
    assert client.get("/me/").status_code == 200
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_DAYS", 1)
    assert client.get("/me/").status_code == 302


def test_sign_in_purges_the_users_expired_sessions(app, auth, make_user, db):
    user = make_user(username="purged")
    old = UserSession(token_hash="a" * 64, user_id=user.id, created_at=utcnow() - timedelta(days=31))
    ended = UserSession(
        token_hash="b" * 64,
        user_id=user.id,
        created_at=utcnow() - timedelta(days=20),
        revoked_at=utcnow() - timedelta(days=15),
    )
    recent = UserSession(token_hash="c" * 64, user_id=user.id, revoked_at=utcnow())
    db.session.add_all([old, ended, recent])
    db.session.flush()
    assert auth.login("purged").status_code == 303
    hashes = {row.token_hash for row in _rows(db, user)}
    assert "a" * 64 not in hashes and "b" * 64 not in hashes and "c" * 64 in hashes and len(hashes) == 2


def test_the_cli_purges_everyones_expired_sessions(runner, make_user, db):
    users = [make_user(username=f"idle{n}") for n in range(2)]
    for user in users:
        db.session.add(
            UserSession(
                token_hash=f"{user.id:064d}", user_id=user.id, created_at=utcnow() - timedelta(days=40)
            )
        )
    db.session.add(UserSession(token_hash="f" * 64, user_id=users[0].id))
    db.session.flush()
    result = runner.invoke(args=["users", "purge-sessions"])
    assert result.exit_code == 0 and "Purged" in result.output
    assert sum(len(_rows(db, user)) for user in users) == 1
    assert services.purge_sessions() == 0
