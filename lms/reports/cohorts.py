"""Cohorts: a manager's group of learners for some courses, filled by upload or by a join code."""

import secrets
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts import services as accounts
from lms.accounts.models import Organisation, User
from lms.core.db import insert_ignore, utcnow
from lms.core.pagination import contains
from lms.courses import services as courses
from lms.courses.models import Course
from lms.extensions import db
from lms.reports import queries
from lms.reports.errors import NotAllowed, NotFound, ReportError
from lms.reports.filters import Scope
from lms.reports.models import Cohort, CohortCourse, CohortMember, CohortOrganisation

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O or 1/I/L to misread
CODE_LENGTH = 10


class CohortClosed(ReportError):
    """The cohort has ended; its code no longer works."""


@dataclass(frozen=True)
class CohortView:
    """A cohort with its courses, organisations and size."""

    cohort: Cohort
    courses: list[Course]
    organisations: list[Organisation]
    member_count: int


def new_code() -> str:
    """Return a fresh join code (about 49 random bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """Return a typed code in its stored form (upper case, no spaces or dashes)."""
    return "".join(c for c in (text or "").upper() if c.isalnum())[:32]


def cohorts_select(scope: Scope, search: str = "") -> sa.Select:
    """Return the cohorts a scope may see, whose name contains `search`, by name (for `paginate`)."""
    stmt = sa.select(Cohort).where(Cohort.id.in_(queries.cohorts_in_scope(scope)))
    if search:
        stmt = stmt.where(contains(Cohort.name, search))
    return stmt.order_by(Cohort.name, Cohort.id)


def members_select(scope: Scope, cohort_id: int, search: str = "") -> sa.Select:
    """Return the members of a cohort the scope covers, as users by username (for `paginate`).

    `search` finds them by username or display name. Check the cohort with `get_cohort` first.
    """
    stmt = (
        sa.select(User)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort_id)
    )
    learners = queries.learners_in_scope(scope)
    if learners is not None:
        stmt = stmt.where(User.id.in_(learners))
    if search:
        stmt = stmt.where(sa.or_(contains(User.username, search), contains(User.display_name, search)))
    return stmt.order_by(User.username, User.id)


def cohort_views(cohorts: list[Cohort]) -> list[CohortView]:
    """Return the cohorts with their courses, organisations and sizes (three queries)."""
    ids = [c.id for c in cohorts]
    course_rows = queries.lists_by_key(
        sa.select(CohortCourse.cohort_id, Course)
        .join(Course, Course.id == CohortCourse.course_id)
        .where(CohortCourse.cohort_id.in_(ids))
        .order_by(Course.slug)
    )
    org_rows = queries.lists_by_key(
        sa.select(CohortOrganisation.cohort_id, Organisation)
        .join(Organisation, Organisation.id == CohortOrganisation.organisation_id)
        .where(CohortOrganisation.cohort_id.in_(ids))
        .order_by(Organisation.name)
    )
    counts = dict(
        db.session.execute(
            sa.select(CohortMember.cohort_id, sa.func.count(CohortMember.id))
            .where(CohortMember.cohort_id.in_(ids))
            .group_by(CohortMember.cohort_id)
        ).all()
    )
    return [
        CohortView(c, course_rows.get(c.id, []), org_rows.get(c.id, []), counts.get(c.id, 0)) for c in cohorts
    ]


def get_cohort(scope: Scope, cohort_id: int) -> CohortView:
    """Return a cohort the scope covers; NotFound if it does not exist, NotAllowed if not theirs."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(_("There is no such cohort."))
    if db.session.scalar(queries.cohorts_in_scope(scope).where(Cohort.id == cohort_id)) is None:
        raise NotAllowed(_("That cohort is not one of yours."))
    return cohort_views([cohort])[0]


