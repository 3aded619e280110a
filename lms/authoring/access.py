"""Who may edit a course: the editor's object-level rules, the workspace, and a course's owners.

The role rule (trainers and admins use the editor) is `lms.accounts.permissions.TRAINERS`;
the rules here are per course: admins edit every course, trainers the courses they own.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.accounts.permissions import ADMINS, TRAINERS, has_role
from lms.cohorts import services as cohort_services
from lms.core.pagination import contains
from lms.courses import services as courses
from lms.extensions import db

from .errors import AuthoringError, NotFound
from .models import CourseOwner, Draft


def can_edit(user, slug: str) -> bool:
    """Tell whether the user may read and change a course: admins all, trainers their own."""
    if not has_role(user, TRAINERS):
        return False
    if has_role(user, ADMINS):
        return True
    return bool(
        db.session.scalar(
            sa.select(CourseOwner.id).where(CourseOwner.course_slug == slug, CourseOwner.user_id == user.id)
        )
    )


def trains_cohort(user, cohort) -> bool:
    """Tell whether a trainer edits one of a cohort's courses (they may run its live sessions)."""
    if not has_role(user, TRAINERS):
        return False
    slugs = [c.slug for c in cohort_services.cohort_courses(cohort.id)]
    return bool(
        slugs
        and db.session.scalar(
            sa.select(CourseOwner.id).where(
                CourseOwner.course_slug.in_(slugs), CourseOwner.user_id == user.id
            )
        )
    )


@dataclass
class Workspace:
    """A course as its editors see it: the draft if there is one, the published course if any."""

    slug: str
    draft: Draft | None
    course: object | None  # lms.courses.models.Course


def workspace(user, slug: str) -> Workspace | None:
    """Return a course the user may edit, or None (missing and foreign look the same)."""
    if not can_edit(user, slug):
        return None
    draft = db.session.scalar(sa.select(Draft).where(Draft.slug == slug))
    course = courses.get_course(slug)
    if draft is None and course is None:
        return None
    return Workspace(slug, draft, course)


def owned_slugs(user) -> list[str] | None:
    """Return the slugs of the courses a trainer owns; None for an admin (every course)."""
    if has_role(user, ADMINS):
        return None
    return list(db.session.scalars(sa.select(CourseOwner.course_slug).where(CourseOwner.user_id == user.id)))


# Owners ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """An owner of a course, named as staff see each other."""

    user_id: int
    name: str


def owners(slug: str) -> list[Owner]:
    """Return a course's owners (two queries)."""
    ids = list(
        db.session.scalars(
            sa.select(CourseOwner.user_id)
            .where(CourseOwner.course_slug == slug)
            .order_by(CourseOwner.created_at, CourseOwner.id)
        )
    )
    names = staff_names(set(ids))
    return [Owner(user_id, names.get(user_id, "")) for user_id in ids]


def add_owner_row(slug: str, user, added_by) -> None:
    """Make a user an owner of a course (nothing changes when they are one already)."""
    exists = db.session.scalar(
        sa.select(CourseOwner.id).where(CourseOwner.course_slug == slug, CourseOwner.user_id == user.id)
    )
    if not exists:
        db.session.add(CourseOwner(course_slug=slug, user_id=user.id, added_by_id=added_by.id))
        db.session.flush()


def add_owner(actor, ws: Workspace, username: str) -> Owner:
    """Make a trainer a co-owner of the course; learners and managers cannot be owners."""
    user = accounts.find_user((username or "").strip())
    if user is None or not has_role(user, TRAINERS):
        # One answer for "no such account" and "not a trainer": nobody can probe accounts.
        raise AuthoringError(_("There is no trainer with that username."))
    add_owner_row(ws.slug, user, actor)
    return Owner(user.id, user.name)


def remove_owner(actor, ws: Workspace, user_id: int) -> None:
    """Remove a co-owner; the last owner stays, so a course is never left without one.

    Someone who is not an owner of this course is NotFound (404).
    """
    rows = list(db.session.scalars(sa.select(CourseOwner).where(CourseOwner.course_slug == ws.slug)))
    row = next((r for r in rows if r.user_id == user_id), None)
    if row is None:
        raise NotFound
    if len(rows) == 1:
        raise AuthoringError(_("A course keeps at least one owner."))
    db.session.delete(row)
    db.session.flush()


def staff_names(user_ids: set[int]) -> dict[int, str]:
    """Name staff as they see each other: display name, else username (never for learners)."""
    return accounts.user_names(user_ids)


def users_named(search: str) -> sa.Select:
    """Return the ids of the users whose display name or username contains `search` (a subquery)."""
    return sa.select(User.id).where(
        sa.or_(contains(User.display_name, search), contains(User.username, search))
    )
