"""The learner's page of optional demographics, and the privacy hooks of reports."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lms.accounts import services as account_services
from lms.core.forms import carry_out
from lms.extensions import db
from lms.reports import services
from lms.reports.forms import AGE_BAND_LABELS, GENDER_LABELS, DemographicsForm


def _register_privacy_hooks(state) -> None:
    """Put the learner's demographics in their data download and erase them with the account."""
    account_services.register_data_exporter(state.app, "demographics", services.demographics_data)
    account_services.add_erase_hook(state.app, services.erase_demographics)
    account_services.add_erase_hook(state.app, services.leave_all_cohorts)
    account_services.add_profile_link(state.app, "reports.demographics", _l("About you (optional)"))


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
        answers = (form.gender.data, form.age_band.data, form.is_shared.data)
        if carry_out(form, lambda: services.save_demographics(current_user, *answers)):
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


def add_routes(bp: Blueprint) -> None:
    """Add the learner's demographics page and the privacy hooks to the reports blueprint."""
    bp.record_once(_register_privacy_hooks)
    bp.add_url_rule("/me/demographics", view_func=demographics, methods=["GET", "POST"])
