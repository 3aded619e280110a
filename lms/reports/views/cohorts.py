"""Cohort pages: the manager's cohorts and their members, uploads, join codes, and joining one."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.permissions import MANAGERS, requires
from lms.core.forms import carry_out
from lms.core.security import accepts_upload
from lms.extensions import db, limiter
from lms.reports import cohorts, rosters, services
from lms.reports.forms import CohortForm, ConfirmForm, JoinForm, RosterForm
from lms.reports.views.common import current_scope, listing, locale


def _cohort_form(scope) -> CohortForm:
    form = CohortForm()
    options = services.filter_options(scope)
    lang = locale()
    form.courses.choices = [(c.id, c.title_in(lang)) for c in options.courses]
    form.organisations.choices = [(o.id, f"{o.name} ({o.country})") for o in options.organisations]
    return form


@requires(MANAGERS)
def cohort_list():
    """List the manager's cohorts (paged, searchable by name) and create one."""
    scope = current_scope()
    form = _cohort_form(scope)
    if form.validate_on_submit():
        created = carry_out(
            form,
            lambda: cohorts.create_cohort(
                current_user,
                scope,
                name=form.name.data,
                course_ids=form.courses.data,
                organisation_ids=form.organisations.data or [],
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            ),
        )
        if created:
            db.session.commit()
            flash(_("The cohort %(name)s is created.", name=created.result.name))
            return redirect(url_for("reports.cohort_detail", cohort_id=created.result.id), 303)
    listed = listing(lambda search: cohorts.cohorts_select(scope, search))
    views = cohorts.cohort_views(listed["page"].items)
    return render_template(
        "reports/cohorts.html", form=form, cohorts=views, scope=scope, locale=locale(), **listed
    )


def _cohort_page(scope, cohort_id, *, roster_form=None, problems=(), status=200):
    view = cohorts.get_cohort(scope, cohort_id)
    listed = listing(lambda search: cohorts.members_select(scope, cohort_id, search))
    return (
        render_template(
            "reports/cohort.html",
            view=view,
            members=listed["page"],
            search=listed["search"],
            roster_form=roster_form or RosterForm(),
            code_form=ConfirmForm(prefix="code"),
            problems=problems,
            is_closed=cohorts.is_closed(view.cohort),
            locale=locale(),
            join_url=current_app.config["SITE_URL"].rstrip("/") + url_for("reports.join_cohort"),
        ),
        status,
    )


@requires(MANAGERS)
def cohort_detail(cohort_id):
    """A cohort: its courses, organisations, join code, members (paged, searchable) and the upload form."""
    return _cohort_page(current_scope(), cohort_id)


@requires(MANAGERS)
@accepts_upload(rosters.MAX_UPLOAD_BYTES + 64 * 1024)
def cohort_upload(cohort_id):
    """Enrol the learners listed in an uploaded CSV; any bad line and nothing is applied."""
    scope = current_scope()
    form = RosterForm()
    if not form.validate_on_submit():
        return _cohort_page(scope, cohort_id, roster_form=form, status=400)
    try:
        added = rosters.enrol_file(current_user, scope, cohort_id, form.roster.data.stream)
    except rosters.UploadRejected as error:
        db.session.rollback()
        return _cohort_page(scope, cohort_id, roster_form=form, problems=error.problems, status=400)
    db.session.commit()
    flash(
        _("%(count)d learners were added to the cohort and enrolled in its courses.", count=added)
        if added
        else _("Everyone listed was already in the cohort.")
    )
    return redirect(url_for("reports.cohort_detail", cohort_id=cohort_id), 303)


@requires(MANAGERS)
def cohort_code(cohort_id):
    """Give the cohort a new join code (the old one stops working)."""
    scope = current_scope()
    if not ConfirmForm(prefix="code").validate_on_submit():
        abort(400)
    cohorts.renew_code(scope, cohort_id)
    db.session.commit()
    flash(_("The cohort has a new join code; the old one no longer works."))
    return redirect(url_for("reports.cohort_detail", cohort_id=cohort_id), 303)


def _join_limit() -> str:
    return current_app.config.get("LIMIT_JOIN_CODE_PER_CLIENT", "20 per 10 minutes")


@login_required
@limiter.limit(_join_limit, methods=["POST"])
def join_cohort():
    """Join a cohort with the code its manager shared: first check, then confirm."""
    form = JoinForm()
    check = None
    if form.validate_on_submit():
        try:
            check = cohorts.check_code(current_user, form.code.data)
        except services.ReportError as error:
            form.code.errors = [error.message]
        else:
            form.organisation.choices = [(o.id, f"{o.name} ({o.country})") for o in check.view.organisations]
            code, organisation = form.code.data, form.organisation.data
            if form.confirm.data and carry_out(
                form, lambda: cohorts.join_with_code(current_user, code, organisation)
            ):
                db.session.commit()
                flash(_("You joined %(name)s and are enrolled in its courses.", name=check.view.cohort.name))
                return redirect(url_for("accounts.me"), 303)
    return render_template(
        "reports/join.html",
        form=form,
        view=check.view if check else None,
        needs_choice=bool(check and check.needs_choice),
        locale=locale(),
    )


def add_routes(bp: Blueprint) -> None:
    """Add the cohort routes to the reports blueprint."""
    bp.add_url_rule("/reports/cohorts", view_func=cohort_list, methods=["GET", "POST"])
    bp.add_url_rule("/reports/cohorts/<int:cohort_id>", view_func=cohort_detail, methods=["GET"])
    bp.add_url_rule("/reports/cohorts/<int:cohort_id>/members", view_func=cohort_upload, methods=["POST"])
    bp.add_url_rule("/reports/cohorts/<int:cohort_id>/code", view_func=cohort_code, methods=["POST"])
    bp.add_url_rule("/cohorts/join", view_func=join_cohort, methods=["GET", "POST"])
