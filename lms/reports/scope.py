"""Who sees what in reports: a user's scope, the filters it allows and what the filter form offers.

The organisation scope is the object-level rule of reports: every view, export and other
domain (certificates, live sessions) asks it here.
"""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import Organisation, User
from lms.accounts.permissions import ADMINS, MANAGERS, has_role
from lms.courses.models import Course
from lms.extensions import db
from lms.reports import queries
from lms.reports.errors import NotAllowed, NotFound
from lms.reports.filters import PROGRAMME, ReportFilter, Scope
from lms.reports.models import Cohort, ManagedOrganisation, ProgrammeManager


def scope_for(user: User) -> Scope:
    """Return the learners a user may report on; raise NotAllowed for learners and trainers.

    Admins and managers with a ProgrammeManager row see the whole programme; other managers
    see the members of the organisations they were given (ManagedOrganisation), possibly none.
    """
    if not has_role(user, MANAGERS):
        raise NotAllowed(_("Reports are for programme managers."))
    if has_role(user, ADMINS):
        return PROGRAMME
    if db.session.scalar(sa.select(ProgrammeManager.id).where(ProgrammeManager.user_id == user.id)):
        return PROGRAMME
    ids = db.session.scalars(
        sa.select(ManagedOrganisation.organisation_id).where(ManagedOrganisation.user_id == user.id)
    )
    return Scope(is_programme=False, organisation_ids=frozenset(ids))


def learners_visible_to(user: User) -> sa.Select | None:
    """Return the ids of the learners a user's scope covers, as a select (None: everyone).

    Certificates use it so that a manager sees, revokes and reissues only the certificates of
    the learners the reports show them; learners and trainers cover nobody.
    """
    try:
        scope = scope_for(user)
    except NotAllowed:
        return sa.select(User.id).where(sa.false())
    return queries.learners_in_scope(scope)


def manages_cohort(user, cohort: Cohort) -> bool:
    """Tell whether a manager's scope covers a cohort (they may run its live sessions)."""
    try:
        scope = scope_for(user)
    except NotAllowed:
        return False
    return db.session.scalar(queries.cohorts_in_scope(scope).where(Cohort.id == cohort.id)) is not None


def check_filter(scope: Scope, f: ReportFilter) -> None:
    """Refuse a filter naming what the scope does not cover (NotAllowed) or nothing (NotFound)."""
    if f.organisation is not None:
        if not scope.covers(f.organisation):
            raise NotAllowed(_("That organisation is not one of yours."))
        if db.session.get(Organisation, f.organisation) is None:
            raise NotFound(_("There is no such organisation."))
    if f.cohort is not None:
        exists = db.session.scalar(sa.select(Cohort.id).where(Cohort.id == f.cohort))
        visible = db.session.scalar(queries.cohorts_in_scope(scope).where(Cohort.id == f.cohort))
        if visible is None:
            if exists is None and scope.is_programme:
                raise NotFound(_("There is no such cohort."))
            raise NotAllowed(_("That cohort is not one of yours."))
    if f.course and db.session.scalar(sa.select(Course.id).where(Course.slug == f.course)) is None:
        raise NotFound(_("There is no such course."))


@dataclass(frozen=True)
class FilterOptions:
    """What the filter form offers: only what the scope covers."""

    courses: list[Course]
    organisations: list[Organisation]
    countries: list[str]
    cohorts: list[Cohort]


def filter_options(scope: Scope) -> FilterOptions:
    """Return the courses, organisations, countries and cohorts a scope may filter on (4 queries)."""
    organisations = sa.select(Organisation).order_by(Organisation.name, Organisation.id)
    if not scope.is_programme:
        organisations = organisations.where(Organisation.id.in_(sorted(scope.organisation_ids)))
    orgs = list(db.session.scalars(organisations))
    cohorts = db.session.scalars(
        sa.select(Cohort).where(Cohort.id.in_(queries.cohorts_in_scope(scope))).order_by(Cohort.name)
    )
    return FilterOptions(
        courses=list(db.session.scalars(sa.select(Course).order_by(Course.slug))),
        organisations=orgs,
        countries=sorted({o.country for o in orgs}),
        cohorts=list(cohorts),
    )


def describe_filter(scope: Scope, f: ReportFilter, **extra: Any) -> dict[str, Any]:
    """Return what the audit trail keeps about a request: the scope and the filter, no data."""
    return {"scope": scope.describe(), **f.as_args(), **extra}
