"""Reminders and notices by e-mail (background jobs): cancelled sessions, freed seats, tomorrow's sessions."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.cohorts.models import LivePreference, LiveSession, SessionRegistration
from lms.cohorts.preferences import wants_reminders, when_label, zone_for
from lms.core.db import utcnow
from lms.extensions import db, jobs


def _mail(user: User, subject_key: str, session: LiveSession) -> None:
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    zone = zone_for(user)
    with force_locale(locale):
        title = session.title_in(locale)
        when = when_label(session, zone)
        # Built by hand: jobs run outside any request, where url_for cannot build addresses.
        link = f"{current_app.config['SITE_URL'].rstrip('/')}/live/{session.id}/"
        if subject_key == "cancelled":
            subject = _("A session was cancelled")
            body = _('The session "%(title)s" (%(when)s) was cancelled.', title=title, when=when)
        elif subject_key == "promoted":
            subject = _("A seat is yours")
            body = _(
                'A seat freed up: you are now registered for "%(title)s" (%(when)s).\n%(link)s',
                title=title,
                when=when,
                link=link,
            )
        else:
            subject = _("Reminder: a session tomorrow")
            body = _('Reminder: "%(title)s" starts %(when)s.\n%(link)s', title=title, when=when, link=link)
        if user.is_discreet:
            subject = _("A reminder")
    accounts.send_mail(user.email, subject, body)


@jobs.job(retries=3, retry_delay=60, name="lms.cohorts.services.notify_cancelled")
def notify_cancelled(session_id: int) -> None:
    """Tell the registered and waiting learners of a cancelled session who gave an e-mail."""
    session = db.session.get(LiveSession, session_id)
    if session is None:
        return
    users = db.session.scalars(
        sa.select(User)
        .join(SessionRegistration, SessionRegistration.user_id == User.id)
        .where(
            SessionRegistration.session_id == session_id,
            SessionRegistration.state != "cancelled",
            User.email.is_not(None),
            User.is_erased.is_(False),
        )
    )
    for user in users:
        _mail(user, "cancelled", session)


@jobs.job(retries=3, retry_delay=60, name="lms.cohorts.services.notify_promoted")
def notify_promoted(session_id: int, user_id: int) -> None:
    """Tell a learner taken off the waiting list that they have a seat."""
    session, user = db.session.get(LiveSession, session_id), db.session.get(User, user_id)
    if session is None or user is None or not user.email or user.is_erased:
        return
    _mail(user, "promoted", session)


@jobs.every(minute="5", hour="*", name="lms.cohorts.services.send_reminders")
def send_reminders() -> int:
    """Remind registered learners, once, of the sessions starting in the next 24 hours."""
    count = remind_due(utcnow())
    db.session.commit()
    return count


def remind_due(now: datetime) -> int:
    """Queue the reminders due at `now` and mark them sent (flushes); return how many."""
    rows = db.session.execute(
        sa.select(SessionRegistration, User, LiveSession, LivePreference)
        .join(User, User.id == SessionRegistration.user_id)
        .join(LiveSession, LiveSession.id == SessionRegistration.session_id)
        .outerjoin(LivePreference, LivePreference.user_id == User.id)
        .where(
            SessionRegistration.state == "registered",
            SessionRegistration.reminded_at.is_(None),
            LiveSession.cancelled_at.is_(None),
            LiveSession.starts_at > now,
            LiveSession.starts_at <= now + timedelta(hours=24),
        )
    ).tuples()
    sent = 0
    for row, user, session, pref in rows:
        row.reminded_at = now  # decided once, sent or not: no reminder after an opt-in at the last minute
        if wants_reminders(user, pref):
            _mail(user, "reminder", session)
            sent += 1
    db.session.flush()
    return sent
