"""Admins' work on accounts: the list of accounts, disabling and enabling them."""

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts import permissions
from lms.accounts.errors import AccountError, NotAllowed, NotFound
from lms.accounts.models import User
from lms.accounts.sessions import end_all_sessions
from lms.core.pagination import contains
from lms.extensions import db


def set_disabled(actor: User, user: User, disabled: bool) -> None:
    """Disable or enable an account (admins only); disabling ends its sessions."""
    if not permissions.has_role(actor, permissions.ADMINS):
        raise NotAllowed(_("Only admins can disable accounts."))
    if actor.id == user.id:
        raise AccountError(_("You cannot disable your own account."))
    user.is_disabled = disabled
    if disabled:
        end_all_sessions(user)
    db.session.flush()


def accounts_query(search: str = "") -> sa.Select:
    """Return the admin list of accounts, newest first, whose username or display name contains `search`.

    The view pages it (lms.core.pagination); erased accounts are not listed.
    """
    query = sa.select(User).where(User.is_erased.is_(False)).order_by(User.id.desc())
    if search:
        query = query.where(sa.or_(contains(User.username, search), contains(User.display_name, search)))
    return query


def get_account(user_id: int) -> User:
    """Return an account an admin may act on; raise NotFound for a missing or erased one."""
    user = db.session.get(User, user_id)
    if user is None or user.is_erased:
        raise NotFound()
    return user
