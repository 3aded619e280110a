"""Admin pages of reports: what each manager sees (paged, searchable) and the export audit trail."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts import services as account_services
from lms.accounts.permissions import ADMINS, requires
from lms.core.forms import carry_out
from lms.core.security import parse_id
from lms.extensions import db
from lms.reports import services
from lms.reports.forms import GrantForm, RevokeForm
from lms.reports.views.common import listing


@requires(ADMINS)
def audit():
    """The trail of personal-data exports, for admins (paged, searchable by who exported)."""
    return render_template("reports/audit.html", **listing(services.audit_select))


@requires(ADMINS)
def managers():
    """Admins decide which organisations each manager sees, or the whole programme."""
    form = GrantForm()
    form.manager.choices = services.manager_choices()
    form.organisation.choices = [("programme", _("The whole programme"))] + [
        (str(o.id), f"{o.name} ({o.country})") for o in account_services.list_organisations()
    ]
    if form.validate_on_submit():
        manager = account_services.get_user(form.manager.data) or abort(404)
        organisation = None
        if form.organisation.data != "programme":
            organisation = account_services.get_organisation(int(form.organisation.data)) or abort(404)
        if carry_out(form, lambda: services.grant_scope(current_user, manager, organisation)):
            db.session.commit()
            flash(_("%(name)s can now see these learners.", name=manager.username))
            return redirect(url_for("reports.managers"), 303)
    listed = listing(services.managers_select)
    scopes = services.manager_scopes(listed["page"].items)
    return render_template(
        "reports/managers.html", form=form, scopes=scopes, revoke_form=RevokeForm(), **listed
    )


@requires(ADMINS)
def revoke(user_id):
    """Take back an organisation (or the whole programme) from a manager."""
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
    services.revoke_scope(current_user, manager, organisation)
    db.session.commit()
    flash(_("%(name)s no longer sees these learners.", name=manager.username))
    return redirect(url_for("reports.managers"), 303)


def add_routes(bp: Blueprint) -> None:
    """Add the admin routes to the reports blueprint."""
    bp.add_url_rule("/reports/audit", view_func=audit, methods=["GET"])
    bp.add_url_rule("/reports/managers", view_func=managers, methods=["GET", "POST"])
    bp.add_url_rule("/reports/managers/<int:user_id>/revoke", view_func=revoke, methods=["POST"])
