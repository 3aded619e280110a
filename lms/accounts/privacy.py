"""A learner's personal data: the download of everything stored, and erasure."""

import json
import secrets
import uuid
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from lms.accounts.errors import AccountError
from lms.accounts.models import Membership, PasswordResetToken, RecoveryCode, User, UserSession
from lms.accounts.signals import account_erasing, exported_parts, pseudonym_changed
from lms.core.db import utcnow
from lms.core.security import verify_password
from lms.extensions import db


def export_user_data(user: User) -> dict[str, Any]:
    """Return everything stored about a user, as JSON-ready data."""
    data: dict[str, Any] = {
        "format": "tamkeen-personal-data/1",
        "exported_at": utcnow().isoformat(),
        "account": {
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "preferred_language": user.locale,
            "role": user.role.value,
            "created_at": user.created_at.isoformat(),
            "pseudonymous_id": user.public_id,
            "discreet_mode": user.is_discreet,
        },
        "organisations": [
            {
                "name": m.organisation.name,
                "country": m.organisation.country,
                "since": m.created_at.isoformat(),
            }
            for m in user.memberships
        ],
        "sessions": [
            {
                "started_at": s.created_at.isoformat(),
                "last_used_at": s.last_used_at.isoformat() if s.last_used_at else None,
                "device": s.device,
                "ended_at": s.revoked_at.isoformat() if s.revoked_at else None,
            }
            for s in db.session.scalars(
                db.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
            )
        ],
    }
    data["on_erasure"] = {
        "deleted": _(
            "Your username, display name, e-mail address, password, organisation and cohort "
            "memberships, sessions, reset links, recovery codes, certificates and answers about you."
        ),
        "kept": _(
            "Your progress, quiz attempts and learning records, for the programme's statistics. "
            "They get a new random number instead of the one above, so nothing exported before "
            "the erasure can be matched with them."
        ),
    }
    for name, part in exported_parts(user):
        data[name] = part
    json.dumps(data)  # fail here, not half-way through a download, if something is not JSON
    return data


def erase_user(user: User, password: str) -> None:
    """Erase an account's personal data; records stay, tied only to a new random pseudonym.

    The pseudonymous id changes too, so learning records and exports made from now on cannot be
    matched with exports made before the erasure.
    """
    if not verify_password(user.password_hash, password):
        raise AccountError(_("The password is not right."))
    pseudonym = f"erased-{secrets.token_hex(8)}"
    user.username = pseudonym
    user.username_key = pseudonym
    user.display_name = ""
    user.email = None
    user.email_key = None
    user.password_hash = None
    user.is_discreet = False
    user.is_erased = True
    user.erased_at = utcnow()
    old_public_id, user.public_id = user.public_id, str(uuid.uuid4())
    db.session.execute(db.delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(db.delete(Membership).where(Membership.user_id == user.id))
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(db.delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    db.session.flush()
    db.session.expire(user, ["memberships"])
    app = current_app._get_current_object()
    pseudonym_changed.send(app, old=old_public_id, new=user.public_id)
    account_erasing.send(app, user=user)
    db.session.flush()
