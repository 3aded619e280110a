"""Safety for learners at risk: the decoy a quick exit leaves behind, and discreet mode.

After a quick exit this browser carries a signed cookie with a neutral name; while it is valid,
every page of the site answers with the neutral decoy (lms.core.views.neutral), Back included,
since every page is sent with `Cache-Control: no-store`. Only the sign-in page stays reachable
(shown in discreet mode), and signing in ends the decoy. A forged, tampered or expired cookie
counts as no cookie: it never breaks a page.
"""

from flask import Flask, current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.core.i18n import DISCREET_COOKIE

# A name that says nothing about the site it belongs to.
DECOY_COOKIE = "nv"
_DECOY_SALT = "quick-exit-decoy"
# Pages that stay themselves while the decoy is on: the sign-in page (the deliberate way back),
# the exit itself, the decoy, and static files (the decoy's own stylesheet and icon).
DECOY_EXEMPT = frozenset({"static", "accounts.login", "accounts.quick_exit", "core.neutral"})
NEUTRAL_NAME = "Notes"  # noqa: S105 - not a secret: what discreet mode calls the site


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key, salt=_DECOY_SALT)


def _decoy_seconds(app: Flask) -> int:
    return int(app.config["QUICK_EXIT_MINUTES"]) * 60


def set_decoy(response) -> None:
    """Make this browser see only the decoy for QUICK_EXIT_MINUTES."""
    app = current_app
    response.set_cookie(
        DECOY_COOKIE,
        _serializer(app).dumps(1),
        max_age=_decoy_seconds(app),
        httponly=True,
        samesite="Lax",
        secure=app.config["SESSION_COOKIE_SECURE"],
    )


def clear_decoy(response) -> None:
    """End the decoy for this browser (a deliberate sign-in)."""
    response.delete_cookie(
        DECOY_COOKIE, httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"]
    )


def remember_discreet(response, on: bool) -> None:
    """Keep discreet mode on (or off) for this browser for a year, signed in or not."""
    response.set_cookie(
        DISCREET_COOKIE,
        "1" if on else "",
        max_age=365 * 24 * 3600 if on else 0,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def decoy_active() -> bool:
    """Tell whether this request carries a valid, unexpired decoy cookie."""
    if not has_request_context():
        return False
    value = request.cookies.get(DECOY_COOKIE)
    if not value or len(value) > 200:
        return False
    try:
        _serializer(current_app).loads(value, max_age=_decoy_seconds(current_app))
    except (BadSignature, ValueError, TypeError):
        return False
    return True


def decoy_applies() -> bool:
    """Tell whether this request must be answered with the decoy instead of its page."""
    return request.endpoint not in DECOY_EXEMPT and decoy_active()


def discreet_chosen(user=None) -> bool:
    """Tell whether discreet mode was chosen: for this browser, or on the account."""
    if not has_request_context():  # documents rendered for PDFs and mail have no browser chrome
        return False
    return request.cookies.get(DISCREET_COOKIE) == "1" or bool(getattr(user, "is_discreet", False))


def discreet_requested(user=None) -> bool:
    """Tell whether this page is shown in discreet mode (chosen, or during a quick exit's decoy)."""
    return discreet_chosen(user) or decoy_active()


def download_name(filename: str, user=None) -> str:
    """Return the file name to download under: a neutral one in discreet mode, same extension."""
    if not discreet_requested(user):
        return filename
    _stem, dot, extension = filename.rpartition(".")
    return f"document.{extension}" if dot else "document"
