"""Generic error pages (no tracebacks) and 503 while the database is unreachable."""

import contextlib
import logging

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A request a domain cannot carry out; the message is for the user, the status for HTTP.

    Every package's error derives from this (``QuizError``, ``CertificateError``, ...) and
    sets ``status`` on the class, or per instance with ``status=``. A view catches one only to
    show the message in its own page (a form error, a flash); uncaught, `register_error_handlers`
    answers with the status and the message on the generic error page. Services raise it
    before writing anything; the request's transaction is rolled back either way.
    """

    status: int = 400
    # Seconds after which trying again may work (sent as Retry-After); None: do not say.
    retry_after: int | None = None

    def __init__(self, message: str = "", *, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        """Return the user-facing message ("" when the status says enough)."""
        return str(self.args[0]) if self.args else ""


class NotFoundError(DomainError):
    """The thing does not exist, or the user may not know that it does (404)."""

    status = 404


class ForbiddenError(DomainError):
    """The user is known but may not do this (403)."""

    status = 403


class ConflictError(DomainError):
    """The request clashes with the current state (already done, full, closed) (409)."""

    status = 409


def _title(code: int) -> str:
    titles = {
        400: _("The request was not understood"),
        403: _("You do not have access to this page"),
        404: _("This page does not exist"),
        405: _("This action is not allowed here"),
        413: _("That upload is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
        503: _("Temporarily unavailable"),
    }
    return titles.get(code, _("Error"))


def _render(code: int, message: str | None = None):
    wants_json = request.path.startswith("/healthz") or (request.accept_mimetypes.best == "application/json")
    if wants_json:
        return {"status": "error", "code": code}, code
    try:
        return render_template("errors/error.html", code=code, title=_title(code), message=message), code
    except Exception:  # the error page itself must never fail
        log.exception("error page failed to render")
        return f"<!doctype html><title>{code}</title><h1>{code}</h1>", code


def handle_http_error(error: HTTPException):
    """Render an HTTP error with the generic page."""
    code = error.code or 500
    message = None
    if code == 429:
        message = _("Please wait a little and try again.")
    response = _render(code, message)
    return response


def handle_domain_error(error: DomainError):
    """Answer a domain error nobody caught with its status and message."""
    db = current_app.extensions["sqlalchemy"]
    db.session.rollback()
    body, status = _render(error.status, error.message or None)
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
    return body, status, headers


def handle_database_unavailable(error: Exception):
    """Answer 503 with Retry-After while the database cannot be reached; recover by itself."""
    log.warning("database unavailable: %s", type(error).__name__)
    db = current_app.extensions["sqlalchemy"]
    with contextlib.suppress(Exception):  # the connection is already gone
        db.session.rollback()
    db.session.remove()
    g.db_unavailable = True
    # The page must not ask the database who the user is: render it for an anonymous visitor.
    g._login_user = current_app.login_manager.anonymous_user()
    body, code = _render(503, _("The service is briefly unavailable. Please try again in a moment."))
    return body, 503, {"Retry-After": "5"}


def handle_unexpected(error: Exception):
    """Log an unexpected error and show a generic 500 page."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    log.exception("unhandled error", exc_info=error)
    return handle_http_error(InternalServerError())


def _is_disconnect(error: Exception) -> bool:
    if isinstance(error, PoolTimeout):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError):
        text = str(error.orig).lower() if getattr(error, "orig", None) else str(error).lower()
        markers = (
            "connection",
            "could not connect",
            "server closed",
            "terminating",
            "shutting down",
            "unable to open database",
            "database is locked",
            "timeout",
            "the database system is starting up",
            "no route",
        )
        return any(marker in text for marker in markers)
    return False


def register_error_handlers(app: Flask) -> None:
    """Install the error handlers on the app."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DomainError, handle_domain_error)

    def on_db_error(error):
        if _is_disconnect(error):
            return handle_database_unavailable(error)
        return handle_unexpected(error)

    app.register_error_handler(OperationalError, on_db_error)
    app.register_error_handler(DBAPIError, on_db_error)
    app.register_error_handler(PoolTimeout, on_db_error)
    app.register_error_handler(Exception, handle_unexpected)
