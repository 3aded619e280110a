"""Report services: managers' scope, exports with their audit trail, dashboards, demographics.

Cohorts live in `lms.reports.cohorts`. Services take the acting user, flush and never commit.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import Organisation, Role, User
from lms.core.db import utcnow
from lms.core.i18n import text_direction
from lms.courses.models import Course
from lms.extensions import db, jobs
from lms.reports import aggregates, attendance, completions, exports, queries
from lms.reports.filters import PROGRAMME, ReportFilter, Scope
from lms.reports.models import (
    AGE_BANDS,
    GENDERS,
    Cohort,
    CohortMember,
    ExportAudit,
    LearnerDemographics,
    ManagedOrganisation,
    ProgrammeManager,
    ReportFact,
)
from lms.reports.summary import Summary

FORMATS = ("csv", "xlsx")


class ReportError(Exception):
    """A report request that cannot be carried out; the message is for the user."""


class NotAllowed(ReportError):
    """The user may not see this (answer 403)."""


class NotFound(ReportError):
    """The object does not exist (answer 404)."""


# Scope -----------------------------------------------------------------------------------------


def scope_for(user: User) -> Scope:
    """Return the learners a user may report on; raise NotAllowed for learners and trainers.

    Admins and managers with a ProgrammeManager row see the whole programme; other managers
    see the members of the organisations they were given (ManagedOrganisation), possibly none.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAllowed(_("Reports are for programme managers."))
    if user.role == Role.ADMIN:
        return PROGRAMME
    if user.role != Role.MANAGER:
        raise NotAllowed(_("Reports are for programme managers."))
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


# Dashboard -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's figures; `as_of`: when the stored facts they add up were refreshed."""

    summary: Summary
    active_learners: int
    as_of: datetime | None = None


def dashboard(scope: Scope, f: ReportFilter, *, now: datetime | None = None, live: bool = False) -> Dashboard:
    """Return the dashboard's figures, added up by the database (a fixed number of queries).

    They come from the stored facts that `refresh_report_facts` rebuilds every five minutes
    (exact as of that moment, fast at any size); from the records themselves (`live`, or
    before the first refresh).
    """
    now = now or utcnow()
    as_of = None if live else aggregates.last_refresh()
    if as_of is None:
        return Dashboard(
            summary=aggregates.summarise(scope, f),
            active_learners=queries.active_learners(scope, f, now),
        )
    return Dashboard(
        summary=aggregates.summarise(scope, f, stored=True),
        active_learners=aggregates.stored_active_learners(scope, f, now),
        as_of=as_of,
    )


def refresh_report_facts(now: datetime | None = None) -> int:
    """Rebuild the dashboard's stored facts from the records; return how many enrolments."""
    return aggregates.refresh_facts(now or utcnow())


@jobs.every(minute="*/5")
def refresh_report_facts_job() -> None:
    """Every five minutes: the dashboard's figures, exact as of then (the page says when)."""
    refresh_report_facts()


# Exports and the audit trail -------------------------------------------------------------------


def record_export(
    actor: User | None, kind: str, fmt: str, filters: dict[str, Any], row_count: int, *, actor_name: str = ""
) -> ExportAudit:
    """Write one audit entry: who, when, which filter and how many rows (flushes)."""
    entry = ExportAudit(
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor.username if actor is not None else actor_name)[:120],
        kind=kind,
        format=fmt,
        filters=filters,
        row_count=row_count,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def export_completions(
    actor: User | None,
    scope: Scope,
    f: ReportFilter,
    fmt: str,
    out: IO[bytes],
    *,
    locale: str = "en",
    actor_name: str = "",
    tmpdir: str | None = None,
) -> int:
    """Write the completion records as CSV or XLSX to a binary stream and audit it; return rows.

    Rows are written as they are read from a server-side cursor. `locale` decides only the
    sheet direction of an XLSX file: the columns never depend on the interface language.
    """
    if fmt not in FORMATS:
        raise ReportError(_("Unknown export format."))
    check_filter(scope, f)
    rows = completions.completion_rows(scope, f)
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        count = exports.write_csv(rows, text)
        text.flush()
        text.detach()
    else:
        rtl = text_direction(locale) == "rtl"
        count = exports.write_xlsx(completions.records(rows), out, rtl=rtl, tmpdir=tmpdir)
    record_export(
        actor, "completions", fmt, describe_filter(scope, f, locale=locale), count, actor_name=actor_name
    )
    return count


