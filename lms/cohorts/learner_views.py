"""Learner-facing live-session pages: upcoming sessions, one session, registration, check-in,
calendars and settings; plus the "My learning" panel and the course page's box."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.exc import OperationalError

from lms.cohorts import calendar, codes, services, timezones
from lms.cohorts.feeds import calendar_events
from lms.cohorts.forms import CodeForm, ConfirmForm, PreferencesForm
from lms.cohorts.sessions import facilitator_names
from lms.core.db import utcnow
from lms.extensions import db, limiter


def _locale() -> str:
    return str(get_locale() or "en")


def upcoming_panel(user) -> Markup:
    """The "My learning" panel: the learner's upcoming sessions, in their zone."""
    items = services.upcoming_for(user)
    if not items:
        return Markup("")
    return Markup(  # noqa: S704 - rendered by an autoescaping template
        render_template(
            "cohorts/_upcoming.html",
            items=items[:5],
            zone=services.zone_for(user),
            locale=_locale(),
            when=services.when_label,
            form=ConfirmForm(),
            more=len(items) > 5,
        )
    )


def course_box(user, course, _states) -> Markup | None:
    """The course page's box: the course's upcoming sessions and the cohort's attendance rule."""
    items = services.upcoming_for(user, course_id=course.id)
    requirement = services.requirement_state(user, course)
    if not items and requirement is None:
        return None
    return Markup(  # noqa: S704 - rendered by an autoescaping template
        render_template(
            "cohorts/_course_box.html",
            items=items,
            requirement=requirement,
            zone=services.zone_for(user),
            locale=_locale(),
            when=services.when_label,
            form=ConfirmForm(),
        )
    )


@login_required
def upcoming():
    """The learner's upcoming sessions."""
    return render_template(
        "cohorts/upcoming.html",
        items=services.upcoming_for(current_user),
        zone=services.zone_for(current_user),
        locale=_locale(),
        when=services.when_label,
        form=ConfirmForm(),
    )


@login_required
def session_detail(session_id):
    """One session: when (in the learner's zone), where, who; the link only for the registered."""
    session = services.member_session(current_user, session_id)
    row = services.registration(current_user, session)
    counts = services.seat_counts([session.id])[session.id]
    code_form = CodeForm()
    return render_template(
        "cohorts/session.html",
        s=session,
        state=row.state if row is not None and row.state != "cancelled" else None,
        counts=counts,
        show_link=services.may_see_link(current_user, session),
        takes_roll=services.may_take_roll(current_user, session),
        runs=services.can_run(current_user, services.get_cohort(session.cohort_id)),
        is_member=services.is_member(current_user, session.cohort_id),
        self_mark_open=session.allows_self_marking
        and codes.in_window(session.starts_at, session.ends_at, utcnow()),
        zone=services.zone_for(current_user),
        locale=_locale(),
        when=services.when_label,
        form=ConfirmForm(),
        code_form=code_form,
        facilitator_names=facilitator_names(session),
        is_over=session.ends_at <= utcnow(),
    )


def _with_retry(work):
    """Run a seat change; SQLite refuses the second of two racing writers: try again then."""
    for attempt in range(3):
        try:
            result = work()
            db.session.commit()
            return result
        except OperationalError:
            db.session.rollback()
            if attempt == 2:
                raise
    return None


@login_required
def register(session_id):
    """Take a seat, or a place on the waiting list."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    state = _with_retry(lambda: services.register(current_user, services.get_session(session_id)))
    if state == "registered":
        flash(_("You are registered."))
    else:
        flash(_("The session is full: you are on the waiting list and will get the first free seat."))
    return redirect(url_for("cohorts.session_detail", session_id=session_id), 303)


@login_required
def unregister(session_id):
    """Give up one's seat or waiting place."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _with_retry(
        lambda: services.cancel_registration(current_user, services.member_session(current_user, session_id))
    )
    flash(_("Your registration is cancelled."))
    return redirect(url_for("cohorts.session_detail", session_id=session_id), 303)


