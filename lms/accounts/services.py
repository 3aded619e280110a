"""Account services: sign-up, sign-in, sessions, passwords, organisations, privacy."""

import bisect
import gzip
import json
import secrets
import smtplib
import unicodedata
import uuid
from array import array
from collections.abc import Callable
from datetime import timedelta
from email.utils import formataddr, parseaddr
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Connection as MailConnection
from flask_mail import Message
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from lms.accounts import devices
from lms.accounts.confusables import skeleton
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
    canonical_key,
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from lms.extensions import db, jobs

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
    return canonical_key(username)


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
def common_passwords() -> array:
    """Return the refused common passwords (common_passwords.md says which), as sorted hashes.

    Loaded once, on the first check: about 200,000 64-bit hashes in 1.6 MB, where a set of the
    strings would take ten times that in every worker. Python's string hash is salted per
    process, which is fine: the hashes are made and compared in the same process.
    """
    data = resources.files("lms.accounts").joinpath("common_passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    return array("q", sorted(set(map(hash, filter(None, lines)))))


def is_common_password(password: str) -> bool:
    """Tell whether a password (compared NFKC, trimmed, case-folded) is in the bundled list."""
    hashes = common_passwords()
    wanted = hash(canonical_key(password))
    index = bisect.bisect_left(hashes, wanted)
    return index < len(hashes) and hashes[index] == wanted


def check_password(password: str, *, username: str = "") -> None:
    """Refuse passwords too short or long, common, one repeated character, or the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Passwords need at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("That password is too long."))
    folded = canonical_key(password)
    if len(set(folded)) <= 1 or (username and folded == username_key(username)):
        raise AccountError(_("That password is too easy to guess; choose another."))
    if is_common_password(password):
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


# Sessions -------------------------------------------------------------------------------------


# One query on every request, built once: the live session row (read fresh) and its user's columns.
_USER_COLUMNS = tuple(attribute.key for attribute in sa.inspect(User).column_attrs)
_SESSION_USER = DirectQuery(
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


def purge_reset_tokens() -> int:
    """Delete password-reset tokens that are used or expired; return how many."""
    stmt = sa.delete(PasswordResetToken).where(
        sa.or_(PasswordResetToken.used_at.is_not(None), PasswordResetToken.expires_at < utcnow())
    )
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount


@jobs.every(hour="3", minute="17")
def clean_up_expired() -> None:
    """Nightly job: expired sessions and spent reset tokens go (the worker commits)."""
    purge_sessions()
    purge_reset_tokens()


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
    rows = _SESSION_USER.rows(db.session, {"token_hash": token_digest(token)})
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


def session_user(user_id: str | int, token: str | None) -> User | None:
    """Return the user of a live session token, or None if revoked, unknown or inactive."""
    live = load_session(user_id, token)
    return live.user if live else None


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


class _TimedConnection(MailConnection):
    """Flask-Mail's SMTP connection with a timeout (MAIL_TIMEOUT): a stalled server fails."""

    def configure_host(self) -> smtplib.SMTP:
        """Connect, as Flask-Mail does, but give up after MAIL_TIMEOUT seconds of silence."""
        kind = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = kind(self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT"])
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def neutral_sender(name: str) -> str:
    """Return the configured sender address under a neutral display name (discreet mode)."""
    _name, address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return formataddr((name, address or "no-reply@localhost"))


def send_mail(to: str, subject: str, body: str, *, sender: str | None = None) -> None:
    """Queue a plain-text message: it is sent by the job worker, never inside the request."""
    deliver_mail.enqueue(to, subject, body, sender)


@jobs.job(retries=6, retry_delay=60)
def deliver_mail(to: str, subject: str, body: str, sender: str | None = None) -> None:
    """Send a plain-text message through Flask-Mail, or write it to a file or the console."""
    transport = current_app.config["MAIL_TRANSPORT"]
    message = Message(subject=subject, recipients=[to], body=body, sender=sender)
    if transport == "smtp":
        # Mail goes out after the response, in the worker's thread: it must not wait forever.
        with _TimedConnection(current_app.extensions["mail"]) as connection:
            connection.send(message)
        return
    if transport == "memory":
        current_app.extensions.setdefault("tamkeen-outbox", []).append(
            {"to": to, "subject": subject, "body": body, "sender": str(message.sender)}
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
    user.email_key = canonical_key(email) or None
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


JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O or 1/I/L to misread
JOIN_CODE_LENGTH = 10  # about 49 random bits


def _normalise_join_code(text: str | None) -> str:
    return "".join(c for c in canonical_key(text).upper() if c.isalnum())[:32]


def _new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _n in range(JOIN_CODE_LENGTH))


def renew_join_code(actor: User, organisation: Organisation) -> str:
    """Give an organisation a new join code (admins); the old one stops working."""
    if actor.role != Role.ADMIN:
        raise PermissionError(_("Only admins can create organisations."))
    organisation.join_code = _new_join_code()
    db.session.flush()
    return organisation.join_code


def join_organisation_with_code(user: User, code: str | None) -> Organisation:
    """Join the organisation whose join code this is: its code is its consent."""
    code = _normalise_join_code(code)
    organisation = (
        db.session.scalar(sa.select(Organisation).where(Organisation.join_code == code))
        if len(code) == JOIN_CODE_LENGTH
        else None
    )
    if organisation is None:
        raise AccountError(_("That code does not open any organisation."))
    join_organisation(user, organisation)
    return organisation


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
    organisation = Organisation(name=name, country=country, join_code=_new_join_code())
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
    for name, exporter in current_app.extensions.get("tamkeen-data-exporters", {}).items():
        data[name] = exporter(user)
    json.dumps(data)  # fail here, not half-way through a download, if something is not JSON
    return data


_signals = Namespace()
account_erasing = _signals.signal(
    "account-erasing",
    doc="Sent (sender: the app, keyword `user`) inside the transaction that erases an account: "
    "receivers delete what their domain keeps about the user. Subscribe with `add_erase_hook`.",
)
me_panels = _signals.signal(
    "me-panels",
    doc="Sent (sender: the app, keyword `user`) to build 'My learning': each receiver returns a "
    "panel's HTML (Markup) or None. Subscribe with `add_me_panel`.",
)
profile_links = _signals.signal(
    "profile-links",
    doc="Sent (sender: the app) to list the pages other domains add to the profile: each receiver "
    "returns (endpoint, label). Subscribe with `add_profile_link`.",
)


def add_erase_hook(app, hook: Callable[[User], None]) -> None:
    """Let a higher domain delete its data about a learner when the account is erased."""
    account_erasing.connect(lambda _sender, *, user: hook(user), sender=app, weak=False)


def add_me_panel(app, panel: Callable[[User], Any]) -> None:
    """Let a higher domain add a panel (HTML) to the learner's "My learning" page."""
    me_panels.connect(lambda _sender, *, user: panel(user), sender=app, weak=False)


def add_profile_link(app, endpoint: str, label: Any) -> None:
    """Let a higher domain link one of its pages from the learner's profile."""
    profile_links.connect(lambda _sender: (endpoint, label), sender=app, weak=False)


def panels_for(user: User) -> list:
    """Return the "My learning" panels of every domain, in the order they were added."""
    return [
        panel for _receiver, panel in me_panels.send(current_app._get_current_object(), user=user) if panel
    ]


def extra_profile_links() -> list[tuple[str, Any]]:
    """Return the (endpoint, label) links other domains add to the profile."""
    return [link for _receiver, link in profile_links.send(current_app._get_current_object())]


def register_pseudonym_hook(app, hook: Callable[[str, str], None]) -> None:
    """Let another domain move its records from an erased learner's old pseudonym to the new one."""
    app.extensions.setdefault("tamkeen-pseudonym-hooks", []).append(hook)


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
    for rekey in current_app.extensions.get("tamkeen-pseudonym-hooks", []):
        rekey(old_public_id, user.public_id)
    account_erasing.send(current_app._get_current_object(), user=user)
    db.session.flush()
