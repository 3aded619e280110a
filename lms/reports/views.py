"""Programme reports: dashboard, exports, cohorts, audit trail, managers' scope, demographics."""

import tempfile

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lms.accounts import services as account_services
from lms.accounts.models import Role
from lms.core.db import utcnow
from lms.core.i18n import text_direction
from lms.core.security import accepts_upload, parse_id
from lms.extensions import db, limiter
from lms.reports import attendance, cohorts, exports, filters, services
from lms.reports import dashboard as figures
from lms.reports.forms import (
    AGE_BAND_LABELS,
    GENDER_LABELS,
    CohortForm,
    ConfirmForm,
    DemographicsForm,
    GrantForm,
    JoinForm,
    RevokeForm,
    RosterForm,
    StatementsForm,
)

bp = Blueprint("reports", __name__, template_folder="templates")

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.record_once
def _register_privacy_hooks(state) -> None:
    """Put the learner's demographics in their data download and erase them with the account."""
    account_services.register_data_exporter(state.app, "demographics", services.demographics_data)
    account_services.add_erase_hook(state.app, services.erase_demographics)
    account_services.add_erase_hook(state.app, services.leave_all_cohorts)
    account_services.add_profile_link(state.app, "reports.demographics", _l("About you (optional)"))


def _abort_for(error: services.ReportError):
    if isinstance(error, services.NotAllowed):
        abort(403)
    if isinstance(error, services.NotFound):
        abort(404)
    abort(400)


def _scope() -> filters.Scope:
    try:
        return services.scope_for(current_user)
    except services.NotAllowed:
        abort(403)


def _filter(scope: filters.Scope) -> filters.ReportFilter:
    try:
        f = filters.parse_filter(request.args)
        services.check_filter(scope, f)
    except filters.FilterError:
        abort(400)
    except services.ReportError as error:
        _abort_for(error)
    return f


def _download(out, mimetype: str, filename: str) -> Response:
    """Stream a finished temporary file to the client in blocks, then close (and so delete) it."""
    size = out.tell()
    out.seek(0)

    def blocks():
        with out:
            while block := out.read(64 * 1024):
                yield block

    response = Response(blocks(), mimetype=mimetype, direct_passthrough=True)
    response.call_on_close(out.close)  # also when the client leaves before the end
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _today() -> str:
    return utcnow().date().isoformat()


# Dashboard and exports -------------------------------------------------------------------------


@bp.get("/reports/")
@login_required
def dashboard():
    """Programme figures with charts, scoped to the manager's organisations, filtered by the URL."""
    scope = _scope()
    f = _filter(scope)
    options = services.filter_options(scope)
    board = services.dashboard(scope, f)
    locale = _locale()
    titles = {course.slug: course.title_in(locale) for course in options.courses}
    today = utcnow().date()
    statements_form = StatementsForm(
        formdata=None, since=f.since or today.replace(day=1), until=f.until or today
    )
    return render_template(
        "reports/dashboard.html",
        scope=scope,
        f=f,
        args=f.as_args(),
        options=options,
        headlines=figures.headlines(board.summary, board.active_learners),
        task_rows=services.task_figures(scope, f),
        course_titles=titles,
        figures=figures.figures(board.summary, titles, locale, text_direction(locale) == "rtl"),
        statuses=filters.STATUSES,
        export_form=ConfirmForm(),
        statements_form=statements_form,
        locale=locale,
        as_of=board.as_of,
    )


@bp.get("/reports/live")
@login_required
def live_attendance():
    """Attendance rates of the live sessions held, per cohort, per session and by shared gender."""
    scope = _scope()
    f = _filter(scope)
    live = attendance.live_figures(scope, f, utcnow())
    return render_template(
        "reports/live.html",
        args=f.as_args(),
        export_form=ConfirmForm(),
        live=live,
        learning_hours=round((attendance.lesson_minutes(scope, f) + live.live_minutes) / 60, 1),
        gender_labels=GENDER_LABELS,
    )


@bp.post("/reports/completions.<any(csv, xlsx):fmt>")
@login_required
def export_completions(fmt):
    """Download the completion records of the filter in the URL, as CSV or XLSX (audited)."""
    scope = _scope()
    f = _filter(scope)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - _download closes it after the download
    try:
        services.export_completions(current_user, scope, f, fmt, out, locale=_locale())
    except BaseException:
        out.close()
        raise
    db.session.commit()
    return _download(out, MIMETYPES[fmt], f"tamkeen-completions-v{exports.FORMAT_VERSION}-{_today()}.{fmt}")


