"""Accounts: sign-up, sign-in by password, and finding a user by name or id."""

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms.accounts.confusables import skeleton
from lms.accounts.errors import UsernameTaken
from lms.accounts.models import Role, User
from lms.accounts.validation import check_password, check_username, clean_text, username_key
from lms.core.security import canonical_key, hash_password, needs_rehash, verify_password
from lms.extensions import db


def get_user(user_id: int) -> User | None:
    """Return a user by id."""
    return db.session.get(User, user_id)


def user_names(user_ids: Iterable[int]) -> dict[int, str]:
    """Return user id -> the name staff see (display name, else username), in one query."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(db.select(User.id, User.display_name, User.username).where(User.id.in_(ids)))
    return {user_id: display or username for user_id, display, username in rows}


def find_user(username: str) -> User | None:
    """Return the user with this username (any case), or None."""
    return db.session.scalar(db.select(User).where(User.username_key == username_key(username)))


def register(
    username: str,
    password: str,
    *,
    display_name: str = "",
    email: str | None = None,
    locale: str | None = None,
    role: Role = Role.LEARNER,
) -> User:
    """Create an account; raise UsernameTaken or AccountError. The password is always hashed."""
    username = check_username(username)
    check_password(password, username=username)
    # Hash before checking for a duplicate so both outcomes cost the same time.
    password_hash = hash_password(password)
    # A name that looks like another (Cyrillic a, digit one for l) counts as that name.
    look = skeleton(username)
    if find_user(username) is not None or db.session.scalar(
        sa.select(User.id).where(User.username_skeleton == look).limit(1)
    ):
        raise UsernameTaken(_("That username is taken."))
    email = (email or "").strip() or None
    user = User(
        username=username,
        username_key=username_key(username),
        username_skeleton=look,
        password_hash=password_hash,
        display_name=clean_text(display_name, 120),
        email=email,
        email_key=canonical_key(email) or None,
        locale=locale if locale in current_app.config["LANGUAGES"] else None,
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, or None; unknown names cost the same."""
    user = find_user(username) if username else None
    if user is None or not user.is_active:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.flush()
    return user


def create_user(username: str, password: str, role: Role, *, display_name: str = "") -> User:
    """Create an account with a role (CLI and demo data)."""
    user = register(username, password, display_name=display_name, role=role)
    user.has_pending_recovery_codes = True
    return user
