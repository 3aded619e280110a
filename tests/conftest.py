"""Fixtures: app, db (rolled back per test), client, runner, auth, and factories."""

import contextvars
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession

from config import TestConfig
from lms.accounts import services as account_services
from lms.accounts.models import Organisation, Role
from lms.app import create_app
from lms.core.caches import caches
from lms.extensions import db as _db
from lms.extensions import jobs, limiter

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
IS_POSTGRES = os.environ.get("LMS_TEST_DATABASE_URL", "").startswith("postgresql")
ARABIC_LETTERS = re.compile("[\u0621-\u064a]")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def pytest_report_header(config):
    """Say which database engine this run uses."""
    return f"database: {'PostgreSQL' if IS_POSTGRES else 'SQLite'}"


def compile_translations() -> None:
    """Build the .mo files the app needs (they are not committed)."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "compile",
            "-d",
            str(ROOT / "translations"),
            "-D",
            "messages",
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One app for the session, on a fresh schema."""
    compile_translations()
    app = create_app(TestConfig, INSTANCE_PATH=str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def race_app(app, tmp_path_factory):
    """An app whose database takes writes from several threads at once, committed for real.

    PostgreSQL: the session's app. SQLite: an app on a database file (an in-memory database is
    one connection shared by every thread), so that concurrency tests run on both engines.
    """
    if IS_POSTGRES:
        yield app
        return
    folder = tmp_path_factory.mktemp("race")
    race = create_app(
        TestConfig, INSTANCE_PATH=str(folder), SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'race.sqlite3'}"
    )
    with race.app_context():
        _db.create_all()
    yield race
    with race.app_context():
        _db.session.remove()
        _db.engine.dispose()


class BoundSession(FlaskSession):
    """Flask-SQLAlchemy's session ignores `bind` and would open a new connection; honour it."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture
def db(app):
    """The database, with every change of the test rolled back afterwards."""
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            if transaction.is_active:
                transaction.rollback()
            connection.close()


def _keep_sent_mail(app, *, message: account_services.SentMail) -> None:
    """Keep what the memory mail transport delivers, for `sent_mail` and the tests to read."""
    app.extensions.setdefault("tamkeen-outbox", []).append(message)


account_services.mail_delivered.connect(_keep_sent_mail)


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """Reset rate-limit counters and the test mail outbox between tests."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            limiter.reset()
        app.extensions["tamkeen-outbox"] = []
        jobs.state(app).huey.flush()  # jobs queued by an earlier test never run in this one
        shutil.rmtree(Path(app.instance_path) / "handbooks", ignore_errors=True)  # nor their PDFs
    yield


def cold_caches(app) -> None:
    """Empty the per-process page caches (course outlines, header and footer), as in a new worker.

    A query-count test empties them to count a cold page as well, so that an N+1 behind a cache
    is caught (tests/core/test_request_costs.py checks pages fill them).
    """
    caches(app).clear_pages()


class ArabicCatalog:
    """The compiled Arabic catalog, read when first used (the app fixture compiles it first).

    A catalog loaded at import time, before the session compiled the .mo files, is silently
    English, and a test comparing "Arabic" with the page would compare English with English.
    """

    def gettext(self, message: str) -> str:
        """Return the Arabic translation, failing if the catalog is missing or the text untranslated."""
        from babel.support import Translations

        catalog = Translations.load(str(ROOT / "translations"), ["ar"])
        assert isinstance(catalog, Translations), "the Arabic catalog is not compiled"
        text = catalog.gettext(message)
        assert text != message, f"not translated into Arabic: {message!r}"
        assert ARABIC_LETTERS.search(text), f"the Arabic for {message!r} has no Arabic letter: {text!r}"
        return text


ARABIC = ArabicCatalog()


def sent_mail(app) -> list[dict]:
    """Run the queued jobs (mail is sent by the job worker), then return the test outbox."""
    jobs.state(app).run_pending()
    return app.extensions["tamkeen-outbox"]


class Client(FlaskClient):
    """A test client that knows how to find and send the CSRF token."""

    def open(self, *args, **kwargs):
        """Run each request in an empty context, so it gets its own app context, `g` and session.

        Tests keep an app context pushed for direct database access; without this, Flask would
        reuse it for every request and share `g` (and the cached CSRF token) between requests.
        """
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self, path: str = "/") -> str:
        """Fetch a page and return the CSRF token it carries."""
        response = self.get(path)
        match = CSRF_RE.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {path} ({response.status_code})"
        return match.group(1)

    def post_form(self, path: str, data: dict | None = None, *, token_from: str | None = None, **kw):
        """POST a form with a valid CSRF token taken from `token_from` (default: home page)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(token_from or "/"))
        return self.post(path, data=data, **kw)


@pytest.fixture
def client(app, db):
    """A test client on the rolled-back database."""
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def runner(app, db):
    """A CLI runner on the rolled-back database."""
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client: Client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD, **kw):
        """Sign in through /login."""
        return self.client.post_form(
            "/login", {"username": username, "password": password}, token_from="/login", **kw
        )

    def logout(self):
        """Sign out through the POST form."""
        return self.client.post_form("/logout")


@pytest.fixture
def auth(client):
    """Sign-in helpers bound to the client."""
    return AuthActions(client)


@pytest.fixture
def make_user(db):
    """Factory: make_user(role=..., locale=..., username=..., password=..., email=...)."""
    counter = iter(range(1, 10_000))

    def _make(
        role: str | Role = Role.LEARNER,
        locale: str | None = None,
        username: str | None = None,
        password: str = PASSWORD,
        email: str | None = None,
        display_name: str = "",
    ):
        role = Role(role)
        username = username or f"{role.value}{next(counter)}"
        user = account_services.register(
            username, password, display_name=display_name, email=email, locale=locale, role=role
        )
        user.has_pending_recovery_codes = False
        db.session.flush()
        return user

    return _make


@pytest.fixture
def make_organisation(db):
    """Factory: make_organisation(name=..., country=...)."""
    counter = iter(range(1, 10_000))

    def _make(name: str | None = None, country: str = "LB") -> Organisation:
        organisation = Organisation(name=name or f"Organisation {next(counter)}", country=country)
        db.session.add(organisation)
        db.session.flush()
        return organisation

    return _make
