"""Admins' pages: the searchable, paged list of accounts, disabling them, and organisations."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts import services
from lms.accounts.forms import ConfirmForm, OrganisationForm
from lms.accounts.permissions import ADMINS, requires
from lms.accounts.views.common import confirmed
from lms.core.forms import carry_out
from lms.core.pagination import paginate, search_text
from lms.extensions import db


@requires(ADMINS)
def admin_users():
    """List accounts for admins, newest first, a page at a time; search by username or display name."""
    search = search_text()
    page = paginate(services.accounts_query(search))
    return render_template("accounts/admin_users.html", page=page, search=search, form=ConfirmForm())


@requires(ADMINS)
def admin_disable(user_id):
    """Disable an account: it can no longer sign in and its sessions end."""
    return _set_disabled(user_id, True)


@requires(ADMINS)
def admin_enable(user_id):
    """Enable a disabled account."""
    return _set_disabled(user_id, False)


def _set_disabled(user_id: int, disabled: bool):
    confirmed(ConfirmForm())
    user = services.get_account(user_id)
    try:
        services.set_disabled(current_user, user, disabled)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(
            _("Account %(name)s is disabled.", name=user.username)
            if disabled
            else _("Account %(name)s is enabled.", name=user.username)
        )
    return redirect(url_for("accounts.admin_users"), 303)


@requires(ADMINS)
def admin_organisations():
    """List and create organisations."""
    form = OrganisationForm()
    if form.validate_on_submit() and carry_out(
        form, lambda: services.create_organisation(current_user, form.name.data, form.country.data)
    ):
        db.session.commit()
        flash(_("The organisation is saved."))
        return redirect(url_for("accounts.admin_organisations"), 303)
    return render_template(
        "accounts/admin_organisations.html",
        form=form,
        organisations=services.list_organisations(),
        code_form=ConfirmForm(prefix="code"),
    )


@requires(ADMINS)
def admin_organisation_code(organisation_id):
    """Give an organisation a new join code; the old one stops working."""
    confirmed(ConfirmForm(prefix="code"))
    organisation = services.get_organisation(organisation_id) or abort(404)
    services.renew_join_code(current_user, organisation)
    db.session.commit()
    flash(_("%(name)s has a new join code; the old one no longer works.", name=organisation.name))
    return redirect(url_for("accounts.admin_organisations"), 303)


def add_routes(bp: Blueprint) -> None:
    """Add the admins' account and organisation pages to the accounts blueprint."""
    bp.add_url_rule("/admin/users", view_func=admin_users, methods=["GET"])
    bp.add_url_rule("/admin/users/<int:user_id>/disable", view_func=admin_disable, methods=["POST"])
    bp.add_url_rule("/admin/users/<int:user_id>/enable", view_func=admin_enable, methods=["POST"])
    bp.add_url_rule("/admin/organisations", view_func=admin_organisations, methods=["GET", "POST"])
    bp.add_url_rule(
        "/admin/organisations/<int:organisation_id>/code", view_func=admin_organisation_code, methods=["POST"]
    )