@bp.post("/reports/attendance.csv")
@login_required
def export_attendance():
    """Download the live-session attendance of the filter in the URL, as CSV (audited)."""
    scope = _scope()
    f = _filter(scope)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - _download closes it after the download
    try:
        services.export_attendance(current_user, scope, f, out)
    except BaseException:
        out.close()
        raise
    db.session.commit()
    return _download(out, MIMETYPES["csv"], f"tamkeen-attendance-v{attendance.FORMAT_VERSION}-{_today()}.csv")


@bp.post("/reports/statements.jsonl")
@login_required
def export_statements():
    """Download the learning records of a date range as xAPI JSON lines (audited)."""
    scope = _scope()
    form = StatementsForm()
    if not form.validate_on_submit() or form.until.data < form.since.data:
        abort(400)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - _download closes it after the download
    try:
        services.export_statements(current_user, scope, form.since.data, form.until.data, out)
    except BaseException:
        out.close()
        raise
    db.session.commit()
    name = f"tamkeen-xapi-{form.since.data.isoformat()}-{form.until.data.isoformat()}.jsonl"
    return _download(out, "application/x-ndjson", name)


@bp.get("/reports/audit")
@login_required
def audit():
    """The trail of personal-data exports, for admins."""
    if current_user.role != Role.ADMIN:
        abort(403)
    return render_template("reports/audit.html", entries=services.audit_trail())


# Cohorts ---------------------------------------------------------------------------------------


def _cohort_form(scope: filters.Scope) -> CohortForm:
    form = CohortForm()
    options = services.filter_options(scope)
    locale = _locale()
    form.courses.choices = [(c.id, c.title_in(locale)) for c in options.courses]
    form.organisations.choices = [(o.id, f"{o.name} ({o.country})") for o in options.organisations]
    return form