def create_cohort(
    actor: User | None,
    scope: Scope,
    *,
    name: str,
    course_ids: list[int],
    organisation_ids: list[int],
    starts_on: date | None,
    ends_on: date | None,
) -> Cohort:
    """Create a cohort with a join code (flushes).

    A manager of some organisations must run it for one or more of them; a cohort for no
    organisation is a programme cohort, which only programme managers can create.
    """
    name = accounts.clean_text(name, 120)
    if not name:
        raise ReportError(_("Give the cohort a name."))
    if starts_on and ends_on and ends_on < starts_on:
        raise ReportError(_("The cohort cannot end before it starts."))
    organisation_ids = sorted(set(organisation_ids))
    if any(not scope.covers(oid) for oid in organisation_ids):
        raise NotAllowed(_("That organisation is not one of yours."))
    if not organisation_ids and not scope.is_programme:
        raise ReportError(_("Choose at least one of your organisations."))
    found_orgs = db.session.scalars(
        sa.select(Organisation.id).where(Organisation.id.in_(organisation_ids))
    ).all()
    if len(found_orgs) != len(organisation_ids):
        raise NotFound(_("There is no such organisation."))
    course_ids = sorted(set(course_ids))
    if not course_ids:
        raise ReportError(_("Choose at least one course."))
    found_courses = db.session.scalars(sa.select(Course.id).where(Course.id.in_(course_ids))).all()
    if len(found_courses) != len(course_ids):
        raise NotFound(_("There is no such course."))
    cohort = Cohort(
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        join_code=new_code(),
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all(CohortCourse(cohort_id=cohort.id, course_id=cid) for cid in course_ids)
    db.session.add_all(
        CohortOrganisation(cohort_id=cohort.id, organisation_id=oid) for oid in organisation_ids
    )
    db.session.flush()
    return cohort


def renew_code(scope: Scope, cohort_id: int) -> Cohort:
    """Give a cohort a new join code; the old one stops working."""
    cohort = get_cohort(scope, cohort_id).cohort
    cohort.join_code = new_code()
    db.session.flush()
    return cohort


def _insert_members(rows: list[dict]) -> int:
    """Insert cohort members, skipping those already there (also when two requests race)."""
    added = 0
    for start in range(0, len(rows), 500):
        stmt = insert_ignore(
            db.session, CohortMember.__table__, rows[start : start + 500], ["cohort_id", "user_id"]
        )
        # RETURNING counts what was inserted: rowcount is -1 for multi-row inserts on psycopg.
        added += len(db.session.execute(stmt.returning(CohortMember.user_id)).all())
    return added


def add_members(view: CohortView, users: list[User], source: str) -> int:
    """Add users to a cohort and enrol them in its courses (flushes); return how many were new."""
    now = utcnow()
    added = _insert_members(
        [{"cohort_id": view.cohort.id, "user_id": u.id, "source": source, "joined_at": now} for u in users]
    )
    for user in users:
        for course in view.courses:
            courses.enroll(user, course)
    db.session.flush()
    return added


# Join code -------------------------------------------------------------------------------------


def find_by_code(code: str) -> CohortView | None:
    """Return the cohort a join code opens, or None."""
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        return None
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.join_code == code))
    return cohort_views([cohort])[0] if cohort is not None else None


def is_closed(cohort: Cohort, today: date | None = None) -> bool:
    """Tell whether a cohort has ended."""
    return cohort.ends_on is not None and cohort.ends_on < (today or utcnow().date())


@dataclass(frozen=True)
class JoinCheck:
    """A cohort a learner may join with a code, and whether they must choose an organisation."""

    view: CohortView
    needs_choice: bool


def check_code(user: User, code: str) -> JoinCheck:
    """Return the cohort a code lets a user join; NotFound or CohortClosed when it cannot.

    A learner who is not a member of any of the cohort's organisations must choose one.
    """
    view = find_by_code(code)
    if view is None:
        raise NotFound(_("That code does not open any cohort."))
    if is_closed(view.cohort):
        raise CohortClosed(_("This cohort has ended."))
    mine = {m.organisation_id for m in user.memberships}
    return JoinCheck(view, bool(view.organisations) and not mine & {o.id for o in view.organisations})


def join_with_code(user: User, code: str, organisation_id: int | None = None) -> CohortView:
    """Join the cohort a code opens and enrol in its courses.

    A learner who is not yet a member of one of the cohort's organisations joins the one
    they choose among them, so that its managers can see their progress.
    """
    check = check_code(user, code)
    view = check.view
    if check.needs_choice:
        chosen = next((o for o in view.organisations if o.id == organisation_id), None)
        if chosen is None:
            raise ReportError(_("Choose your organisation."))
        accounts.join_organisation(user, chosen)
    add_members(view, [user], "code")
    return view


def leave_all_cohorts(user: User) -> None:
    """Take the learner out of every cohort (their account is being erased)."""
    db.session.execute(sa.delete(CohortMember).where(CohortMember.user_id == user.id))
