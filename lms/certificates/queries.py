"""Reading certificates: a learner's own, a course's for its managers (paged and searchable)."""

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.certificates.scope import scope_clause
from lms.core.pagination import contains
from lms.extensions import db


def get_certificate(certificate_id: int) -> Certificate | None:
    """Return a certificate (or pending request) by id, with its course."""
    return db.session.scalar(
        sa.select(Certificate)
        .where(Certificate.id == certificate_id)
        .options(selectinload(Certificate.course))
    )


def current_certificate(user, course) -> Certificate | None:
    """Return the user's certificate or pending request for the course's current version."""
    return db.session.scalar(
        sa.select(Certificate).where(
            Certificate.user_id == user.id,
            Certificate.course_id == course.id,
            Certificate.course_version == course.version,
        )
    )


def pending_request(user, course) -> Certificate | None:
    """Return the user's pending request for a course (any version), if any."""
    return db.session.scalar(
        sa.select(Certificate).where(
            Certificate.user_id == user.id,
            Certificate.course_id == course.id,
            Certificate.issued_at.is_(None),
        )
    )


def course_certificates_of(user, course) -> list[Certificate]:
    """Return the user's certificates of a course, newest version first."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.user_id == user.id, Certificate.course_id == course.id)
            .order_by(Certificate.course_version.desc())
        )
    )


def my_certificates(user) -> list[Certificate]:
    """Return the user's certificates and pending requests with their courses (two queries)."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.user_id == user.id)
            .options(selectinload(Certificate.course))
            .order_by(Certificate.requested_at.desc())
        )
    )


def last_name_used(user) -> str:
    """Return the name the user last asked to be printed, to pre-fill the next request."""
    return (
        db.session.scalar(
            sa.select(Certificate.name_on_certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.requested_at.desc())
            .limit(1)
        )
        or ""
    )


def course_certificates(course, viewer) -> list[Certificate]:
    """Return the issued certificates of a course that a manager or admin may see (the ZIP)."""
    return list(db.session.scalars(course_certificates_select(course, viewer)))


def course_certificates_select(course, viewer, search: str = "") -> sa.Select:
    """Return the select of a course's issued certificates a manager or admin may see, with their
    learners, oldest first; `search` keeps those whose learner's username or display name has it.

    For `lms.core.pagination.paginate`: one page is two queries (the rows and the count).
    """
    select = (
        sa.select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .where(
            Certificate.course_id == course.id,
            Certificate.issued_at.is_not(None),
            scope_clause(viewer),
        )
        .options(contains_eager(Certificate.user))
        .order_by(Certificate.issued_at, Certificate.id)
    )
    if search:
        select = select.where(sa.or_(contains(User.username, search), contains(User.display_name, search)))
    return select
