"""Staff-facing live-session pages: a cohort's sessions and attendance requirements, the session
form (create and edit), cancelling, and the roll (on one form, or imported from an online tool).

Every page needs a staff role (`permissions.STAFF`); which cohort or session a staff member may
act on is the services' object-level rule (`staff_cohort`, `staff_session`, `roll_session`).
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields import SelectChoice

from lms.accounts.permissions import STAFF, requires
from lms.cohorts import codes, services, timezones
from lms.cohorts.attendance import roster_query, roster_rows
from lms.cohorts.forms import LANGUAGE_NAMES, ConfirmForm, ImportForm, RequirementForm, SessionForm
from lms.cohorts.models import ATTENDANCE_STATES
from lms.cohorts.sessions import cohort_sessions_query, facilitator_usernames
from lms.core.forms import carry_out
from lms.core.pagination import paginate, search_text
from lms.extensions import db

STATUS_LABELS = {
    "present": _l("Present"),
    "late": _l("Late"),
    "excused": _l("Excused"),
    "absent": _l("Absent"),
}


def _locale() -> str:
    return str(get_locale() or "en")


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
                facilitators=", ".join(facilitator_usernames(session)),
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


@requires(STAFF)
def cohort_sessions(cohort_id):
    """A cohort's sessions (a page at a time), its attendance requirements, and a link to add a session."""
    cohort = services.staff_cohort(current_user, cohort_id)
    page = paginate(cohort_sessions_query(cohort))
    req_form = RequirementForm()
    courses = services.cohort_courses(cohort.id)
    req_form.course.choices = [SelectChoice(c.id, c.title_in(_locale())) for c in courses]
    return render_template(
        "cohorts/cohort_sessions.html",
        cohort=cohort,
        page=page,
        sessions=page.items,
        counts=services.seat_counts([s.id for s in page.items]),
        requirements=services.requirements(cohort),
        courses=courses,
        req_form=req_form,
        zone=services.zone_for(current_user),
        locale=_locale(),
        when=services.when_label,
    )


def _session_page(cohort, session=None):
    """The session form, one handler for creating (no session) and editing a session."""
    form = _session_form(cohort, SessionForm() if request.method == "POST" else None, session)

    def save():
        data = _read_session_form(form)
        if session is None:
            return services.create_session(current_user, cohort, data), _("The session is created.")
        return services.update_session(current_user, session, data), _("The session is saved.")

    if form.validate_on_submit() and (done := carry_out(form, save)):
        db.session.commit()
        saved, message = done.result
        flash(message)
        return redirect(url_for("cohorts.session_detail", session_id=saved.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "cohorts/session_form.html", form=form, cohort=cohort, session=session, zones=timezones.zone_names()
    ), status


@requires(STAFF)
def new_session(cohort_id):
    """Create a session of a cohort."""
    return _session_page(services.staff_cohort(current_user, cohort_id))


@requires(STAFF)
def edit_session(session_id):
    """Change a session; the registered keep their seats."""
    session, cohort = services.staff_session(current_user, session_id)
    return _session_page(cohort, session)


@requires(STAFF)
def cancel_session(session_id):
    """Cancel a session; the registered are told by e-mail."""
    session = services.get_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.cancel_session(current_user, session)
    db.session.commit()
    flash(_("The session is cancelled; the registered learners are told by e-mail."))
    return redirect(url_for("cohorts.session_detail", session_id=session_id), 303)


def _roll_page(session, *, form, import_form, error=None, problems=()):
    """The roll of a session, a page of members at a time, found by username or name."""
    page = paginate(roster_query(session, search_text()))
    return (
        render_template(
            "cohorts/roll.html",
            s=session,
            page=page,
            rows=roster_rows(session, page.items),
            q=search_text(),
            statuses=ATTENDANCE_STATES,
            labels=STATUS_LABELS,
            form=form,
            import_form=import_form,
            error=error,
            problems=problems,
            code=services.current_code(session),
            zone=services.zone_for(current_user),
            locale=_locale(),
            when=services.when_label,
            step_minutes=codes.STEP_SECONDS // 60,
        ),
        400 if error else 200,
    )


def _here(session_id):
    """The roll at the page and search it was posted from."""
    return url_for(
        "cohorts.roll",
        session_id=session_id,
        page=request.args.get("page", type=int),
        q=search_text() or None,
    )


@requires(STAFF)
def roll(session_id):
    """Take the roll on one form: a status (and minutes, online) for each member of the page shown."""
    session = services.roll_session(current_user, session_id)
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
            return redirect(_here(session_id), 303)
    return _roll_page(session, form=form, import_form=ImportForm(), error=error)


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


@requires(STAFF)
def import_roll(session_id):
    """Apply an online tool's attendance report, all or nothing, with line-numbered errors."""
    session = services.roll_session(current_user, session_id)
    form = ImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        count = services.import_attendance(
            current_user, session, form.report.data.read(services.MAX_UPLOAD_BYTES + 1)
        )
    except services.UploadRejected as error:
        db.session.rollback()
        return _roll_page(
            session, form=ConfirmForm(), import_form=form, error=error.message, problems=error.problems
        )
    db.session.commit()
    flash(
        ngettext(
            "Attendance imported for %(num)d learner.", "Attendance imported for %(num)d learners.", count
        )
    )
    return redirect(url_for("cohorts.roll", session_id=session_id), 303)


@requires(STAFF)
def set_requirement(cohort_id):
    """Set or clear a cohort's attendance requirement for a course."""
    cohort = services.staff_cohort(current_user, cohort_id)
    form = RequirementForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_requirement(
        current_user,
        cohort,
        form.course.data,
        form.min_sessions.data,
        float(form.min_hours.data) if form.min_hours.data is not None else None,
    )
    db.session.commit()
    flash(_("The attendance requirement is saved."))
    return redirect(url_for("cohorts.cohort_sessions", cohort_id=cohort_id), 303)


def add_routes(bp: Blueprint) -> None:
    """Add the staff-facing pages to the live-session blueprint."""
    bp.add_url_rule("/cohorts/<int:cohort_id>/live/", view_func=cohort_sessions, methods=["GET"])
    bp.add_url_rule("/cohorts/<int:cohort_id>/live/new", view_func=new_session, methods=["GET", "POST"])
    bp.add_url_rule("/live/<int:session_id>/edit", view_func=edit_session, methods=["GET", "POST"])
    bp.add_url_rule("/live/<int:session_id>/cancel", view_func=cancel_session, methods=["POST"])
    bp.add_url_rule("/live/<int:session_id>/roll", view_func=roll, methods=["GET", "POST"])
    bp.add_url_rule("/live/<int:session_id>/roll/import", view_func=import_roll, methods=["POST"])
    bp.add_url_rule("/cohorts/<int:cohort_id>/live/requirement", view_func=set_requirement, methods=["POST"])
