"""Configuration: every setting comes from an `LMS_*` environment variable with a safe default."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("LMS_INSTANCE_PATH", BASE_DIR / "instance"))


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"LMS_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return default if value in (None, "") else int(value)


class Config:
    """Settings for a real deployment; read from the environment when the class is built."""

    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tamkeen.sqlite3'}")
    # No pool_pre_ping: lms.core.engine checks a pooled PostgreSQL connection without a round trip.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    INSTANCE_PATH = str(INSTANCE_DIR)

    # Sessions: signed cookie holding only a server-side session id (revocable).
    SESSION_COOKIE_NAME = "tamkeen_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    PERMANENT_SESSION_LIFETIME = _env_int("SESSION_LIFETIME_HOURS", 24 * 14) * 3600  # sliding
    SESSION_ABSOLUTE_DAYS = _env_int("SESSION_ABSOLUTE_DAYS", 30)  # from sign-in, however active
    REMEMBER_COOKIE_DURATION = 0

    # Languages.
    LANGUAGES = ("en", "ar", "fr", "es", "tr")
    BABEL_DEFAULT_LOCALE = _env("DEFAULT_LOCALE", "en")
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # Live sessions are shown in this zone to learners who have not chosen theirs (IANA name).
    LIVE_TIME_ZONE = _env("LIVE_TIME_ZONE", "UTC")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Security.
    # Request bodies: forms are small; upload views raise this for themselves (413 past it).
    MAX_CONTENT_LENGTH = _env_int("MAX_FORM_BYTES", 512 * 1024)
    WTF_CSRF_ENABLED = True
    # Pages send no Referer (Referrer-Policy: no-referrer, for learners' privacy), so Flask-WTF's
    # HTTPS-only referrer check would refuse every form over HTTPS; the CSRF token still protects.
    WTF_CSRF_SSL_STRICT = False
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; sessions expire anyway
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)  # trust X-Forwarded-For only behind this many proxies
    LOG_IP_ADDRESSES = _env_bool("LOG_IP_ADDRESSES", False)
    ARGON2_MEMORY_KIB = _env_int("ARGON2_MEMORY_KIB", 19 * 1024)
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 2)
    ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 1)

    # Rate limits (Flask-Limiter syntax). Storage: memory:// for one process only;
    # use redis://, memcached:// or the database for several app servers.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    # Only 429 answers carry Retry-After (set by the app); other answers carry no limit headers.
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    # If the shared store (memcached, redis) is down, count in memory rather than answer 500.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LIMIT_SIGNIN_PER_CLIENT = _env("LIMIT_SIGNIN_PER_CLIENT", "20 per 10 minutes")
    LIMIT_SIGNIN_PER_ACCOUNT = _env("LIMIT_SIGNIN_PER_ACCOUNT", "10 per 10 minutes")
    LIMIT_SIGNUP_PER_CLIENT = _env("LIMIT_SIGNUP_PER_CLIENT", "10 per hour")
    LIMIT_PASSWORD_PER_CLIENT = _env("LIMIT_PASSWORD_PER_CLIENT", "10 per 10 minutes")
    LIMIT_PASSWORD_PER_ACCOUNT = _env("LIMIT_PASSWORD_PER_ACCOUNT", "5 per 10 minutes")

    # Mail: only used for password resets of learners who gave an address.
    MAIL_SERVER = _env("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = _env("MAIL_SENDER", "Tamkeen <no-reply@localhost>")
    MAIL_SUPPRESS_SEND = False
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 10)  # seconds an SMTP server may stay silent
    # "smtp" sends for real; "file" appends messages to instance/mail.log; "console" prints them.
    MAIL_TRANSPORT = _env("MAIL_TRANSPORT", "smtp")
    PASSWORD_RESET_MINUTES = 60
    SITE_URL = _env("SITE_URL", "http://127.0.0.1:5000")
    # Open Badges signing keys: a JSON file outside the database, mode 0600 (docs/credentials.md);
    # unset means instance/credentials-key.json.
    CREDENTIALS_KEY_FILE = _env("CREDENTIALS_KEY_FILE")
    # The issuer's https address (its did:web); unset means SITE_URL. Give an onion instance the
    # clearnet address here so both issue and verify as one issuer.
    CREDENTIALS_ISSUER_URL = _env("CREDENTIALS_ISSUER_URL")
    CREDENTIALS_MAX_UPLOAD_BYTES = _env_int("CREDENTIALS_MAX_UPLOAD_BYTES", 256 * 1024)

    # Learning record store: when set, `flask records send` posts the stored statements there.
    XAPI_LRS_URL = _env("XAPI_LRS_URL")  # the LRS's xAPI base, e.g. https://lrs.example.org/xAPI/
    XAPI_LRS_USERNAME = _env("XAPI_LRS_USERNAME")
    XAPI_LRS_PASSWORD = _env("XAPI_LRS_PASSWORD")
    XAPI_LRS_BATCH_SIZE = _env_int("XAPI_LRS_BATCH_SIZE", 100)
    XAPI_LRS_TIMEOUT_SECONDS = _env_int("XAPI_LRS_TIMEOUT_SECONDS", 20)
    XAPI_LRS_RETRY_SECONDS = _env_int("XAPI_LRS_RETRY_SECONDS", 30)  # the first retry; doubles each time
    XAPI_LRS_MAX_RETRY_SECONDS = _env_int("XAPI_LRS_MAX_RETRY_SECONDS", 6 * 3600)

    # Safety: how long a quick exit leaves only the decoy page behind; the site's onion address.
    QUICK_EXIT_MINUTES = _env_int("QUICK_EXIT_MINUTES", 30)
    ONION_URL = _env("ONION_URL", "")

    COURSES_DIR = _env("COURSES_DIR", str(BASE_DIR / "courses"))
    DEMO_ACCOUNTS = False

    # Background jobs: sqlite:///PATH (default: jobs.sqlite3 in the instance folder) or redis://.
    JOBS_URL = _env("JOBS_URL")


class DevelopmentConfig(Config):
    """Local development (`make run`): plain HTTP cookies, mail to a file, demo accounts allowed."""

    SECRET_KEY = _env("SECRET_KEY", "dev-only-not-secret")
    # A database of its own, so demo accounts and their printed passwords never reach the
    # database that production settings (`make serve`) use by default.
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'development.sqlite3'}")
    SESSION_COOKIE_SECURE = False
    MAIL_TRANSPORT = _env("MAIL_TRANSPORT", "file")
    DEMO_ACCOUNTS = True


class TestConfig(Config):
    """The test suite: database from LMS_TEST_DATABASE_URL (SQLite in memory otherwise)."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("LMS_TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    MAIL_TRANSPORT = "memory"
    # Cheap hashing keeps the suite fast; tests of the real parameters set them explicitly.
    ARGON2_MEMORY_KIB = 1024
    ARGON2_TIME_COST = 1
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    # Jobs queue in a SQLite file of the test instance; tests run them with `run_pending`.
    JOBS_URL = None
