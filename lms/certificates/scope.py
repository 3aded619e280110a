"""Who may manage a certificate: the role (`MANAGERS`) and the object-level scope rule.

A manager sees, revokes and reissues only the certificates of the learners their scope covers;
an admin, every certificate. Which learners a manager covers is known to a higher domain
(reports, through organisations): it says so with `register_learner_scope`, a typed
registration on a blinker signal, never a string key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app

from lms.accounts.permissions import ADMINS, MANAGERS, has_role
from lms.certificates.models import Certificate
from lms.extensions import db

if TYPE_CHECKING:
    from flask import Flask

    from lms.accounts.models import User

_signals = Namespace()

learner_scope_requested = _signals.signal(
    "learner-scope-requested",
    doc="Asked (sender: the app, keyword `user`, a manager) which learners a manager's certificates "
    "cover: each receiver returns the learners' ids as a select, or None for everyone. "
    "Subscribe with `register_learner_scope`; with no receiver a manager sees no certificate.",
)


class LearnerScope(Protocol):
    """What a learner scope looks like: the ids of the learners a manager sees (None: everyone)."""

    def __call__(self, user: User, /) -> sa.Select | None:
        """Return the ids of the learners `user` covers as a select, or None for everyone."""


def register_learner_scope(app: Flask, scope: LearnerScope) -> None:
    """Let the domain that knows managers' organisations (reports) say which learners they see."""
    learner_scope_requested.connect(lambda _sender, *, user: scope(user), sender=app, weak=False)


def has_learner_scope(app: Flask) -> bool:
    """Tell whether a domain has said which learners the managers of `app` see."""
    return any(True for _receiver in learner_scope_requested.receivers_for(app))


def scope_clause(user) -> sa.ColumnElement[bool]:
    """Return the condition on Certificate.user_id for the certificates a user manages."""
    if has_role(user, ADMINS):
        return sa.true()
    if not has_role(user, MANAGERS):
        return sa.false()
    answers = learner_scope_requested.send(current_app._get_current_object(), user=user)
    if not answers:
        return sa.false()  # no scope registered: a manager sees nothing rather than everything
    return sa.and_(
        sa.true(), *(Certificate.user_id.in_(learners) for _r, learners in answers if learners is not None)
    )


def in_scope(user, certificate: Certificate) -> bool:
    """Tell whether a user may manage (list, revoke, reissue) this certificate.

    Admins manage every certificate; managers, those of the learners their scope covers.
    """
    if not has_role(user, MANAGERS):
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True)).where(Certificate.id == certificate.id, scope_clause(user))
        )
    )


def can_see(user, certificate: Certificate) -> bool:
    """Tell whether a user may see and download a certificate: its owner and managers in scope."""
    if not getattr(user, "is_authenticated", False):
        return False
    return certificate.user_id == user.id or in_scope(user, certificate)
