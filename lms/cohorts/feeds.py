"""iCalendar: the events of sessions, and the private feed (a learner's token, whose it is, what it lists)."""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from lms.accounts.models import User
from lms.cohorts import calendar
from lms.cohorts.models import LivePreference, LiveSession, SessionRegistration
from lms.cohorts.preferences import preference
from lms.core.db import utcnow
from lms.extensions import db


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(user) -> str:
    """Give the learner a new private feed token (the old one stops working); return it once."""
    token = secrets.token_urlsafe(32)
    pref = preference(user)
    if pref is None:
        pref = LivePreference(user_id=user.id)
        db.session.add(pref)
    pref.feed_token_hash = _digest(token)
    db.session.flush()
    return token


def revoke_feed(user) -> None:
    """Switch the learner's private feed off."""
    pref = preference(user)
    if pref is not None:
        pref.feed_token_hash = None
        db.session.flush()


def feed_user(token: str) -> User | None:
    """Return the learner a feed token belongs to, or None."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(LivePreference, LivePreference.user_id == User.id)
        .where(LivePreference.feed_token_hash == _digest(token))
    )
    return None if user is None or user.is_disabled or user.is_erased else user


def feed_sessions(user, now: datetime | None = None) -> list[LiveSession]:
    """Return the sessions a learner's feed lists: registered ones from the last 30 days on."""
    since = (now or utcnow()) - timedelta(days=30)
    return list(
        db.session.scalars(
            sa.select(LiveSession)
            .join(SessionRegistration, SessionRegistration.session_id == LiveSession.id)
            .where(
                SessionRegistration.user_id == user.id,
                SessionRegistration.state == "registered",
                LiveSession.ends_at > since,
            )
            .order_by(LiveSession.starts_at)
        )
    )


def calendar_events(sessions, locale: str, with_links_for=None) -> list[calendar.Event]:
    """Return sessions as iCalendar events in `locale`; the online link where `with_links_for(s)` allows."""
    site = current_app.config["SITE_URL"].rstrip("/")
    host = site.split("//", 1)[-1].split("/", 1)[0] or "tamkeen"
    stamp = utcnow()
    return [
        calendar.Event(
            uid=f"live-session-{s.id}@{host}",
            title=s.title_in(locale),
            description=s.description_in(locale),
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            time_zone=s.time_zone,
            location=s.venue,
            url=s.online_url if with_links_for and with_links_for(s) else "",
            is_cancelled=s.cancelled_at is not None,
            stamp=stamp,
        )
        for s in sessions
    ]
