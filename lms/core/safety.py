"""Safety for learners at risk: the decoy a quick exit leaves behind, discreet mode, and opaque
addresses in discreet mode.

After a quick exit this browser carries a signed cookie with a neutral name; while it is valid,
every page of the site answers with the neutral decoy (lms.core.views.neutral), Back included,
since every page is sent with `Cache-Control: no-store`. Only the sign-in page stays reachable
(shown in discreet mode), and signing in ends the decoy. A forged, tampered or expired cookie
counts as no cookie: it never breaks a page.

In discreet mode every link, form action and redirect to an address that names a course (a
course, its lessons, quizzes, handbooks, certificate pages) is rewritten to /n/<token>: the
address encrypted (AES-SIV) with a key derived from the site's secret and a random key this
browser keeps in a cookie. OpaqueAddresses, a WSGI middleware, serves /n/<token> as the address
it stands for, so the normal addresses keep working and nothing is stored on the server. Another
browser, or this one after discreet mode is turned off, cannot open those tokens (404).
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from functools import lru_cache
from urllib.parse import parse_qsl, unquote_to_bytes, urlencode, urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from flask import Flask, current_app, g, has_request_context, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import escape
from werkzeug.http import parse_cookie

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
    """Keep discreet mode on (or off) for this browser for a year, signed in or not.

    Turning it off also forgets this browser's address key: opaque addresses in its history
    stop working.
    """
    response.set_cookie(
        DISCREET_COOKIE,
        "1" if on else "",
        max_age=365 * 24 * 3600 if on else 0,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    g.discreet_changed = True  # this response's own redirect is not rewritten
    if not on:
        response.delete_cookie(
            ADDRESS_KEY_COOKIE,
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


# Opaque addresses -------------------------------------------------------------------------------

OPAQUE_PREFIX = "/n/"
ADDRESS_KEY_COOKIE = "nk"  # this browser's random address key; a name that says nothing
# Addresses that name a course: a course, its modules, lessons, quizzes, handbooks, certificates.
_NAMES_A_COURSE = re.compile(r"^/(?:courses|certificates)/[^/?#]+")
_LINK = re.compile(r'\b(href|action)="(/[^"]*)"')
_MAX_TOKEN = 2048


@lru_cache(maxsize=256)  # a page seals a few dozen links with the same key
def _cipher(secret_key: str | bytes, address_key: str) -> AESSIV:
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    digest = hmac.new(secret, b"opaque-addresses:" + address_key.encode(), hashlib.sha512).digest()
    return AESSIV(digest)  # 64 bytes: AES-256-SIV, deterministic, so one lesson has one address


def new_address_key() -> str:
    """Return a new random address key for a browser."""
    return secrets.token_urlsafe(16)


def seal(secret_key: str | bytes, address_key: str, target: str) -> str:
    """Return the opaque address (/n/<token>) standing for a same-site path and query."""
    token = _cipher(secret_key, address_key).encrypt(target.encode(), None)
    return OPAQUE_PREFIX + base64.urlsafe_b64encode(token).rstrip(b"=").decode()


def unseal(secret_key: str | bytes, address_key: str, token: str) -> str | None:
    """Return the path and query an opaque token stands for, or None for anything else."""
    if not address_key or not token or len(token) > _MAX_TOKEN:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        target = _cipher(secret_key, address_key).decrypt(raw, None).decode()
    except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not target.startswith("/") or target.startswith(("//", OPAQUE_PREFIX)):
        return None
    return target


def opaque_url(url: str, secret_key: str | bytes, address_key: str) -> str:
    """Return the address to show for a same-site URL: opaque when it names a course."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return url
    if _NAMES_A_COURSE.match(parts.path):
        # The fragment (a module's id) would name the content too; it is dropped.
        return seal(secret_key, address_key, parts.path + (f"?{parts.query}" if parts.query else ""))
    if "next=" in parts.query:  # /login?next=/courses/...
        query = [
            (name, opaque_url(value, secret_key, address_key) if name == "next" else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        url = parts._replace(query=urlencode(query, safe="/")).geturl()
    return url


def _address_key(response) -> str:
    """Return this browser's address key, giving it one (for a year) if it has none."""
    key = request.cookies.get(ADDRESS_KEY_COOKIE, "")
    if 16 <= len(key) <= 64:
        return key
    key = new_address_key()
    response.set_cookie(
        ADDRESS_KEY_COOKIE,
        key,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return key


def hide_addresses(response) -> None:
    """Rewrite a response's redirect and its page's links that name a course to opaque addresses."""
    secret = current_app.secret_key
    address_key = _address_key(response)
    location = response.headers.get("Location")
    if location:
        response.headers["Location"] = opaque_url(location, secret, address_key)
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return
    body = response.get_data(as_text=True)

    def _replace(match: re.Match) -> str:
        url = match.group(2).replace("&amp;", "&")
        hidden = opaque_url(url, secret, address_key)
        return match.group(0) if hidden == url else f'{match.group(1)}="{escape(hidden)}"'

    response.set_data(_LINK.sub(_replace, body))


class OpaqueAddresses:
    """WSGI middleware: serve /n/<token> as the address it stands for, with this browser's key."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        """Swap an opaque path for the real one before Flask routes the request."""
        path = environ.get("PATH_INFO", "")
        if path.startswith(OPAQUE_PREFIX):
            key = parse_cookie(environ).get(ADDRESS_KEY_COOKIE, "")
            target = unseal(self.app.secret_key, key, path[len(OPAQUE_PREFIX) :])
            if target is not None:
                real, _mark, query = target.partition("?")
                environ = dict(environ)
                environ["PATH_INFO"] = unquote_to_bytes(real).decode("latin-1")
                environ["QUERY_STRING"] = "&".join(q for q in (query, environ.get("QUERY_STRING", "")) if q)
        return self.wsgi_app(environ, start_response)
