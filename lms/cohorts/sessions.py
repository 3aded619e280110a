"""Creating, editing and cancelling a cohort's live sessions, and listing them for its staff."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.accounts.permissions import STAFF
from lms.cohorts import timezones
from lms.cohorts.access import can_run, get_cohort
from lms.cohorts.errors import LiveError, NotAllowed
from lms.cohorts.membership import cohort_courses
from lms.cohorts.models import Cohort, LiveSession, SessionFacilitator
from lms.cohorts.registration import lock_seats, promote_waiting, registered_count
from lms.cohorts.reminders import notify_cancelled
from lms.core.db import utcnow
from lms.courses.models import Module
from lms.extensions import db


@dataclass
class SessionInput:
    """What the session form gives, already parsed."""

    titles: dict[str, str]
    descriptions: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    language: str
    venue: str = ""
    online_url: str = ""
    capacity: int | None = None
    course_id: int | None = None
    module_slug: str | None = None
    facilitators: list[str] = field(default_factory=list)  # usernames
    guests: list[str] = field(default_factory=list)  # names of guest experts
    allows_self_marking: bool = False


def _check(data: SessionInput, cohort: Cohort) -> tuple[list[User], list[str]]:
    titles = {k: accounts.clean_text(v, 200) for k, v in data.titles.items() if (v or "").strip()}
    if not titles:
        raise LiveError(_("Give the session a title."))
    data.titles = titles
    data.descriptions = {
        k: (v or "").strip()[:5000] for k, v in data.descriptions.items() if (v or "").strip()
    }
    if data.ends_at <= data.starts_at:
        raise LiveError(_("The session must end after it starts."))
    if data.ends_at - data.starts_at > timedelta(days=7):
        raise LiveError(_("A session cannot last more than a week."))
    try:
        timezones.get_zone(data.time_zone)
    except timezones.BadTime:
        raise LiveError(_("Choose a time zone from the list.")) from None
    if data.language not in current_app.config["LANGUAGES"]:
        raise LiveError(_("Choose the session's language."))
    data.venue = accounts.clean_text(data.venue or "", 300)
    url = (data.online_url or "").strip()
    if url and (
        not url.lower().startswith(("https://", "http://")) or len(url) > 500 or any(c.isspace() for c in url)
    ):
        raise LiveError(_("The online link must be a web address starting with https://."))
    data.online_url = url
    if data.capacity is not None and data.capacity < 1:
        raise LiveError(_("The capacity must be at least 1, or left empty for no limit."))
    if data.course_id is not None and data.course_id not in {c.id for c in cohort_courses(cohort.id)}:
        raise LiveError(_("Choose one of the cohort's courses."))
    if data.course_id is None:
        data.module_slug = None
    elif data.module_slug and not db.session.scalar(
        sa.select(Module.id).where(Module.course_id == data.course_id, Module.slug == data.module_slug)
    ):
        raise LiveError(_("The course has no module with that short name."))
    keys = {accounts.username_key(n): n for n in data.facilitators if n.strip()}
    users = list(
        db.session.scalars(
            sa.select(User).where(
                User.username_key.in_(keys),
                User.role.in_(STAFF),
                User.is_erased.is_(False),
            )
        )
    )
    missing = sorted(set(keys) - {u.username_key for u in users})
    if missing:
        raise LiveError(
            _(
                "No trainer, manager or admin account with the username %(names)s.",
                names=", ".join(keys[m] for m in missing),
            )
        )
    guests = [accounts.clean_text(g, 120) for g in data.guests if g.strip()]
    return users, guests


def create_session(actor, cohort: Cohort, data: SessionInput) -> LiveSession:
    """Create a session of a cohort (flushes); raise LiveError on bad input."""
    if not can_run(actor, cohort):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    users, guests = _check(data, cohort)
    session = LiveSession(
        cohort_id=cohort.id,
        code_secret=secrets.token_hex(32),
        created_by_id=actor.id,
    )
    _apply(session, data, users, guests)
    db.session.add(session)
    db.session.flush()
    return session


def _apply(session: LiveSession, data: SessionInput, users: list[User], guests: list[str]) -> None:
    session.titles = data.titles
    session.descriptions = data.descriptions
    session.starts_at, session.ends_at, session.time_zone = data.starts_at, data.ends_at, data.time_zone
    session.language, session.venue, session.online_url = data.language, data.venue, data.online_url
    session.capacity, session.course_id, session.module_slug = data.capacity, data.course_id, data.module_slug
    session.allows_self_marking = data.allows_self_marking
    session.facilitators = [SessionFacilitator(user_id=u.id) for u in users] + [
        SessionFacilitator(guest_name=g) for g in guests
    ]


def update_session(actor, session: LiveSession, data: SessionInput) -> LiveSession:
    """Change a session (flushes); a capacity below the number registered is refused."""
    cohort = get_cohort(session.cohort_id)
    if not can_run(actor, cohort):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    if session.cancelled_at is not None:
        raise LiveError(_("This session was cancelled."))
    users, guests = _check(data, cohort)
    lock_seats(session)
    registered = registered_count(session.id)
    if data.capacity is not None and data.capacity < registered:
        raise LiveError(
            ngettext(
                "%(num)d learner is registered: the capacity cannot be lower.",
                "%(num)d learners are registered: the capacity cannot be lower.",
                registered,
            )
        )
    db.session.execute(sa.delete(SessionFacilitator).where(SessionFacilitator.session_id == session.id))
    db.session.expire(session, ["facilitators"])
    _apply(session, data, users, guests)
    db.session.flush()
    promote_waiting(session)
    return session


def cancel_session(actor, session: LiveSession) -> int:
    """Cancel a session and tell the registered and waiting learners by e-mail; return how many."""
    if not can_run(actor, get_cohort(session.cohort_id)):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    if session.cancelled_at is not None:
        raise LiveError(_("This session was already cancelled."))
    session.cancelled_at = utcnow()
    db.session.flush()
    notify_cancelled.enqueue(session.id)
    return registered_count(session.id)


def cohort_sessions_query(cohort: Cohort) -> sa.Select:
    """Return the SELECT of a cohort's sessions, soonest first (the view pages it)."""
    return (
        sa.select(LiveSession)
        .where(LiveSession.cohort_id == cohort.id)
        .order_by(LiveSession.starts_at, LiveSession.id)
    )


def facilitator_names(session: LiveSession) -> list[str]:
    """Return the names a session's page shows for its facilitators, guests included, in order."""
    ids = [f.user_id for f in session.facilitators if f.user_id]
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    return [
        (users[f.user_id].display_name or users[f.user_id].username) if f.user_id else f.guest_name
        for f in session.facilitators
        if not f.user_id or f.user_id in users
    ]


def facilitator_usernames(session: LiveSession) -> list[str]:
    """Return the usernames of a session's facilitators who have an account (for the edit form)."""
    ids = [f.user_id for f in session.facilitators if f.user_id]
    return list(db.session.scalars(sa.select(User.username).where(User.id.in_(ids)))) if ids else []
