"""Live-session pages: the learner's upcoming sessions, registration, calendars, the roll."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.exc import OperationalError
from wtforms.fields import SelectChoice

from lms.cohorts import calendar, codes, services, timezones
from lms.cohorts.forms import (
    LANGUAGE_NAMES,
    CodeForm,
    ConfirmForm,
    ImportForm,
    PreferencesForm,
    RequirementForm,
    SessionForm,
)
from lms.cohorts.models import ATTENDANCE_STATES, LiveSession
from lms.core.db import utcnow
from lms.extensions import db, limiter

bp = Blueprint("cohorts", __name__, template_folder="templates")

STATUS_LABELS = {
    "present": _l("Present"),
    "late": _l("Late"),
    "excused": _l("Excused"),
    "absent": _l("Absent"),
}


def _locale() -> str:
    return str(get_locale() or "en")


def _fail(error: services.LiveError):
    db.session.rollback()
    if isinstance(error, services.NotFound):
        abort(404)
    if isinstance(error, services.NotAllowed):
        abort(403)
    back = request.referrer if request.referrer and request.referrer.startswith(request.host_url) else None
    abort(Response(render_template("cohorts/refused.html", message=error.message, back=back), 400))


def _session_or_404(session_id: int) -> LiveSession:
    try:
        return services.get_session(session_id)
    except services.NotFound:
        abort(404)


def _member_session(session_id: int) -> LiveSession:
    """A session the signed-in user may see: a member of its cohort, or its staff."""
    session = _session_or_404(session_id)
    if not (
        services.is_member(current_user, session.cohort_id) or services.may_take_roll(current_user, session)
    ):
        abort(403)
    return session


# Learners --------------------------------------------------------------------------------------


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


@bp.get("/me/live/")
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


@bp.get("/live/<int:session_id>/")
@login_required
def session_detail(session_id):
    """One session: when (in the learner's zone), where, who; the link only for the registered."""
    session = _member_session(session_id)
    row = services.registration(current_user, session)
    counts = services.seat_counts([session.id])[session.id]
    allowed = services.may_take_roll(current_user, session)
    code_form = CodeForm()
    return render_template(
        "cohorts/session.html",
        s=session,
        state=row.state if row is not None and row.state != "cancelled" else None,
        counts=counts,
        show_link=services.may_see_link(current_user, session),
        is_staff=allowed,
        is_member=services.is_member(current_user, session.cohort_id),
        self_mark_open=session.allows_self_marking
        and codes.in_window(session.starts_at, session.ends_at, utcnow()),
        zone=services.zone_for(current_user),
        locale=_locale(),
        when=services.when_label,
        form=ConfirmForm(),
        code_form=code_form,
        facilitator_names=_facilitator_names(session),
        is_over=session.ends_at <= utcnow(),
    )


def _facilitator_names(session: LiveSession) -> list[str]:
    from lms.accounts.models import User

    ids = [f.user_id for f in session.facilitators if f.user_id]
    users = {u.id: u for u in db.session.query(User).filter(User.id.in_(ids))} if ids else {}
    return [
        (users[f.user_id].display_name or users[f.user_id].username) if f.user_id else f.guest_name
        for f in session.facilitators
        if not f.user_id or f.user_id in users
    ]


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


@bp.post("/live/<int:session_id>/register")
@login_required
def register(session_id):
    """Take a seat, or a place on the waiting list."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        state = _with_retry(lambda: services.register(current_user, services.get_session(session_id)))
    except services.LiveError as error:
        _fail(error)
    if state == "registered":
        flash(_("You are registered."))
    else:
        flash(_("The session is full: you are on the waiting list and will get the first free seat."))
    return redirect(url_for("cohorts.session_detail", session_id=session_id), 303)


@bp.post("/live/<int:session_id>/unregister")
@login_required
def unregister(session_id):
    """Give up one's seat or waiting place."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        _with_retry(lambda: services.cancel_registration(current_user, _member_session(session_id)))
    except services.LiveError as error:
        _fail(error)
    flash(_("Your registration is cancelled."))
    return redirect(url_for("cohorts.session_detail", session_id=session_id), 303)


def _events(sessions, locale, with_links_for=None):
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


def _ics(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.get("/live/<int:session_id>/session.ics")
@login_required
def session_ics(session_id):
    """One session as an iCalendar file, in its own time zone."""
    session = _member_session(session_id)
    link = services.may_see_link(current_user, session)
    data = calendar.build(_events([session], _locale(), lambda _s: link), name=session.title_in(_locale()))
    return _ics(data, f"session-{session.id}.ics")


@bp.get("/live/feed/<token>.ics")
@limiter.limit("60 per minute")
def feed(token):
    """A learner's private calendar feed: the sessions they registered for."""
    user = services.feed_user(token)
    if user is None:
        abort(404)
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    data = calendar.build(
        _events(services.feed_sessions(user), locale, lambda _s: True), name=_("Live sessions")
    )
    return _ics(data, "live-sessions.ics")


@bp.route("/me/live/settings", methods=["GET", "POST"])
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


@bp.post("/live/<int:session_id>/check-in")
@login_required
@limiter.limit("10 per 5 minutes")
def check_in(session_id):
    """Mark oneself present with the code the facilitator shows."""
    session = _member_session(session_id)
    form = CodeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.self_mark(current_user, session, form.code.data)
    except services.LiveError as error:
        _fail(error)
    db.session.commit()
    flash(_("Your attendance is recorded."))
    return redirect(url_for("cohorts.session_detail", session_id=session_id), 303)


# Staff -----------------------------------------------------------------------------------------


def _staff_cohort(cohort_id):
    try:
        return services.staff_cohort(current_user, cohort_id)
    except services.LiveError as error:
        _fail(error)


def _session_form(cohort, form=None, session=None):
    if form is None:
        data = {"time_zone": current_app.config.get("LIVE_TIME_ZONE") or "UTC", "language": _locale()}
        if session is not None:
            start = timezones.localise(session.starts_at, session.time_zone)
            end = timezones.localise(session.ends_at, session.time_zone)
            data.update(
                day=start.date(),
                starts=start.time(),
                ends=end.time(),
                end_day=end.date() if end.date() != start.date() else None,
                time_zone=session.time_zone,
                language=session.language,
                course=session.course_id or 0,
                module_slug=session.module_slug or "",
                venue=session.venue,
                online_url=session.online_url,
                capacity=session.capacity,
                allows_self_marking=session.allows_self_marking,
                facilitators=", ".join(_facilitator_usernames(session)),
                guests=", ".join(f.guest_name for f in session.facilitators if f.guest_name),
            )
            for code in LANGUAGE_NAMES:
                data[f"title_{code}"] = session.titles.get(code, "")
                data[f"description_{code}"] = (session.descriptions or {}).get(code, "")
        form = SessionForm(data=data)
    form.course.choices = [SelectChoice(0, _("None"))] + [
        SelectChoice(c.id, c.title_in(_locale())) for c in services.cohort_courses(cohort.id)
    ]
    return form


def _facilitator_usernames(session):
    from lms.accounts.models import User

    ids = [f.user_id for f in session.facilitators if f.user_id]
    return [u.username for u in db.session.query(User).filter(User.id.in_(ids))] if ids else []


def _read_session_form(form) -> services.SessionInput:
    try:
        starts_at = timezones.to_utc(form.day.data, form.starts.data, form.time_zone.data)
        ends_at = timezones.to_utc(form.end_day.data or form.day.data, form.ends.data, form.time_zone.data)
    except timezones.BadTime:
        raise services.LiveError(
            _("That time does not exist in this time zone (the clocks change then), or the zone is unknown.")
        ) from None
    split = lambda text: [p.strip() for p in (text or "").split(",") if p.strip()]  # noqa: E731
    return services.SessionInput(
        titles={c: form[f"title_{c}"].data or "" for c in LANGUAGE_NAMES},
        descriptions={c: form[f"description_{c}"].data or "" for c in LANGUAGE_NAMES},
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=form.time_zone.data,
        language=form.language.data,
        venue=form.venue.data or "",
        online_url=form.online_url.data or "",
        capacity=form.capacity.data,
        course_id=form.course.data or None,
        module_slug=(form.module_slug.data or "").strip() or None,
        facilitators=split(form.facilitators.data),
        guests=split(form.guests.data),
        allows_self_marking=form.allows_self_marking.data,
    )


@bp.get("/cohorts/<int:cohort_id>/live/")
@login_required
def cohort_sessions(cohort_id):
    """A cohort's sessions, its attendance requirements, and a link to add a session."""
    cohort = _staff_cohort(cohort_id)
    sessions = services.cohort_sessions(cohort)
    req_form = RequirementForm()
    req_form.course.choices = [
        SelectChoice(c.id, c.title_in(_locale())) for c in services.cohort_courses(cohort.id)
    ]
    return render_template(
        "cohorts/cohort_sessions.html",
        cohort=cohort,
        sessions=sessions,
        counts=services.seat_counts([s.id for s in sessions]),
        requirements=services.requirements(cohort),
        courses=services.cohort_courses(cohort.id),
        req_form=req_form,
        zone=services.zone_for(current_user),
        locale=_locale(),
        when=services.when_label,
    )


@bp.route("/cohorts/<int:cohort_id>/live/new", methods=["GET", "POST"])
@login_required
def new_session(cohort_id):
    """Create a session of a cohort."""
    cohort = _staff_cohort(cohort_id)
    form = _session_form(cohort, SessionForm() if request.method == "POST" else None)
    if form.validate_on_submit():
        try:
            session = services.create_session(current_user, cohort, _read_session_form(form))
        except services.LiveError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The session is created."))
            return redirect(url_for("cohorts.session_detail", session_id=session.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "cohorts/session_form.html", form=form, cohort=cohort, session=None, zones=timezones.zone_names()
    ), status


@bp.route("/live/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id):
    """Change a session; the registered keep their seats."""
    session = _session_or_404(session_id)
    cohort = _staff_cohort(session.cohort_id)
    form = _session_form(cohort, SessionForm() if request.method == "POST" else None, session)
    if form.validate_on_submit():
        try:
            services.update_session(current_user, session, _read_session_form(form))
        except services.LiveError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The session is saved."))
            return redirect(url_for("cohorts.session_detail", session_id=session.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "cohorts/session_form.html", form=form, cohort=cohort, session=session, zones=timezones.zone_names()
    ), status


@bp.post("/live/<int:session_id>/cancel")
@login_required
def cancel_session(session_id):
    """Cancel a session; the registered are told by e-mail."""
    session = _session_or_404(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.cancel_session(current_user, session)
    except services.LiveError as error:
        _fail(error)
    db.session.commit()
    flash(_("The session is cancelled; the registered learners are told by e-mail."))
    return redirect(url_for("cohorts.session_detail", session_id=session_id), 303)


@bp.route("/live/<int:session_id>/roll", methods=["GET", "POST"])
@login_required
def roll(session_id):
    """Take the roll on one form: a status (and minutes, online) for each member."""
    session = _session_or_404(session_id)
    if not services.may_take_roll(current_user, session):
        abort(403)
    form = ConfirmForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            marks = _read_roll(request.form)
            count = services.take_roll(current_user, session, marks)
        except services.LiveError as err:
            db.session.rollback()
            error = err.message
        else:
            db.session.commit()
            flash(
                ngettext(
                    "The roll is saved (%(num)d learner).", "The roll is saved (%(num)d learners).", count
                )
            )
            return redirect(url_for("cohorts.roll", session_id=session_id), 303)
    return (
        render_template(
            "cohorts/roll.html",
            s=session,
            rows=services.roster(session),
            statuses=ATTENDANCE_STATES,
            labels=STATUS_LABELS,
            form=form,
            import_form=ImportForm(),
            error=error,
            problems=(),
            code=services.current_code(session),
            zone=services.zone_for(current_user),
            locale=_locale(),
            when=services.when_label,
            step_minutes=codes.STEP_SECONDS // 60,
        ),
        400 if error else 200,
    )


def _read_roll(values) -> dict[int, tuple[str, int | None]]:
    marks: dict[int, tuple[str, int | None]] = {}
    for key, status in values.items():
        if not key.startswith("status-"):
            continue
        user_id = key.removeprefix("status-")
        if not user_id.isdigit() or len(user_id) > 12:
            raise services.LiveError(_("The roll names someone who is not in this cohort."))
        if not status:
            continue  # not marked yet
        minutes_text = (values.get(f"minutes-{user_id}") or "").strip()
        if minutes_text and (not minutes_text.isdigit() or len(minutes_text) > 6):
            raise services.LiveError(
                _("Minutes attended must be a number between 0 and the session's length.")
            )
        marks[int(user_id)] = (status, int(minutes_text) if minutes_text else None)
    return marks


@bp.post("/live/<int:session_id>/roll/import")
@login_required
def import_roll(session_id):
    """Apply an online tool's attendance report, all or nothing, with line-numbered errors."""
    session = _session_or_404(session_id)
    if not services.may_take_roll(current_user, session):
        abort(403)
    form = ImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        count = services.import_attendance(
            current_user, session, form.report.data.read(services.MAX_UPLOAD_BYTES + 1)
        )
    except services.UploadRejected as error:
        db.session.rollback()
        return (
            render_template(
                "cohorts/roll.html",
                s=session,
                rows=services.roster(session),
                statuses=ATTENDANCE_STATES,
                labels=STATUS_LABELS,
                form=ConfirmForm(),
                import_form=form,
                error=error.message,
                problems=error.problems,
                code=services.current_code(session),
                zone=services.zone_for(current_user),
                locale=_locale(),
                when=services.when_label,
                step_minutes=codes.STEP_SECONDS // 60,
            ),
            400,
        )
    except services.LiveError as error:
        _fail(error)
    db.session.commit()
    flash(
        ngettext(
            "Attendance imported for %(num)d learner.", "Attendance imported for %(num)d learners.", count
        )
    )
    return redirect(url_for("cohorts.roll", session_id=session_id), 303)


@bp.post("/cohorts/<int:cohort_id>/live/requirement")
@login_required
def set_requirement(cohort_id):
    """Set or clear a cohort's attendance requirement for a course."""
    cohort = _staff_cohort(cohort_id)
    form = RequirementForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_requirement(
            current_user,
            cohort,
            form.course.data,
            form.min_sessions.data,
            float(form.min_hours.data) if form.min_hours.data is not None else None,
        )
    except services.LiveError as error:
        _fail(error)
    db.session.commit()
    flash(_("The attendance requirement is saved."))
    return redirect(url_for("cohorts.cohort_sessions", cohort_id=cohort_id), 303)
