"""Server-side sessions: open, load on every request, list, end, purge."""

from datetime import timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from lms.accounts import devices
from lms.accounts.errors import NotFound
from lms.accounts.models import User, UserSession
from lms.core.db import utcnow
from lms.core.security import new_token, token_digest
from lms.extensions import db

# One query on every request, built once: the live session row (read fresh) and its user's columns.
_USER_COLUMNS = tuple(attribute.key for attribute in sa.inspect(User).column_attrs)
_SESSION_USER = (
    sa.select(
        *(getattr(User, key) for key in _USER_COLUMNS),
        UserSession.id,
        UserSession.last_used_at,
        UserSession.created_at,
    )
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == sa.bindparam("token_hash"), UserSession.revoked_at.is_(None))
)


# "Last used" is kept this coarse: enough to recognise a session, not a log of one's activity.
LAST_USED_PRECISION = timedelta(minutes=10)


class LiveSession(NamedTuple):
    """A signed-in session as the request sees it."""

    user: User
    session_id: int
    needs_touch: bool  # its "last used" time is older than LAST_USED_PRECISION


def absolute_session_lifetime() -> timedelta:
    """Return how long a session lasts from sign-in, however active (SESSION_ABSOLUTE_DAYS)."""
    return timedelta(days=current_app.config["SESSION_ABSOLUTE_DAYS"])


def purge_sessions(user: User | None = None) -> int:
    """Delete expired session rows (of one user, or everyone's); return how many.

    Expired: begun longer ago than the absolute lifetime, or ended (signed out, revoked) longer
    ago than a cookie lives, so that no row is kept that no cookie can ever use again.
    """
    now = utcnow()
    sliding = current_app.permanent_session_lifetime
    stmt = sa.delete(UserSession).where(
        sa.or_(
            UserSession.created_at < now - absolute_session_lifetime(),
            UserSession.revoked_at < now - sliding,
        )
    )
    if user is not None:
        stmt = stmt.where(UserSession.user_id == user.id)
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def start_session(user: User, user_agent: str | None = None) -> str:
    """Open a server-side session for the user and return its token (for the cookie).

    The user's expired session rows are purged on the way (`flask users purge-sessions` does
    everyone's).
    """
    purge_sessions(user)
    token = new_token(32)
    db.session.add(
        UserSession(
            token_hash=token_digest(token),
            user_id=user.id,
            last_used_at=utcnow(),
            device=devices.describe(user_agent),
        )
    )
    db.session.flush()
    return token


def load_session(user_id: str | int, token: str | None) -> LiveSession | None:
    """Return the live session of a token, or None if revoked, unknown or its user inactive."""
    if not token:
        return None
    rows = db.session.execute(_SESSION_USER, {"token_hash": token_digest(token)}).all()
    if not rows or str(rows[0][0]) != str(user_id):
        return None
    *values, session_id, last_used_at, started_at = rows[0]
    if started_at < utcnow() - absolute_session_lifetime():
        return None  # however active it stayed, a session ends this long after sign-in
    user = _persistent_user(dict(zip(_USER_COLUMNS, values, strict=True)))
    if not user.is_active:
        return None
    stale = last_used_at is None or utcnow() - last_used_at >= LAST_USED_PRECISION
    return LiveSession(user, session_id, stale)


def touch_session(session_id: int) -> None:
    """Note that a session was used now (called at most once per LAST_USED_PRECISION)."""
    db.session.execute(
        db.update(UserSession).where(UserSession.id == session_id).values(last_used_at=utcnow())
    )


def list_sessions(user: User) -> list[UserSession]:
    """Return the user's live sessions, most recently used first."""
    return list(
        db.session.scalars(
            db.select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .order_by(UserSession.last_used_at.desc(), UserSession.id.desc())
        )
    )


def is_session_token(row: UserSession, token: str | None) -> bool:
    """Tell whether a session row is the one this token opened."""
    return bool(token) and row.token_hash == token_digest(token)


def end_session_of(user: User, session_id: int) -> bool:
    """Revoke one of the user's own live sessions; False when it is not theirs or already ended."""
    result = db.session.execute(
        db.update(UserSession)
        .where(
            UserSession.id == session_id,
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return result.rowcount == 1


def end_own_session(user: User, session_id: int, token: str | None) -> bool:
    """End one of the user's own live sessions; return whether it is the one this token opened.

    Raise NotFound when the session is not the user's, or already ended.
    """
    own = next((row for row in list_sessions(user) if row.id == session_id), None)
    if own is None or not end_session_of(user, session_id):
        raise NotFound()
    return is_session_token(own, token)


def end_other_sessions(user: User, token: str | None) -> int:
    """Revoke every live session of the user but the one this token opened; return how many."""
    result = db.session.execute(
        db.update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.token_hash != token_digest(token or ""),
        )
        .values(revoked_at=utcnow())
    )
    return result.rowcount


def _persistent_user(values: dict) -> User:
    """Return the session's User for a row just read, as a query would have loaded it."""
    session = db.session()
    known = session.identity_map.get(identity_key(User, values["id"]))
    if known is not None:
        return known
    user = User(**values)
    make_transient_to_detached(user)  # the values count as loaded, not as changes
    session.add(user)
    return user


def end_session(token: str | None) -> None:
    """Revoke one session (sign-out)."""
    if not token:
        return
    db.session.execute(
        db.update(UserSession)
        .where(UserSession.token_hash == token_digest(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def end_all_sessions(user: User) -> None:
    """Revoke every session of a user (password change, disable, erase)."""
    db.session.execute(
        db.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