@bp.route("/reports/cohorts", methods=["GET", "POST"])
@login_required
def cohort_list():
    """List the manager's cohorts and create one."""
    scope = _scope()
    form = _cohort_form(scope)
    if form.validate_on_submit():
        try:
            cohort = cohorts.create_cohort(
                current_user,
                scope,
                name=form.name.data,
                course_ids=form.courses.data,
                organisation_ids=form.organisations.data or [],
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
        except (services.NotAllowed, services.NotFound) as error:
            db.session.rollback()
            _abort_for(error)
        except services.ReportError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The cohort %(name)s is created.", name=cohort.name))
            return redirect(url_for("reports.cohort_detail", cohort_id=cohort.id), 303)
    return render_template(
        "reports/cohorts.html",
        form=form,
        cohorts=cohorts.visible_cohorts(scope),
        scope=scope,
        locale=_locale(),
    )


def _cohort_page(scope, cohort_id, *, roster_form=None, problems=(), status=200):
    try:
        view = cohorts.get_cohort(scope, cohort_id)
    except services.ReportError as error:
        _abort_for(error)
    return (
        render_template(
            "reports/cohort.html",
            view=view,
            roster_form=roster_form or RosterForm(),
            code_form=ConfirmForm(prefix="code"),
            problems=problems,
            is_closed=cohorts.is_closed(view.cohort),
            locale=_locale(),
            join_url=current_app.config["SITE_URL"].rstrip("/") + url_for("reports.join_cohort"),
        ),
        status,
    )


@bp.get("/reports/cohorts/<int:cohort_id>")
@login_required
def cohort_detail(cohort_id):
    """A cohort: its courses, organisations, join code and the upload form."""
    return _cohort_page(_scope(), cohort_id)


@bp.post("/reports/cohorts/<int:cohort_id>/members")
@login_required
@accepts_upload(cohorts.MAX_UPLOAD_BYTES + 64 * 1024)
def cohort_upload(cohort_id):
    """Enrol the learners listed in an uploaded CSV; any bad line and nothing is applied."""
    scope = _scope()
    form = RosterForm()
    if not form.validate_on_submit():
        return _cohort_page(scope, cohort_id, roster_form=form, status=400)
    data = form.roster.data.stream.read(cohorts.MAX_UPLOAD_BYTES + 1)
    try:
        added = cohorts.enrol_upload(current_user, scope, cohort_id, data)
    except cohorts.UploadRejected as error:
        db.session.rollback()
        return _cohort_page(scope, cohort_id, roster_form=form, problems=error.problems, status=400)
    except services.ReportError as error:
        db.session.rollback()
        _abort_for(error)
    db.session.commit()
    flash(
        _("%(count)d learners were added to the cohort and enrolled in its courses.", count=added)
        if added
        else _("Everyone listed was already in the cohort.")
    )
    return redirect(url_for("reports.cohort_detail", cohort_id=cohort_id), 303)


@bp.post("/reports/cohorts/<int:cohort_id>/code")
@login_required
def cohort_code(cohort_id):
    """Give the cohort a new join code (the old one stops working)."""
    scope = _scope()
    if not ConfirmForm(prefix="code").validate_on_submit():
        abort(400)
    try:
        cohorts.renew_code(scope, cohort_id)
    except services.ReportError as error:
        db.session.rollback()
        _abort_for(error)
    db.session.commit()
    flash(_("The cohort has a new join code; the old one no longer works."))
    return redirect(url_for("reports.cohort_detail", cohort_id=cohort_id), 303)


def _join_limit() -> str:
    return current_app.config.get("LIMIT_JOIN_CODE_PER_CLIENT", "20 per 10 minutes")


@bp.route("/cohorts/join", methods=["GET", "POST"])
@login_required
@limiter.limit(_join_limit, methods=["POST"])
def join_cohort():
    """Join a cohort with the code its manager shared: first check, then confirm."""
    form = JoinForm()
    view = None
    if form.validate_on_submit():
        view = cohorts.find_by_code(form.code.data)
        if view is None:
            form.code.errors = [_("That code does not open any cohort.")]
        elif cohorts.is_closed(view.cohort):
            form.code.errors = [_("This cohort has ended.")]
            view = None
        else:
            form.organisation.choices = [(o.id, f"{o.name} ({o.country})") for o in view.organisations]
            if form.confirm.data:
                try:
                    cohorts.join_with_code(current_user, form.code.data, form.organisation.data)
                except services.ReportError as error:
                    db.session.rollback()
                    form.form_errors.append(str(error))
                else:
                    db.session.commit()
                    flash(_("You joined %(name)s and are enrolled in its courses.", name=view.cohort.name))
                    return redirect(url_for("accounts.me"), 303)
    mine = {m.organisation_id for m in current_user.memberships}
    needs_choice = bool(view and view.organisations and not mine & {o.id for o in view.organisations})
    return render_template(
        "reports/join.html", form=form, view=view, needs_choice=needs_choice, locale=_locale()
    )


# Admin: who sees what --------------------------------------------------------------------------


def _require_admin() -> None:
    if current_user.role != Role.ADMIN:
        abort(403)


@bp.route("/reports/managers", methods=["GET", "POST"])
@login_required
def managers():
    """Admins decide which organisations each manager sees, or the whole programme."""
    _require_admin()
    scopes = services.manager_scopes()
    form = GrantForm()
    form.manager.choices = [(s.user.id, s.user.username) for s in scopes]
    form.organisation.choices = [("programme", _("The whole programme"))] + [
        (str(o.id), f"{o.name} ({o.country})") for o in account_services.list_organisations()
    ]
    if form.validate_on_submit():
        manager = account_services.get_user(form.manager.data) or abort(404)
        organisation = None
        if form.organisation.data != "programme":
            organisation = account_services.get_organisation(int(form.organisation.data)) or abort(404)
        try:
            services.grant_scope(current_user, manager, organisation)
        except services.ReportError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s can now see these learners.", name=manager.username))
            return redirect(url_for("reports.managers"), 303)
    return render_template("reports/managers.html", form=form, scopes=scopes, revoke_form=RevokeForm())


@bp.post("/reports/managers/<int:user_id>/revoke")
@login_required
def revoke(user_id):
    """Take back an organisation (or the whole programme) from a manager."""
    _require_admin()
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    manager = account_services.get_user(user_id) or abort(404)
    organisation = None
    if form.organisation.data != "programme":
        organisation_id = parse_id(form.organisation.data)
        if organisation_id is None:
            abort(400)
        organisation = account_services.get_organisation(organisation_id) or abort(404)
    try:
        services.revoke_scope(current_user, manager, organisation)
    except services.ReportError:
        db.session.rollback()
        abort(400)
    db.session.commit()
    flash(_("%(name)s no longer sees these learners.", name=manager.username))
    return redirect(url_for("reports.managers"), 303)


# The learner's demographics --------------------------------------------------------------------


@bp.route("/me/demographics", methods=["GET", "POST"])
@login_required
def demographics():
    """Optional gender and age band, which the learner may share with their programme managers."""
    row = services.get_demographics(current_user)
    form = DemographicsForm()
    if request.method == "GET":
        form.gender.data = (row.gender if row else None) or ""
        form.age_band.data = (row.age_band if row else None) or ""
        form.is_shared.data = row.is_shared if row else True
    if form.validate_on_submit():
        try:
            services.save_demographics(
                current_user, form.gender.data, form.age_band.data, form.is_shared.data
            )
        except services.ReportError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your answers are saved."))
            return redirect(url_for("reports.demographics"), 303)
    return render_template(
        "reports/demographics.html",
        form=form,
        row=row,
        gender_labels=GENDER_LABELS,
        age_band_labels=AGE_BAND_LABELS,
    )
