"""A learner's live-session data: what their download holds, and what erasing them deletes."""

import sqlalchemy as sa

from lms.cohorts.models import LivePreference, LiveSession, SessionAttendance, SessionRegistration
from lms.cohorts.preferences import preference
from lms.extensions import db


def _with_sessions(model, user):
    """Return the user's rows of `model` (registrations or attendance) with their sessions, by date."""
    return db.session.execute(
        sa.select(LiveSession, model)
        .join(model, model.session_id == LiveSession.id)
        .where(model.user_id == user.id)
        .order_by(LiveSession.starts_at)
    ).tuples()


def export_user_data(user) -> dict:
    """Return a learner's live-session data for their download (never the feed token)."""
    registrations = _with_sessions(SessionRegistration, user)
    attendance = _with_sessions(SessionAttendance, user)
    pref = preference(user)
    return {
        "registrations": [
            {"session": s.title_in(s.language), "starts_at": s.starts_at.isoformat(), "state": r.state}
            for s, r in registrations
        ],
        "attendance": [
            {
                "session": s.title_in(s.language),
                "starts_at": s.starts_at.isoformat(),
                "status": a.status,
                "minutes": a.minutes,
            }
            for s, a in attendance
        ],
        "settings": {
            "time_zone": pref.time_zone if pref else None,
            "wants_reminders": bool(pref and pref.wants_reminders),
            "has_calendar_feed": bool(pref and pref.feed_token_hash),
        },
    }


def erase_for(user) -> None:
    """Delete a learner's registrations, attendance and settings (their feed stops); flushes."""
    for model in (SessionRegistration, SessionAttendance, LivePreference):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))
    db.session.flush()
