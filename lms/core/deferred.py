"""Work done after the response has gone out, until the job queue takes it over.

A page that must answer alike whatever happens next (a password reset: known address or not,
mail server up or down) hands the rest to `after_response`: the WSGI server runs it once the
response is sent, in a fresh app context, and commits it. A failure is logged, never shown.
"""

import logging
from collections.abc import Callable

from flask import Response, current_app

log = logging.getLogger(__name__)


def after_response(response: Response, work: Callable[..., object], *args) -> Response:
    """Run `work(*args)` once `response` is sent, then commit; on failure roll back and log."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            session = app.extensions["sqlalchemy"].session
            try:
                work(*args)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("work after the response failed: %s", getattr(work, "__name__", "work"))

    response.call_on_close(run)
    return response