def _ics(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@login_required
def session_ics(session_id):
    """One session as an iCalendar file, in its own time zone."""
    session = services.member_session(current_user, session_id)
    link = services.may_see_link(current_user, session)
    events = calendar_events([session], _locale(), lambda _s: link)
    return _ics(calendar.build(events, name=session.title_in(_locale())), f"session-{session.id}.ics")


@limiter.limit("60 per minute")
def feed(token):
    """A learner's private calendar feed: the sessions they registered for."""
    user = services.feed_user(token)
    if user is None:
        abort(404)
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    data = calendar.build(
        calendar_events(services.feed_sessions(user), locale, lambda _s: True), name=_("Live sessions")
    )
    return _ics(data, "live-sessions.ics")


@login_required
def preferences():
    """Time zone, reminders and the private calendar feed."""
    pref = services.preference(current_user)
    form = PreferencesForm(
        data={
            "time_zone": (pref.time_zone if pref else "") or "",
            "wants_reminders": bool(pref and pref.wants_reminders),
        }
        if request.method == "GET"
        else None
    )
    feed_url = None
    action = request.form.get("action")
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if action == "feed":
            token = services.new_feed_token(current_user)
            db.session.commit()
            feed_url = url_for("cohorts.feed", token=token, _external=True)
        elif action == "revoke":
            services.revoke_feed(current_user)
            db.session.commit()
            flash(_("Your calendar feed is switched off; its address no longer works."))
            return redirect(url_for("cohorts.preferences"), 303)
        else:
            try:
                services.save_preferences(
                    current_user,
                    time_zone=form.time_zone.data or "",
                    wants_reminders=form.wants_reminders.data,
                )
            except services.LiveError as error:
                db.session.rollback()
                form.time_zone.errors = [error.message]
                return _preferences_page(form, pref, None, 400)
            db.session.commit()
            flash(_("Your settings are saved."))
            return redirect(url_for("cohorts.preferences"), 303)
    return _preferences_page(form, services.preference(current_user), feed_url, 200)


def _preferences_page(form, pref, feed_url, status):
    zone = services.zone_for(current_user)
    now_local = timezones.localise(utcnow(), zone)
    return (
        render_template(
            "cohorts/preferences.html",
            form=form,
            zones=timezones.zone_names(),
            site_zone_label=_(
                "The site's time zone (%(zone)s)", zone=current_app.config.get("LIVE_TIME_ZONE") or "UTC"
            ),
            has_feed=bool(pref and pref.feed_token_hash),
            feed_url=feed_url,
            zone=zone,
            offset=timezones.offset_label(now_local),
        ),
        status,
    )


@login_required
@limiter.limit("10 per 5 minutes")
def check_in(session_id):
    """Mark oneself present with the code the facilitator shows."""
    session = services.member_session(current_user, session_id)
    form = CodeForm()
    if not form.validate_on_submit():
        abort(400)
    services.self_mark(current_user, session, form.code.data)
    db.session.commit()
    flash(_("Your attendance is recorded."))
    return redirect(url_for("cohorts.session_detail", session_id=session_id), 303)


def add_routes(bp: Blueprint) -> None:
    """Add the learner-facing pages to the live-session blueprint."""
    bp.add_url_rule("/me/live/", view_func=upcoming, methods=["GET"])
    bp.add_url_rule("/live/<int:session_id>/", view_func=session_detail, methods=["GET"])
    bp.add_url_rule("/live/<int:session_id>/register", view_func=register, methods=["POST"])
    bp.add_url_rule("/live/<int:session_id>/unregister", view_func=unregister, methods=["POST"])
    bp.add_url_rule("/live/<int:session_id>/session.ics", view_func=session_ics, methods=["GET"])
    bp.add_url_rule("/live/feed/<token>.ics", view_func=feed, methods=["GET"])
    bp.add_url_rule("/me/live/settings", view_func=preferences, methods=["GET", "POST"])
    bp.add_url_rule("/live/<int:session_id>/check-in", view_func=check_in, methods=["POST"])
