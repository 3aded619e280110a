"""What every account page shares: configured rate limits, confirmation forms, form errors."""

from collections.abc import Callable

from flask import current_app
from flask_wtf import FlaskForm
from werkzeug.exceptions import BadRequest

from lms.accounts import services
from lms.extensions import db


def setting_limit(setting: str) -> Callable[[], str]:
    """Return a rate limit read from the configuration when the request comes."""
    return lambda: current_app.config[setting]


def confirmed(form: FlaskForm) -> None:
    """Refuse (400) a confirmation form that is not valid (a missing or stale CSRF token)."""
    if not form.validate_on_submit():
        raise BadRequest()


def carried_out(form: FlaskForm, action: Callable[..., object], *args) -> bool:
    """Run a service for a submitted, valid form; tell whether it ran (the caller commits).

    An AccountError is shown in the form instead, and nothing the service wrote is kept.
    """
    if not form.validate_on_submit():
        return False
    try:
        action(*args)
    except services.AccountError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return False
    return True
