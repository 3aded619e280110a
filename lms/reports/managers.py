"""What each manager sees: the organisations (or the whole programme) admins give them."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import Organisation, Role, User
from lms.accounts.permissions import ADMINS, has_role
from lms.core.pagination import contains
from lms.extensions import db
from lms.reports.errors import NotAllowed, ReportError
from lms.reports.models import ManagedOrganisation, ProgrammeManager
from lms.reports.queries import lists_by_key


@dataclass(frozen=True)
class ManagerScope:
    """A manager and what they may see."""

    user: User
    is_programme: bool
    organisations: list[Organisation]


def managers_select(search: str = "") -> sa.Select:
    """Return the manager accounts by username, found by username or display name (for `paginate`)."""
    stmt = sa.select(User).where(User.role == Role.MANAGER, User.is_erased.is_(False))
    if search:
        stmt = stmt.where(sa.or_(contains(User.username, search), contains(User.display_name, search)))
    return stmt.order_by(User.username, User.id)


def manager_choices() -> list[tuple[int, str]]:
    """Return (id, username) of every manager, for the grant form (one query)."""
    rows = db.session.execute(managers_select().with_only_columns(User.id, User.username))
    return [(user_id, username) for user_id, username in rows]


def manager_scopes(managers: list[User] | None = None) -> list[ManagerScope]:
    """Return managers (default: all) with what they see (two queries, three for all)."""
    if managers is None:
        managers = list(db.session.scalars(managers_select()))
    ids = [u.id for u in managers]
    programme = set(
        db.session.scalars(sa.select(ProgrammeManager.user_id).where(ProgrammeManager.user_id.in_(ids)))
    )
    organisations = lists_by_key(
        sa.select(ManagedOrganisation.user_id, Organisation)
        .join(Organisation, Organisation.id == ManagedOrganisation.organisation_id)
        .where(ManagedOrganisation.user_id.in_(ids))
        .order_by(Organisation.name)
    )
    return [ManagerScope(u, u.id in programme, organisations.get(u.id, [])) for u in managers]


def _check_grant(actor: User, manager: User) -> None:
    if actor is not None and not has_role(actor, ADMINS):
        raise NotAllowed(_("Only admins decide what managers see."))
    # Whom the grant is for, not who may grant: only manager accounts have a scope to give.
    if manager.role != Role.MANAGER:
        raise ReportError(_("%(name)s is not a manager.", name=manager.username))


def grant_scope(actor: User | None, manager: User, organisation: Organisation | None) -> None:
    """Let a manager see an organisation's learners, or the whole programme (None); idempotent."""
    _check_grant(actor, manager)
    by = actor.id if actor is not None else None
    if organisation is None:
        if not db.session.scalar(
            sa.select(ProgrammeManager.id).where(ProgrammeManager.user_id == manager.id)
        ):
            db.session.add(ProgrammeManager(user_id=manager.id, granted_by_id=by))
    elif not db.session.scalar(
        sa.select(ManagedOrganisation.id).where(
            ManagedOrganisation.user_id == manager.id, ManagedOrganisation.organisation_id == organisation.id
        )
    ):
        db.session.add(
            ManagedOrganisation(user_id=manager.id, organisation_id=organisation.id, granted_by_id=by)
        )
    db.session.flush()


def revoke_scope(actor: User | None, manager: User, organisation: Organisation | None) -> None:
    """Take back an organisation, or the whole programme (None), from a manager."""
    _check_grant(actor, manager)
    if organisation is None:
        db.session.execute(sa.delete(ProgrammeManager).where(ProgrammeManager.user_id == manager.id))
    else:
        db.session.execute(
            sa.delete(ManagedOrganisation).where(
                ManagedOrganisation.user_id == manager.id,
                ManagedOrganisation.organisation_id == organisation.id,
            )
        )
    db.session.flush()
