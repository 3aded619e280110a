"""Site-wide pages: home, language switcher, discreet mode, health check."""

from blinker import Namespace
from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lms.core.i18n import LOCALE_COOKIE
from lms.core.safety import remember_discreet
from lms.core.security import safe_next

bp = Blueprint("core", __name__)

# core knows nothing of accounts: a signed-in user's choice in the page chrome is announced, and
# accounts (connected in lms.app.create_app) keeps it on the account; the view commits.
_signals = Namespace()
language_chosen = _signals.signal(
    "language-chosen",
    doc="Sent (sender: the app; keywords `user`, `locale`) when a signed-in user picks a language.",
)
discreet_mode_chosen = _signals.signal(
    "discreet-mode-chosen",
    doc="Sent (sender: the app; keywords `user`, `on`) when a signed-in user turns discreet mode on or off.",
)


def _announce(signal, **choice) -> None:
    """Tell the account domain about a signed-in user's choice, then commit what it saved."""
    if not current_user.is_authenticated:
        return
    signal.send(current_app._get_current_object(), user=current_user._get_current_object(), **choice)
    # core sits below extensions in the layering, so reach the database through the app.
    current_app.extensions["sqlalchemy"].session.commit()


def _remember(response, name: str, value: str) -> None:
    """Set (or, with an empty value, delete) a year-long preference cookie."""
    response.set_cookie(
        name,
        value,
        max_age=365 * 24 * 3600 if value else 0,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


@bp.get("/")
def home():
    """The home page."""
    return render_template("home.html")


@bp.post("/language")
def set_language():
    """Switch the interface language (works without JavaScript and without an account)."""
    form = FlaskForm()
    locale = request.form.get("lang", "")
    target = safe_next(request.form.get("next"), url_for("core.home"))
    response = redirect(target, 303)
    if not form.validate() or locale not in current_app.config["LANGUAGES"]:
        return response
    _remember(response, LOCALE_COOKIE, locale)
    _announce(language_chosen, locale=locale)
    return response


@bp.post("/discreet")
def set_discreet():
    """Turn neutral page titles on or off for this browser (works without an account)."""
    form = FlaskForm()
    target = safe_next(request.form.get("next"), url_for("core.home"))
    response = redirect(target, 303)
    if not form.validate():
        return response
    on = request.form.get("discreet") == "1"
    remember_discreet(response, on)
    _announce(discreet_mode_chosen, on=on)
    return response


@bp.get("/notes")
def neutral():
    """A neutral page to land on after a quick exit."""
    return render_template("neutral.html")


@bp.get("/safety")
def safety():
    """What the quick exit and discreet mode do and cannot do, and what the site stores."""
    return render_template(
        "safety.html",
        exit_minutes=current_app.config["QUICK_EXIT_MINUTES"],
        onion_url=current_app.config.get("ONION_URL") or "",
    )


@bp.get("/healthz")
def healthz():
    """Report whether the app can reach its database (JSON)."""
    # core sits below extensions in the layering, so reach the database through the app.
    db = current_app.extensions["sqlalchemy"]
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        response = jsonify(status="unavailable", database="unreachable")
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    return jsonify(status="ok", database="ok")
