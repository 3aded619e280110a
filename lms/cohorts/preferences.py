"""A learner's live-session settings: their time zone, reminder choice, and dates shown in that zone."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _

from lms.cohorts import timezones
from lms.cohorts.errors import LiveError
from lms.cohorts.models import LivePreference, LiveSession
from lms.core.db import utcnow
from lms.extensions import db


def preference(user) -> LivePreference | None:
    """Return a user's live-session settings, if they saved any."""
    return db.session.scalar(sa.select(LivePreference).where(LivePreference.user_id == user.id))


def zone_for(user) -> str:
    """Return the zone a user sees sessions in: their own choice, else the site's."""
    pref = preference(user) if user is not None and getattr(user, "is_authenticated", False) else None
    if pref is not None and pref.time_zone:
        return pref.time_zone
    return current_app.config.get("LIVE_TIME_ZONE") or "UTC"


def when_label(session: LiveSession, zone_name: str) -> str:
    """Return "date time - time (UTC+hh:mm, Zone)" in the current locale and the given zone."""
    start = timezones.localise(session.starts_at, zone_name)
    end = timezones.localise(session.ends_at, zone_name)
    start_text = format_datetime(start.replace(tzinfo=None), "EEEE d MMMM y, HH:mm", rebase=False)
    if end.date() == start.date():
        end_text = format_datetime(end.replace(tzinfo=None), "HH:mm", rebase=False)
    else:
        end_text = format_datetime(end.replace(tzinfo=None), "d MMMM, HH:mm", rebase=False)
    return f"{start_text} – {end_text} ({timezones.offset_label(start)}, {zone_name})"


def save_preferences(user, *, time_zone: str, wants_reminders: bool) -> LivePreference:
    """Save a learner's zone and reminder choice (flushes); in discreet mode the choice is asked again."""
    if time_zone:
        try:
            timezones.get_zone(time_zone)
        except timezones.BadTime:
            raise LiveError(_("Choose a time zone from the list.")) from None
    pref = preference(user)
    if pref is None:
        pref = LivePreference(user_id=user.id)
        db.session.add(pref)
    pref.time_zone = time_zone or None
    pref.wants_reminders = bool(wants_reminders)
    # A reminder can reveal the platform to whoever reads the mailbox: in discreet mode only an
    # explicit choice made while discreet counts.
    pref.reminders_while_discreet = bool(wants_reminders) and bool(user.is_discreet)
    pref.updated_at = utcnow()
    db.session.flush()
    return pref


def wants_reminders(user, pref: LivePreference | None) -> bool:
    """Tell whether a learner gets reminders: an e-mail, opted in, and discreet ones opted in again."""
    if not user.email or user.is_disabled or user.is_erased or pref is None or not pref.wants_reminders:
        return False
    return not user.is_discreet or pref.reminders_while_discreet
