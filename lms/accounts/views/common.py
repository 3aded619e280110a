"""What every account page shares: configured rate limits and confirmation forms."""

from collections.abc import Callable

from flask import current_app
from flask_wtf import FlaskForm
from werkzeug.exceptions import BadRequest


def setting_limit(setting: str) -> Callable[[], str]:
    """Return a rate limit read from the configuration when the request comes."""
    return lambda: current_app.config[setting]


def confirmed(form: FlaskForm) -> None:
    """Refuse (400) a confirmation form that is not valid (a missing or stale CSRF token)."""
    if not form.validate_on_submit():
        raise BadRequest()
