"""Passwords: change, e-mailed reset links, one-time recovery codes, and their clean-up."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.accounts.errors import AccountError
from lms.accounts.mailer import neutral_sender, send_mail
from lms.accounts.models import PasswordResetToken, RecoveryCode, User
from lms.accounts.registration import find_user
from lms.accounts.sessions import end_all_sessions, purge_sessions
from lms.accounts.validation import check_password
from lms.core.db import utcnow
from lms.core.security import canonical_key, hash_password, new_token, token_digest, verify_password
from lms.extensions import db, jobs

RECOVERY_CODE_COUNT = 8


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change a password after checking the current one; every session is revoked."""
    if not verify_password(user.password_hash, current_password):
        raise AccountError(_("The current password is not right."))
    check_password(new_password, username=user.username)
    _set_password(user, new_password)


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    # Any other reset link sent before is now void, whichever way the password changed.
    db.session.execute(
        db.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def set_password(user: User, new_password: str) -> None:
    """Set a new password without the old one (admin CLI); every session is revoked."""
    check_password(new_password, username=user.username)
    _set_password(user, new_password)


def request_password_reset(email: str) -> None:
    """E-mail a reset link to every active account with this address; say nothing either way."""
    key = canonical_key(email)
    if not key:
        return
    users = db.session.scalars(db.select(User).where(User.email_key == key)).all()
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    for user in users:
        if not user.is_active:
            continue
        token = new_token(16)  # 128 bits
        db.session.add(
            PasswordResetToken(
                token_hash=token_digest(token),
                user_id=user.id,
                expires_at=utcnow() + timedelta(minutes=minutes),
            )
        )
        db.session.flush()
        link = f"{current_app.config['SITE_URL'].rstrip('/')}/reset/{token}"
        # The message goes out in the account's own language.
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            if user.is_discreet:  # nothing in the inbox list or the message names the site
                subject = _("Your password")
                body = _(
                    "Someone asked to reset the password of the account %(username)s.\n\n"
                    "To choose a new password, open this link within %(minutes)d minutes:\n%(link)s\n\n"
                    "If it was not you, ignore this message; your password stays the same.",
                    username=user.username,
                    minutes=minutes,
                    link=link,
                )
                sender = neutral_sender(_("Notes"))
            else:
                subject = _("Reset your Tamkeen password")
                body = _(
                    "Someone asked to reset the password of the Tamkeen account %(username)s.\n\n"
                    "To choose a new password, open this link within %(minutes)d minutes:\n%(link)s\n\n"
                    "If it was not you, ignore this message; your password stays the same.",
                    username=user.username,
                    minutes=minutes,
                    link=link,
                )
                sender = None
        send_mail(user.email, subject, body, sender=sender)


def reset_token_user(token: str) -> PasswordResetToken | None:
    """Return the live reset token row for a token, or None."""
    row = db.session.scalar(
        db.select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def reset_password_with_token(token: str, new_password: str) -> User:
    """Use a reset token once to set a new password."""
    row = reset_token_user(token)
    user = db.session.get(User, row.user_id) if row else None
    if row is None or user is None or not user.is_active:
        raise AccountError(_("This reset link is not valid any more. Ask for a new one."))
    check_password(new_password, username=user.username)
    row.used_at = utcnow()
    _set_password(user, new_password)
    return user


def _code_digest(user_id: int, code: str) -> str:
    normalised = "".join(c for c in code.lower() if c.isalnum())
    return token_digest(f"{user_id}:{normalised}")


def generate_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones and return them (shown once)."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _char in range(15))
        codes.append("-".join(raw[i : i + 5] for i in range(0, 15, 5)))
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_digest(user.id, code)))
    user.has_pending_recovery_codes = False
    db.session.flush()
    return codes


def reset_password_with_code(username: str, code: str, new_password: str) -> User:
    """Use a recovery code once to set a new password; the same error for every failure."""
    failure = AccountError(_("That username and recovery code do not match."))
    user = find_user(username) if username else None
    if user is None or not user.is_active:
        raise failure
    row = db.session.scalar(
        db.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_digest(user.id, code or ""),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        raise failure
    check_password(new_password, username=user.username)
    row.used_at = utcnow()
    _set_password(user, new_password)
    return user


def remaining_recovery_codes(user: User) -> int:
    """Count the unused recovery codes of a user."""
    return db.session.scalar(
        db.select(db.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def purge_reset_tokens() -> int:
    """Delete password-reset tokens that are used or expired; return how many."""
    stmt = sa.delete(PasswordResetToken).where(
        sa.or_(PasswordResetToken.used_at.is_not(None), PasswordResetToken.expires_at < utcnow())
    )
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount


@jobs.every(hour="3", minute="17", name="lms.accounts.services.clean_up_expired")
def clean_up_expired() -> None:
    """Nightly job: expired sessions and spent reset tokens go (the worker commits)."""
    purge_sessions()
    purge_reset_tokens()
