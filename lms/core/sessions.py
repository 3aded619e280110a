"""Signed cookie sessions, re-sent at most once a minute when nothing in them changed."""

import time

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms.core.caches import caches

# A permanent session's cookie slides forward on use; re-signing it on every page only moves its
# expiry by seconds, so an unchanged session is re-sent once this many seconds have passed.
REFRESH_SECONDS = 60


class CookieSession(SecureCookieSession):
    """A session that knows when its cookie was signed (0: never)."""

    signed_at: float = 0.0


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with three savings on every request.

    The serializer is built once per key; an unchanged session is re-signed at most once every
    REFRESH_SECONDS; and static files never refresh it (a public, cached answer sets no cookie).
    """

    session_class = CookieSession

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return the serializer of the current keys, built once."""
        if not app.secret_key:
            return None
        keys = (tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        kept = caches(app)
        if kept.session_serializer is None or kept.session_serializer[0] != keys:
            kept.session_serializer = (keys, super().get_signing_serializer(app))
        return kept.session_serializer[1]

    def open_session(self, app: Flask, request: Request) -> CookieSession | None:
        """Load the session and remember when its cookie was signed."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at.timestamp()
        return session

    def should_set_cookie(self, app: Flask, session) -> bool:
        """Send the cookie when the session changed, or when a permanent one is due a refresh."""
        if session.modified:
            return True
        due = time.time() - getattr(session, "signed_at", 0.0) >= REFRESH_SECONDS
        return session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"] and due

    def save_session(self, app, session, response):
        """Save as usual, except on static files."""
        if request.endpoint == "static":
            return
        super().save_session(app, session, response)
