"""The learner's own pages: "My learning", the profile, organisations, data download and erasure."""

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts import services
from lms.accounts.forms import ConfirmForm, EraseForm, MembershipForm, ProfileForm
from lms.accounts.views.common import confirmed, setting_limit
from lms.accounts.views.signin import sign_out
from lms.core.forms import carry_out
from lms.core.i18n import language_name
from lms.core.safety import download_name, remember_discreet
from lms.extensions import db, limiter


@login_required
def me():
    """The signed-in learner's home."""
    panels = services.panels_for(current_user)
    return render_template("accounts/me.html", panels=panels)


@login_required
def profile():
    """Edit display name, e-mail, language and organisations."""
    form = ProfileForm(obj=current_user)
    form.locale.choices = [("", _("Use the browser's language"))] + [
        (code, language_name(code)) for code in current_app.config["LANGUAGES"]
    ]
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    membership_form = MembershipForm()
    if form.validate_on_submit():
        services.update_profile(
            current_user,
            display_name=form.display_name.data or "",
            email=form.email.data,
            locale=form.locale.data or None,
            is_discreet=form.is_discreet.data,
        )
        db.session.commit()
        flash(_("Your profile is saved."))
        response = redirect(url_for("accounts.profile"), 303)
        remember_discreet(response, bool(form.is_discreet.data))  # this browser follows the choice
        return response
    return render_template(
        "accounts/profile.html",
        form=form,
        membership_form=membership_form,
        leave_form=ConfirmForm(prefix="leave"),
        remaining_codes=services.remaining_recovery_codes(current_user),
        # Pages other parts of the platform add about the learner (e.g. optional demographics).
        extra_links=services.extra_profile_links(),
    )


@login_required
@limiter.limit(setting_limit("LIMIT_PASSWORD_PER_CLIENT"))
def join_organisation():
    """Join an organisation with the code it gave (its consent); codes are not guessable."""
    form = MembershipForm()
    confirmed(form)
    try:
        organisation = services.join_organisation_with_code(current_user, form.code.data)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("accounts.profile"), 303)
    db.session.commit()
    flash(_("You are now listed as a member of %(name)s.", name=organisation.name))
    return redirect(url_for("accounts.profile"), 303)


@login_required
def leave_organisation(organisation_id):
    """Leave an organisation."""
    confirmed(ConfirmForm(prefix="leave"))
    organisation = services.get_organisation(organisation_id) or abort(404)
    services.leave_organisation(current_user, organisation)
    db.session.commit()
    flash(_("You are no longer listed as a member of %(name)s.", name=organisation.name))
    return redirect(url_for("accounts.profile"), 303)


@login_required
def download_data():
    """Download everything stored about the signed-in user, as JSON."""
    data = services.export_user_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{download_name("tamkeen-my-data.json", current_user)}"'
        },
    )


@login_required
@limiter.limit(setting_limit("LIMIT_PASSWORD_PER_CLIENT"), methods=["POST"])
def erase():
    """Erase the signed-in account after confirming the password."""
    form = EraseForm()
    if form.validate_on_submit() and carry_out(
        form, lambda: services.erase_user(current_user._get_current_object(), form.password.data)
    ):
        db.session.commit()
        sign_out()
        flash(_("Your account and personal data are erased."))
        return redirect(url_for("core.home"), 303)
    return render_template("accounts/erase.html", form=form)


def add_routes(bp: Blueprint) -> None:
    """Add 'My learning', the profile, organisations and privacy pages to the accounts blueprint."""
    bp.add_url_rule("/me/", view_func=me, methods=["GET"])
    bp.add_url_rule("/me/profile", view_func=profile, methods=["GET", "POST"])
    bp.add_url_rule("/me/organisations", view_func=join_organisation, methods=["POST"])
    bp.add_url_rule(
        "/me/organisations/<int:organisation_id>/leave", view_func=leave_organisation, methods=["POST"]
    )
    bp.add_url_rule("/me/data.json", view_func=download_data, methods=["GET"])
    bp.add_url_rule("/me/erase", view_func=erase, methods=["GET", "POST"])
