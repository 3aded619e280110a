"""Security helpers: client keys for rate limits, response headers, safe redirects, hashing."""

import contextlib
import hashlib
import secrets
import unicodedata
from urllib.parse import urljoin, urlsplit

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter

from lms.core.caches import caches

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# Ids are 32-bit integers on every engine: a larger one in a URL is "not found", never a 500.
MAX_ID = 2**31 - 1
_UPLOAD_LIMIT = "tamkeen_upload_limit"


class BoundedIntConverter(IntegerConverter):
    """The `int` URL converter, limited to the ids a database column can hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(text: str | None) -> int | None:
    """Return a positive id typed in a form or query string, or None if it is not one."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > MAX_ID:
        return None
    return int(text)


def accepts_upload(max_bytes: int):
    """Let a view take a body up to `max_bytes` (an upload) instead of MAX_CONTENT_LENGTH."""

    def mark(view):
        setattr(view, _UPLOAD_LIMIT, max_bytes)
        return view

    return mark


def apply_upload_limit() -> None:
    """Before the form is read (CSRF reads it): raise the body limit for upload views only."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, _UPLOAD_LIMIT, None)
    if limit is not None:
        request.max_content_length = limit


def limiter_store_problem(storage_uri: str, workers: int, *, enabled: bool = True) -> str | None:
    """Say why rate limits would not hold with this store and this many processes, or None.

    `memory://` counts in each process: with several gunicorn workers, 10 sign-in attempts
    would really be 10 per worker. deploy/gunicorn.conf.py refuses to start then.
    """
    if enabled and workers > 1 and (storage_uri or "memory://").startswith("memory://"):
        return (
            f"Rate limits would not hold: LMS_RATELIMIT_STORAGE_URI is memory:// (counted in each "
            f"process) and gunicorn would run {workers} workers. Set LMS_RATELIMIT_STORAGE_URI to a "
            "shared store (memcached://HOST:11211 or redis://HOST:6379/0; see docs/deploy.md), "
            "or run one worker (GUNICORN_WORKERS=1)."
        )
    return None


def client_key() -> str:
    """Key rate limits on the client address (already corrected by ProxyFix when configured)."""
    return request.remote_addr or "unknown"


def canonical_key(value: str | None) -> str:
    """Return the one comparison form of a username or e-mail address: NFKC, trimmed, case-folded.

    Sign-in, recovery codes, resets and their rate limits all key accounts by it, so that a
    full-width or otherwise compatible spelling of a locked account is the same locked account.
    """
    return unicodedata.normalize("NFKC", value or "").strip().casefold()


def account_key(field: str = "username") -> str:
    """Key rate limits on the account named in the submitted form, by its canonical key."""
    return f"account:{canonical_key(request.form.get(field))}"


STRICT_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)


def set_security_headers(response):
    """Add the strict headers every response carries, error pages included."""
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}  # one pass, not one per header
    for name, value in STRICT_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", "max-age=31536000")
    return response


def is_safe_redirect(target: str | None) -> bool:
    """Tell whether `target` stays on this site (relative path, same host)."""
    if not target:
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    base = urlsplit(request.host_url)
    joined = urlsplit(urljoin(request.host_url, target))
    return (
        joined.scheme in {"http", "https"}
        and joined.netloc == base.netloc
        and target.startswith("/")
        and not target.startswith("//")
    )


def safe_next(target: str | None, default: str) -> str:
    """Return `target` when it is a same-site path, else `default`."""
    return target if is_safe_redirect(target) else default


def password_hasher(app: Flask | None = None) -> PasswordHasher:
    """Return the argon2id hasher with the configured parameters."""
    config = (app or current_app).config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    """Hash a password with argon2id (no length cap: argon2 takes the whole input)."""
    return password_hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; an unknown account (no hash) costs the same work as a known one."""
    hasher = password_hasher()
    if not stored_hash:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy_hash(), password + "x")
        return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Tell whether a stored hash was made with other parameters than the configured ones."""
    return password_hasher().check_needs_rehash(stored_hash)


def _dummy_hash() -> str:
    kept = caches(current_app)
    parameters = (current_app.config["ARGON2_MEMORY_KIB"], current_app.config["ARGON2_TIME_COST"])
    if kept.dummy_hash is None or kept.dummy_hash[0] != parameters:
        kept.dummy_hash = (parameters, password_hasher().hash(secrets.token_hex(16)))
    return kept.dummy_hash[1]


def new_token(nbytes: int = 16) -> str:
    """Return a URL-safe random token (16 bytes = 128 bits)."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """Hash a high-entropy token for storage (SHA-256 suffices: tokens are random, not passwords)."""
    return hashlib.sha256(token.encode()).hexdigest()
