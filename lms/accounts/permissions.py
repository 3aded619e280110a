"""Who may do what: named role sets and one guard, used by every package.

Roles answer "may this kind of account do this at all?". Whether a user may act on one
object (a course they co-own, a learner in their organisation, their own session) is an
object-level rule; each domain states it as an explicit service function next to its data
(``authoring.services.can_edit``, ``reports.services.scope_for``, ...) and calls it after
the role guard.
"""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, current_app
from flask_login import current_user

from lms.accounts.models import Role

P = ParamSpec("P")
R = TypeVar("R")

# The named role sets. A rule names one of these, never a list of roles of its own.
EVERYONE = frozenset(Role)
# Author, translate and review courses; mark essays and practice tasks; run live sessions.
TRAINERS = frozenset({Role.TRAINER, Role.ADMIN})
# Mark essays and practice tasks: trainers, and managers who follow their learners' work.
MARKERS = frozenset({Role.TRAINER, Role.MANAGER, Role.ADMIN})
# Reports, exports, cohorts and certificates of the learners in their organisations.
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
# Everyone who works on the platform rather than learns on it.
STAFF = frozenset({Role.TRAINER, Role.MANAGER, Role.ADMIN})
# Accounts, organisations and site settings.
ADMINS = frozenset({Role.ADMIN})


def has_role(user, roles: frozenset[Role]) -> bool:
    """Tell whether a user (possibly anonymous or None) is signed in with a role in ``roles``."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return False
    return Role(user.role) in roles


def require(roles: frozenset[Role]) -> None:
    """Abort the request unless the signed-in user has a role in ``roles``.

    Anonymous visitors are sent to sign in (401 becomes the login redirect); signed-in
    users without the role get 403.
    """
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())
    if not has_role(current_user, roles):
        abort(403)


def requires(roles: frozenset[Role]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view so that only users with a role in ``roles`` reach it (see `require`)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            require(roles)
            return view(*args, **kwargs)

        guarded.required_roles = roles  # type: ignore[attr-defined]  # read by the access matrix
        return guarded

    return decorate
