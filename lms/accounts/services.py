"""Account services: sign-up, sign-in, sessions, passwords, organisations, privacy."""

import json
import secrets
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Message
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from lms.accounts.models import (
    Membership,
    Organisation,
    PasswordResetToken,
    RecoveryCode,
    Role,
    User,
    UserSession,
)
from lms.core.db import DirectQuery, utcnow
from lms.core.security import (
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from lms.extensions import db, jobs, mail

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 4096  # long passphrases welcome; the cap only stops abuse
RECOVERY_CODE_COUNT = 8
_BIDI_AND_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


class AccountError(Exception):
    """A request about an account that cannot be carried out; the message is for the user."""


class UsernameTaken(AccountError):
    """The username is in use (views must not reveal this)."""


def clean_text(value: str, max_length: int) -> str:
    """Normalise free text (NFC), drop control and bidi-override characters, trim."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(c for c in value if unicodedata.category(c) not in _BIDI_AND_CONTROL)
    return " ".join(value.split())[:max_length]


def username_key(username: str) -> str:
    """Return the comparison form of a username (NFKC, case-folded, trimmed)."""
    return unicodedata.normalize("NFKC", username or "").strip().casefold()


def check_username(username: str) -> str:
    """Validate a username and return it normalised; raise AccountError otherwise."""
    username = unicodedata.normalize("NFKC", username or "").strip()
    if not 3 <= len(username) <= 32:
        raise AccountError(_("Usernames are 3 to 32 characters long."))
    for char in username:
        if not (char.isalnum() or char in "._-"):
            raise AccountError(_("Usernames may contain letters, digits, dots, dashes and underscores."))
    return username


@cache
def common_passwords() -> frozenset[str]:
    """Return the refused common passwords, case-folded."""
    text = resources.files("lms.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def check_password(password: str, *, username: str = "") -> None:
    """Refuse passwords that are too short, too long, common or equal to the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Passwords need at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("That password is too long."))
    folded = password.strip().casefold()
    if folded in common_passwords() or (username and folded == username_key(username)):
        raise AccountError(_("That password is too common; choose another."))


def get_user(user_id: int) -> User | None:
    """Return a user by id."""
    return db.session.get(User, user_id)


def display_names(user_ids) -> dict[int, str]:
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
    if find_user(username) is not None:
        raise UsernameTaken(_("That username is taken."))
    email = (email or "").strip() or None
    user = User(
        username=username,
        username_key=username_key(username),
        password_hash=password_hash,
        display_name=clean_text(display_name, 120),
        email=email,
        email_key=email.casefold() if email else None,
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


# Sessions -------------------------------------------------------------------------------------


# One query on every request, built once: the live session row (read fresh) and its user's columns.
_USER_COLUMNS = tuple(attribute.key for attribute in sa.inspect(User).column_attrs)
_SESSION_USER = DirectQuery(
    sa.select(*(getattr(User, key) for key in _USER_COLUMNS))
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == sa.bindparam("token_hash"), UserSession.revoked_at.is_(None))
)


def start_session(user: User) -> str:
    """Open a server-side session for the user and return its token (for the cookie)."""
    token = new_token(32)
    db.session.add(UserSession(token_hash=token_digest(token), user_id=user.id))
    db.session.flush()
    return token


def session_user(user_id: str | int, token: str | None) -> User | None:
    """Return the user of a live session token, or None if revoked, unknown or inactive."""
    if not token:
        return None
    rows = _SESSION_USER.rows(db.session, {"token_hash": token_digest(token)})
    if not rows or str(rows[0][0]) != str(user_id):
        return None
    user = _persistent_user(dict(zip(_USER_COLUMNS, rows[0], strict=True)))
    return user if user.is_active else None


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


# Passwords ------------------------------------------------------------------------------------


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change a password after checking the current one; every session is revoked."""
    if not verify_password(user.password_hash, current_password):
        raise AccountError(_("The current password is not right."))
    check_password(new_password, username=user.username)
    _set_password(user, new_password)


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    db.session.flush()


def set_password(user: User, new_password: str) -> None:
    """Set a new password without the old one (admin CLI); every session is revoked."""
    check_password(new_password, username=user.username)
    _set_password(user, new_password)


def request_password_reset(email: str) -> None:
    """E-mail a reset link to every active account with this address; say nothing either way."""
    key = (email or "").strip().casefold()
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
            subject = _("Reset your Tamkeen password")
            body = _(
                "Someone asked to reset the password of the Tamkeen account %(username)s.\n\n"
                "To choose a new password, open this link within %(minutes)d minutes:\n%(link)s\n\n"
                "If it was not you, ignore this message; your password stays the same.",
                username=user.username,
                minutes=minutes,
                link=link,
            )
        send_mail(user.email, subject, body)


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


def send_mail(to: str, subject: str, body: str) -> None:
    """Queue a plain-text message: it is sent by the job worker, never inside the request."""
    deliver_mail.enqueue(to, subject, body)


@jobs.job(retries=6, retry_delay=60)
def deliver_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text message through Flask-Mail, or write it to a file or the console."""
    transport = current_app.config["MAIL_TRANSPORT"]
    message = Message(subject=subject, recipients=[to], body=body)
    if transport == "smtp":
        mail.send(message)
        return
    if transport == "memory":
        current_app.extensions.setdefault("tamkeen-outbox", []).append(
            {"to": to, "subject": subject, "body": body}
        )
    elif transport == "file":
        path = Path(current_app.instance_path) / "mail.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(message.as_string() + "\n" + "-" * 60 + "\n")
    else:
        print(message.as_string())  # noqa: T201 - the console transport is for development


