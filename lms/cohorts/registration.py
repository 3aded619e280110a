"""Registration for a live session: seats, the waiting list and its promotions, the learner's list."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts.models import User
from lms.cohorts.access import is_member, may_take_roll
from lms.cohorts.errors import LiveError, NotAllowed
from lms.cohorts.models import CohortMember, LiveSession, SessionRegistration
from lms.cohorts.reminders import notify_promoted
from lms.core.db import utcnow
from lms.extensions import db


def registered_count(session_id: int) -> int:
    """Count the learners holding a seat in a session."""
    return db.session.scalar(
        sa.select(sa.func.count(SessionRegistration.id)).where(
            SessionRegistration.session_id == session_id, SessionRegistration.state == "registered"
        )
    )


def lock_seats(session: LiveSession) -> None:
    """Serialise seat changes on one session: a row lock on PostgreSQL, the write lock on SQLite.

    Every change bumps `seat_version` first, so a second request waits here until the first
    commits and then counts the seats it left.
    """
    db.session.execute(
        sa.update(LiveSession)
        .where(LiveSession.id == session.id)
        .values(seat_version=LiveSession.seat_version + 1)
        .execution_options(synchronize_session=False)
    )


def registration(user, session: LiveSession) -> SessionRegistration | None:
    """Return a learner's registration row for a session, if any."""
    return db.session.scalar(
        sa.select(SessionRegistration).where(
            SessionRegistration.session_id == session.id, SessionRegistration.user_id == user.id
        )
    )


def register(user, session: LiveSession, now: datetime | None = None) -> str:
    """Take a seat, or a place on the waiting list when the session is full; return the state."""
    now = now or utcnow()
    if not is_member(user, session.cohort_id):
        raise NotAllowed(_("This session is for the members of its cohort."))
    if session.cancelled_at is not None:
        raise LiveError(_("This session was cancelled."))
    if session.ends_at <= now:
        raise LiveError(_("This session is over."))
    lock_seats(session)
    row = registration(user, session)
    if row is not None and row.state != "cancelled":
        return row.state
    full = session.capacity is not None and registered_count(session.id) >= session.capacity
    state = "waitlisted" if full else "registered"
    if row is None:
        db.session.add(
            SessionRegistration(session_id=session.id, user_id=user.id, state=state, requested_at=now)
        )
    else:
        row.state, row.requested_at, row.reminded_at = state, now, None
    db.session.flush()
    return state


def cancel_registration(user, session: LiveSession) -> User | None:
    """Give up a seat or a waiting place; the first waiting learner takes a freed seat (returned)."""
    lock_seats(session)
    row = registration(user, session)
    if row is None or row.state == "cancelled":
        raise LiveError(_("You are not registered for this session."))
    row.state = "cancelled"
    db.session.flush()
    promoted = promote_waiting(session)
    return promoted[0] if promoted else None


def promote_waiting(session: LiveSession) -> list[User]:
    """Move waiting learners into free seats, first come first served; tell them by e-mail."""
    if session.cancelled_at is not None:
        return []
    free = None if session.capacity is None else session.capacity - registered_count(session.id)
    waiting = sa.select(SessionRegistration).where(
        SessionRegistration.session_id == session.id, SessionRegistration.state == "waitlisted"
    )
    waiting = waiting.order_by(SessionRegistration.requested_at, SessionRegistration.id)
    if free is not None:
        if free <= 0:
            return []
        waiting = waiting.limit(free)
    rows = list(db.session.scalars(waiting))
    for row in rows:
        row.state = "registered"
    db.session.flush()
    for row in rows:
        notify_promoted.enqueue(session.id, row.user_id)
    return [db.session.get(User, r.user_id) for r in rows]


def seat_counts(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """Return {session id: {"registered": n, "waitlisted": n}} in one query."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"registered": 0, "waitlisted": 0})
    for sid, state, n in db.session.execute(
        sa.select(SessionRegistration.session_id, SessionRegistration.state, sa.func.count())
        .where(SessionRegistration.session_id.in_(session_ids), SessionRegistration.state != "cancelled")
        .group_by(SessionRegistration.session_id, SessionRegistration.state)
    ).all():
        counts[sid][state] = n
    return counts


@dataclass(frozen=True)
class Upcoming:
    """A session as a learner's list shows it."""

    session: LiveSession
    state: str | None  # "registered", "waitlisted" or None
    registered: int
    waitlisted: int


def upcoming_for(user, *, course_id: int | None = None, now: datetime | None = None) -> list[Upcoming]:
    """Return the sessions of the learner's cohorts that have not ended, soonest first (3 queries)."""
    now = now or utcnow()
    stmt = (
        sa.select(LiveSession)
        .join(CohortMember, CohortMember.cohort_id == LiveSession.cohort_id)
        .where(CohortMember.user_id == user.id, LiveSession.ends_at > now)
        .order_by(LiveSession.starts_at, LiveSession.id)
        .options(sa.orm.selectinload(LiveSession.facilitators))
    )
    if course_id is not None:
        stmt = stmt.where(LiveSession.course_id == course_id)
    sessions = list(db.session.scalars(stmt))
    ids = [s.id for s in sessions]
    mine = dict(
        db.session.execute(
            sa.select(SessionRegistration.session_id, SessionRegistration.state).where(
                SessionRegistration.user_id == user.id,
                SessionRegistration.session_id.in_(ids),
                SessionRegistration.state != "cancelled",
            )
        ).all()
    )
    counts = seat_counts(ids)
    return [
        Upcoming(s, mine.get(s.id), counts[s.id]["registered"], counts[s.id]["waitlisted"]) for s in sessions
    ]


def may_see_link(user, session: LiveSession) -> bool:
    """The online link is for registered learners, facilitators and staff only."""
    if user is None or not getattr(user, "is_authenticated", False) or session.cancelled_at is not None:
        return False
    row = registration(user, session)
    return (row is not None and row.state == "registered") or may_take_roll(user, session)
