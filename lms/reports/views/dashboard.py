"""Report pages: the dashboard, live attendance and the audited downloads (CSV, XLSX, xAPI)."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from lms.accounts.permissions import ADMINS, MANAGERS, has_role, requires
from lms.core.db import utcnow
from lms.core.i18n import text_direction
from lms.reports import attendance, exports, filters, services
from lms.reports import dashboard as figures
from lms.reports.forms import GENDER_LABELS, ConfirmForm, StatementsForm
from lms.reports.views.common import current_scope, export, locale, report_filter, today

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@requires(MANAGERS)
def dashboard():
    """Programme figures with charts, scoped to the manager's organisations, filtered by the URL."""
    scope = current_scope()
    f = report_filter(scope)
    options = services.filter_options(scope)
    board = services.dashboard(scope, f)
    lang = locale()
    titles = {course.slug: course.title_in(lang) for course in options.courses}
    now = utcnow().date()
    statements_form = StatementsForm(formdata=None, since=f.since or now.replace(day=1), until=f.until or now)
    return render_template(
        "reports/dashboard.html",
        scope=scope,
        is_admin=has_role(current_user, ADMINS),
        f=f,
        args=f.as_args(),
        options=options,
        headlines=figures.headlines(board.summary, board.active_learners),
        task_rows=services.task_figures(scope, f),
        course_titles=titles,
        figures=figures.figures(board.summary, titles, lang, text_direction(lang) == "rtl"),
        statuses=filters.STATUSES,
        export_form=ConfirmForm(),
        statements_form=statements_form,
        locale=lang,
        as_of=board.as_of,
    )


@requires(MANAGERS)
def live_attendance():
    """Attendance rates of the live sessions held, per cohort, per session and by shared gender."""
    scope = current_scope()
    f = report_filter(scope)
    live = attendance.live_figures(scope, f, utcnow())
    return render_template(
        "reports/live.html",
        args=f.as_args(),
        export_form=ConfirmForm(),
        live=live,
        learning_hours=round((attendance.lesson_minutes(scope, f) + live.live_minutes) / 60, 1),
        gender_labels=GENDER_LABELS,
    )


@requires(MANAGERS)
def export_completions(fmt):
    """Download the completion records of the filter in the URL, as CSV or XLSX (audited)."""
    scope = current_scope()
    f = report_filter(scope)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    lang = locale()
    return export(
        lambda out: services.export_completions(current_user, scope, f, fmt, out, locale=lang),
        MIMETYPES[fmt],
        f"tamkeen-completions-v{exports.FORMAT_VERSION}-{today()}.{fmt}",
    )


@requires(MANAGERS)
def export_attendance():
    """Download the live-session attendance of the filter in the URL, as CSV (audited)."""
    scope = current_scope()
    f = report_filter(scope)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return export(
        lambda out: services.export_attendance(current_user, scope, f, out),
        MIMETYPES["csv"],
        f"tamkeen-attendance-v{attendance.FORMAT_VERSION}-{today()}.csv",
    )


@requires(MANAGERS)
def export_statements():
    """Download the learning records of a date range as xAPI JSON lines (audited)."""
    scope = current_scope()
    form = StatementsForm()
    if not form.validate_on_submit() or form.until.data < form.since.data:
        abort(400)
    since, until = form.since.data, form.until.data
    return export(
        lambda out: services.export_statements(current_user, scope, since, until, out),
        "application/x-ndjson",
        f"tamkeen-xapi-{since.isoformat()}-{until.isoformat()}.jsonl",
    )


def add_routes(bp: Blueprint) -> None:
    """Add the dashboard and download routes to the reports blueprint."""
    bp.add_url_rule("/reports/", view_func=dashboard, methods=["GET"])
    bp.add_url_rule("/reports/live", view_func=live_attendance, methods=["GET"])
    bp.add_url_rule(
        "/reports/completions.<any(csv, xlsx):fmt>", view_func=export_completions, methods=["POST"]
    )
    bp.add_url_rule("/reports/attendance.csv", view_func=export_attendance, methods=["POST"])
    bp.add_url_rule("/reports/statements.jsonl", view_func=export_statements, methods=["POST"])