def export_attendance(
    actor: User | None, scope: Scope, f: ReportFilter, out: IO[bytes], *, actor_name: str = ""
) -> int:
    """Write the live-session attendance of the filter as CSV and audit it; return the rows."""
    check_filter(scope, f)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    count = attendance.write_csv(scope, f, text)
    text.flush()
    text.detach()
    record_export(actor, "attendance", "csv", describe_filter(scope, f), count, actor_name=actor_name)
    return count


def export_statements(
    actor: User | None, scope: Scope, since: date, until: date, out: IO[bytes], *, actor_name: str = ""
) -> int:
    """Write the learning records of a date range as xAPI JSON lines and audit it; return the count."""
    if until < since:
        raise ReportError(_("The end date is before the start date."))
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    count = exports.write_jsonl(queries.iter_statements(scope, since, until), text)
    text.flush()
    text.detach()
    filters = {"scope": scope.describe(), "since": since.isoformat(), "until": until.isoformat()}
    record_export(actor, "statements", "jsonl", filters, count, actor_name=actor_name)
    return count


def audit_trail(limit: int = 500) -> list[ExportAudit]:
    """Return the latest audit entries, newest first."""
    return list(db.session.scalars(sa.select(ExportAudit).order_by(ExportAudit.id.desc()).limit(limit)))


# Managers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerScope:
    """A manager and what they may see."""

    user: User
    is_programme: bool
    organisations: list[Organisation]


def manager_scopes() -> list[ManagerScope]:
    """Return every manager with their organisations (three queries)."""
    managers = list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.MANAGER, User.is_erased.is_(False))
            .order_by(User.username)
        )
    )
    programme = set(db.session.scalars(sa.select(ProgrammeManager.user_id)))
    organisations: dict[int, list[Organisation]] = {}
    for user_id, organisation in db.session.execute(
        sa.select(ManagedOrganisation.user_id, Organisation)
        .join(Organisation, Organisation.id == ManagedOrganisation.organisation_id)
        .order_by(Organisation.name)
    ).tuples():
        organisations.setdefault(user_id, []).append(organisation)
    return [ManagerScope(u, u.id in programme, organisations.get(u.id, [])) for u in managers]


def _check_grant(actor: User, manager: User) -> None:
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed(_("Only admins decide what managers see."))
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


# Demographics ----------------------------------------------------------------------------------


def get_demographics(user: User) -> LearnerDemographics | None:
    """Return what the learner chose to tell about themselves, or None."""
    return db.session.scalar(sa.select(LearnerDemographics).where(LearnerDemographics.user_id == user.id))


def save_demographics(user: User, gender: str | None, age_band: str | None, is_shared: bool) -> None:
    """Store the learner's answers; giving neither deletes the record."""
    gender, age_band = gender or None, age_band or None
    if gender not in (None, *GENDERS) or age_band not in (None, *AGE_BANDS):
        raise ReportError(_("Choose one of the answers offered."))
    row = get_demographics(user)
    if gender is None and age_band is None:
        if row is not None:
            db.session.delete(row)
        db.session.flush()
        return
    if row is None:
        row = LearnerDemographics(user_id=user.id)
        db.session.add(row)
    row.gender, row.age_band, row.is_shared, row.updated_at = gender, age_band, is_shared, utcnow()
    db.session.flush()


def demographics_data(user: User) -> dict[str, Any] | None:
    """Return the learner's answers for their data download."""
    row = get_demographics(user)
    if row is None:
        return None
    return {"gender": row.gender, "age_band": row.age_band, "shared_in_reports": row.is_shared}


def leave_all_cohorts(user: User) -> None:
    """Take the learner out of every cohort (their account is being erased)."""
    db.session.execute(sa.delete(CohortMember).where(CohortMember.user_id == user.id))


def erase_demographics(user: User) -> None:
    """Delete the learner's answers and stored report facts (their account is being erased)."""
    db.session.execute(sa.delete(LearnerDemographics).where(LearnerDemographics.user_id == user.id))
    db.session.execute(sa.delete(ReportFact).where(ReportFact.user_id == user.id))


def task_figures(scope, f):
    """Return per course: practice-task submissions by status and the median days to a review."""
    return queries.task_figures(scope, f)