# Profile, roles and organisations -------------------------------------------------------------


def update_profile(
    user: User, *, display_name: str, email: str | None, locale: str | None, is_discreet: bool = False
) -> None:
    """Save the learner's own profile choices."""
    user.is_discreet = bool(is_discreet)
    user.display_name = clean_text(display_name, 120)
    email = (email or "").strip() or None
    user.email = email
    user.email_key = email.casefold() if email else None
    user.locale = locale if locale in current_app.config["LANGUAGES"] else None
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    """Remember the interface language a signed-in user chose."""
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale
        db.session.flush()


def set_disabled(actor: User, user: User, disabled: bool) -> None:
    """Disable or enable an account (admins only); disabling ends its sessions."""
    if actor.role != Role.ADMIN:
        raise PermissionError(_("Only admins can disable accounts."))
    if actor.id == user.id:
        raise AccountError(_("You cannot disable your own account."))
    user.is_disabled = disabled
    if disabled:
        end_all_sessions(user)
    db.session.flush()


def list_users(limit: int = 500) -> list[User]:
    """Return accounts for the admin list, newest first."""
    return list(
        db.session.scalars(
            db.select(User).where(User.is_erased.is_(False)).order_by(User.id.desc()).limit(limit)
        )
    )


def list_organisations() -> list[Organisation]:
    """Return every organisation by name."""
    return list(db.session.scalars(db.select(Organisation).order_by(Organisation.name)))


def get_organisation(organisation_id: int) -> Organisation | None:
    """Return an organisation by id."""
    return db.session.get(Organisation, organisation_id)


def create_organisation(actor: User, name: str, country: str) -> Organisation:
    """Create an organisation (admins only)."""
    if actor.role != Role.ADMIN:
        raise PermissionError(_("Only admins can create organisations."))
    name = clean_text(name, 200)
    country = (country or "").strip().upper()
    if not name or len(country) != 2 or not country.isalpha() or not country.isascii():
        raise AccountError(_("Give a name and a two-letter country code."))
    existing = db.session.scalar(
        db.select(Organisation).where(Organisation.name == name, Organisation.country == country)
    )
    if existing is not None:
        return existing
    organisation = Organisation(name=name, country=country)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def join_organisation(user: User, organisation: Organisation) -> Membership:
    """Make the user a member of an organisation; joining twice is harmless."""
    membership = db.session.scalar(
        db.select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation.id
        )
    )
    if membership is None:
        membership = Membership(user_id=user.id, organisation_id=organisation.id)
        db.session.add(membership)
        db.session.flush()
    return membership


def leave_organisation(user: User, organisation: Organisation) -> None:
    """End the user's membership of an organisation, if any."""
    db.session.execute(
        db.delete(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation.id
        )
    )


def create_user(username: str, password: str, role: Role, *, display_name: str = "") -> User:
    """Create an account with a role (CLI and demo data)."""
    user = register(username, password, display_name=display_name, role=role)
    user.has_pending_recovery_codes = True
    return user


# Privacy --------------------------------------------------------------------------------------

DataExporter = Callable[[User], Any]


def register_data_exporter(app, name: str, exporter: DataExporter) -> None:
    """Let a higher domain add its part of a learner's data download."""
    app.extensions.setdefault("tamkeen-data-exporters", {})[name] = exporter


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
                "ended_at": s.revoked_at.isoformat() if s.revoked_at else None,
            }
            for s in db.session.scalars(
                db.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
            )
        ],
    }
    for name, exporter in current_app.extensions.get("tamkeen-data-exporters", {}).items():
        data[name] = exporter(user)
    json.dumps(data)  # fail here, not half-way through a download, if something is not JSON
    return data


def erase_user(user: User, password: str) -> None:
    """Erase an account's personal data; records stay, tied only to a random pseudonym."""
    if not verify_password(user.password_hash, password):
        raise AccountError(_("The password is not right."))
    end_all_sessions(user)
    pseudonym = f"erased-{secrets.token_hex(8)}"
    user.username = pseudonym
    user.username_key = pseudonym
    user.display_name = ""
    user.email = None
    user.email_key = None
    user.password_hash = None
    user.is_erased = True
    user.erased_at = utcnow()
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(db.delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    for hook in current_app.extensions.get("tamkeen-erase-hooks", []):
        hook(user)
    db.session.flush()
