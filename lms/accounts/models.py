"""Accounts: users, organisations and memberships, server-side sessions, reset credentials."""

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import utcnow
from lms.extensions import db


class Role(enum.StrEnum):
    """What a user may do; one role per account."""

    LEARNER = "learner"
    TRAINER = "trainer"
    MANAGER = "manager"
    ADMIN = "admin"


ROLE_ENUM = sa.Enum(
    Role,
    name="role",
    native_enum=False,
    length=16,
    values_callable=lambda roles: [r.value for r in roles],
    validate_strings=True,
)


class User(UserMixin, db.Model):
    """An account. Only the username and password are required; the rest is the learner's choice."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Opaque id used in learning records and exports instead of anything identifying.
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))
    username: Mapped[str] = mapped_column(sa.String(64))
    username_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # UTS #39 confusable skeleton: a new name whose skeleton is taken is refused (look-alikes).
    username_skeleton: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    email_key: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    role: Mapped[Role] = mapped_column(ROLE_ENUM, default=Role.LEARNER)
    is_disabled: Mapped[bool] = mapped_column(default=False)
    is_erased: Mapped[bool] = mapped_column(default=False)
    # Neutral page titles, for learners whose screen or history may be seen by others.
    is_discreet: Mapped[bool] = mapped_column(default=False)
    # Recovery codes are generated at the first sign-in after sign-up and shown once.
    has_pending_recovery_codes: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        """Return the id Flask-Login keeps in the session."""
        return str(self.id)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        """Tell whether the account may sign in."""
        return not (self.is_disabled or self.is_erased)

    @property
    def name(self) -> str:
        """Return what the interface calls this user."""
        return self.display_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Organisation(db.Model):
    """A partner organisation (NGO, coalition, network)."""

    __tablename__ = "organisations"
    __table_args__ = (sa.UniqueConstraint("name", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))  # ISO 3166-1 alpha-2
    # Learners join with this code only (given by the organisation); None: nobody can join.
    join_code: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class Membership(db.Model):
    """A user's membership of an organisation."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class UserSession(db.Model):
    """A signed-in session; the cookie holds only its random token, revocable server-side."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # Coarse on purpose (lms.accounts.sessions.LAST_USED_PRECISION); never an IP address.
    last_used_at: Mapped[datetime | None]
    # Browser and system family from the User-Agent ("Firefox/Android"), for the sessions page.
    device: Mapped[str] = mapped_column(sa.String(40), default="")


class PasswordResetToken(db.Model):
    """A single-use e-mailed reset token, stored hashed."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RecoveryCode(db.Model):
    """A one-time recovery code for accounts without e-mail, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None]
