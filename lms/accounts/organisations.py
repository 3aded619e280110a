"""Organisations and memberships: created by admins, joined with the organisation's code."""

import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts import permissions
from lms.accounts.errors import AccountError, NotAllowed
from lms.accounts.models import Membership, Organisation, User
from lms.accounts.validation import clean_text
from lms.core.security import canonical_key
from lms.extensions import db


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
    if not permissions.has_role(actor, permissions.ADMINS):
        raise NotAllowed(_("Only admins can give an organisation a new join code."))
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
    if not permissions.has_role(actor, permissions.ADMINS):
        raise NotAllowed(_("Only admins can create organisations."))
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
