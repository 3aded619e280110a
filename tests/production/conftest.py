"""Fixtures of the production tests: a fresh PostgreSQL database, memcached, gunicorn servers.

These tests start real processes (gunicorn, memcached) against a real PostgreSQL server, so they
run only in the PostgreSQL run of `make test` (scripts/with_postgres.py); on SQLite they are
skipped with the reason. Their bounded forms take a few minutes together.
"""

import uuid
from pathlib import Path

import pytest

from tests.production import harness
from tests.production.marks import SERVER_URL


def pytest_configure(config):
    """Register the marker (also listed in pyproject.toml, so `-m production` selects them)."""
    config.addinivalue_line(
        "markers", "production: starts gunicorn, memcached and PostgreSQL processes (PostgreSQL run only)"
    )


class Site:
    """A fresh database with the shipped courses and accounts, and the settings of its servers."""

    def __init__(
        self, tmp_path: Path, *, learners: int, finished: int = 0, scale: int = 0, admin: str | None = None
    ) -> None:
        self.name = f"tamkeen_prod_{uuid.uuid4().hex[:10]}"
        self.url = harness.create_database(SERVER_URL, self.name)
        self.instance = tmp_path / "instance"
        self.logs = tmp_path / "logs"
        self.learners = [f"load-{n:03d}" for n in range(1, learners + 1)]
        self.finished = [f"load-done-{n:03d}" for n in range(1, finished + 1)]
        harness.seed(self.url, self.instance, learners=learners, finished=finished, scale=scale, admin=admin)
        self.servers: list[harness.Gunicorn] = []

    @property
    def storage(self) -> Path:
        """Where the certificate PDFs are stored (the default: the instance folder)."""
        return self.instance / "certificates"

    def env(self, **settings: str) -> dict[str, str]:
        """The environment of an app server of this site."""
        return harness.server_environment(self.url, self.instance, **settings)

    def server(self, env: dict[str, str], *, workers: int = 2, threads: int = 1) -> harness.Gunicorn:
        """Start a gunicorn server (stopped at the end of the test)."""
        server = harness.Gunicorn(env, workers=workers, threads=threads, log_dir=self.logs)
        self.servers.append(server)
        return server.start()

    def close(self) -> None:
        """Stop the servers and drop the database."""
        for server in self.servers:
            server.stop()
        harness.drop_database(SERVER_URL, self.name)


@pytest.fixture
def make_site(tmp_path):
    """Factory: make_site(learners=N, finished=M) gives a seeded database; cleaned up afterwards."""
    sites: list[Site] = []

    def _make(*, learners: int = 3, finished: int = 0, scale: int = 0, admin: str | None = None) -> Site:
        site = Site(
            tmp_path / f"site{len(sites)}", learners=learners, finished=finished, scale=scale, admin=admin
        )
        sites.append(site)
        return site

    yield _make
    for site in sites:
        site.close()


@pytest.fixture
def memcached():
    """A memcached server on a free loopback port."""
    with harness.Memcached() as server:
        yield server


@pytest.fixture
def postgres():
    """Stop/start/restart control of the throwaway PostgreSQL cluster."""
    control = harness.PostgresControl.from_environment()
    if control is None:
        pytest.skip("LMS_TEST_PG_DATADIR / LMS_TEST_PG_CTL are not set: run under scripts/with_postgres.py")
    return control
