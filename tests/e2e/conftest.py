"""Browser suite fixtures: the real app on 127.0.0.1, Debian's Chromium, page audits.

Playwright drives /usr/bin/chromium (`playwright install` cannot download a browser here).
The app runs in a thread on a free port, on its own database: a file SQLite, or a database of
its own on the PostgreSQL server named by LMS_TEST_DATABASE_URL, so it never touches the
database the rest of the suite rolls back.
"""

import os
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from config import TestConfig
from lms.accounts import services as account_services
from lms.accounts.models import Organisation, Role
from lms.app import create_app
from lms.courses import services as course_services
from lms.extensions import db
from tests.conftest import PASSWORD, ROOT, compile_translations
from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, Audit, LiveServer

SAMPLE_COURSE = ROOT / "tests" / "courses" / "fixtures" / "sample-course"
STAFF = {"trainer": Role.TRAINER, "manager": Role.MANAGER, "admin": Role.ADMIN}


class E2EConfig(TestConfig):
    """The test configuration, with sign-up limits that several journeys from one address fit in."""

    LIMIT_SIGNUP_PER_CLIENT = "100 per hour"
    LIMIT_SIGNIN_PER_CLIENT = "200 per 10 minutes"
    LIMIT_SIGNIN_PER_ACCOUNT = "50 per 10 minutes"


def _own_database(tmp_path: Path):
    """Return (url, cleanup) for a database only the live server uses."""
    base = os.environ.get("LMS_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'e2e.sqlite3'}", lambda: None
    name = f"tamkeen_e2e_{secrets.token_hex(4)}"
    # No pool: other tests restart the server, and a pooled connection would be dead by cleanup.
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def cleanup():
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), cleanup


def _seed(app) -> None:
    """Load the shipped courses (and the sample course, which has an image) and the staff accounts."""
    with app.app_context():
        db.create_all()
        folders = sorted(p for p in course_services.courses_dir().iterdir() if (p / "course.toml").is_file())
        for folder in [*folders, SAMPLE_COURSE]:
            course_services.import_path(folder)
            db.session.commit()
        organisation = Organisation(name="Coalition for Rights", country="LB")
        db.session.add(organisation)
        for username, role in STAFF.items():
            user = account_services.register(username, PASSWORD, display_name=username.title(), role=role)
            user.has_pending_recovery_codes = False
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="package")
def live_server(tmp_path_factory):
    """The real app with the shipped courses and staff accounts, served on 127.0.0.1."""
    compile_translations()
    tmp_path = tmp_path_factory.mktemp("e2e")
    url, cleanup = _own_database(tmp_path)
    app = create_app(E2EConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp_path / "instance"))
    server = LiveServer(app)
    app.config["SITE_URL"] = server.url
    _seed(app)
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    cleanup()


@pytest.fixture(scope="session")
def base_url():
    """No --base-url: pages get the live server's address from `browser_context_args`.

    This also replaces pytest-playwright's own fallback fixture, which pytest 9 deprecates.
    """
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium, quietly: no background traffic, no first-run work."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium package")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    """Every page talks to the live server, in a window the size of a small laptop's."""
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": 1000, "height": 900},
        "locale": "en-GB",
    }


@pytest.fixture
def new_audit(live_server):
    """Factory: new_audit(page, locale, run_axe=True) records and checks every page it is told about."""

    def _make(page, locale: str = "en", run_axe: bool = True) -> Audit:
        return Audit(page, live_server, locale, run_axe=run_axe)

    return _make
