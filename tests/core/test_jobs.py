"""Background jobs: queued by requests, run by the worker, retried, never lost, never silent."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from config import TestConfig
from lms.app import create_app
from lms.core.jobs import DeferredJob, FailedJob
from lms.extensions import db as _db
from lms.extensions import jobs

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")
ATTEMPTS = []


@jobs.job(retries=2, retry_delay=1)
def always_fails(note: str) -> None:
    """A job that fails every time (for the retry and dead-letter tests)."""
    ATTEMPTS.append(note)
    raise RuntimeError(f"failing on purpose: {note}")


def _own_db(tmp_path) -> str:
    # These apps create and drop their schema: never on the suite's shared (PostgreSQL) database.
    # The queue's storage is what they test, SQLite file or Redis, on either run.
    return f"sqlite:///{tmp_path / 'app.sqlite3'}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A real redis-server on 127.0.0.1 with an append-only file, in a temporary folder."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.process = folder, _free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
            + ["--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _attempt in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "redis"])
def queue_app(request, tmp_path):
    """An app whose queue is a SQLite file or a real Redis server, on the test database."""
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    if request.param == "redis":
        url = request.getfixturevalue("redis_server").url
    app = create_app(
        TestConfig,
        JOBS_URL=url,
        INSTANCE_PATH=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=_own_db(tmp_path),
    )
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def test_mail_is_queued_by_the_request_and_sent_by_the_worker(queue_app):
    from lms.accounts import services

    queue_app.extensions["tamkeen-outbox"] = []
    services.send_mail("a@example.org", "Subject", "Body")
    assert queue_app.extensions["tamkeen-outbox"] == []  # nothing sent inside the request
    assert len(jobs.state().huey) == 1
    assert jobs.state().run_pending() == 1
    assert queue_app.extensions["tamkeen-outbox"] == [
        {
            "to": "a@example.org",
            "subject": "Subject",
            "body": "Body",
            "sender": "Tamkeen <no-reply@localhost>",
        }
    ]


def test_a_failing_job_retries_with_backoff_then_is_listed_as_failed(queue_app):
    ATTEMPTS.clear()
    huey = jobs.state().huey
    always_fails.enqueue("n1")
    jobs.state().run_pending()
    delays = []
    for _retry in range(2):
        (task,) = huey.scheduled()
        delays.append(task.retry_delay)
        assert not _db.session.scalars(_db.select(FailedJob)).all()  # not failed while retries remain
        _db.session.rollback()  # the worker's own session writes next (one in-memory connection)
        for due in huey.read_schedule(task.eta + timedelta(seconds=1)):
            huey.execute(due, timestamp=due.eta)
    assert ATTEMPTS == ["n1", "n1", "n1"]
    assert delays == [2, 4]  # the delay doubles at each retry (1 s, then 2 s, then 4 s)
    (failed,) = _db.session.scalars(_db.select(FailedJob)).all()
    assert failed.name.endswith("always_fails") and json.loads(failed.arguments) == ["n1"]
    assert "failing on purpose" in failed.error

    runner = queue_app.test_cli_runner()
    listing = runner.invoke(args=["jobs", "failed"])
    assert "always_fails" in listing.output and "failing on purpose" in listing.output
    retried = runner.invoke(args=["jobs", "retry", str(failed.id)])
    assert retried.exit_code == 0, retried.output
    assert len(huey) == 1 and not _db.session.scalars(_db.select(FailedJob)).all()
    assert runner.invoke(args=["jobs", "retry", "999999"]).exit_code != 0


def test_a_queue_that_is_down_keeps_the_job_in_the_database(tmp_path):
    from lms.accounts import services

    server = RedisServer(tmp_path)  # not started yet: the queue is down
    app = create_app(
        TestConfig,
        JOBS_URL=server.url,
        INSTANCE_PATH=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=_own_db(tmp_path),
    )
    with app.app_context():
        _db.create_all()
        try:
            app.extensions["tamkeen-outbox"] = []
            services.send_mail("b@example.org", "Subject", "Body")
            _db.session.commit()
            (kept,) = _db.session.scalars(_db.select(DeferredJob)).all()
            assert kept.name.endswith("deliver_mail")

            server.start()
            assert jobs.state().move_deferred() == 1
            _db.session.commit()
            assert not _db.session.scalars(_db.select(DeferredJob)).all()
            assert jobs.state().run_pending() == 1
            assert app.extensions["tamkeen-outbox"][0]["to"] == "b@example.org"
        finally:
            server.stop()
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


def test_the_reset_page_answers_while_the_queue_is_down(tmp_path):
    from tests.conftest import Client

    server = RedisServer(tmp_path)  # never started
    app = create_app(
        TestConfig,
        JOBS_URL=server.url,
        INSTANCE_PATH=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=_own_db(tmp_path),
    )
    app.test_client_class = Client
    with app.app_context():
        _db.create_all()
        try:
            from lms.accounts import services
            from lms.accounts.models import Role

            services.register(
                "queued", "correct horse battery staple", email="q@example.org", role=Role.LEARNER
            )
            _db.session.commit()
            client = app.test_client()
            response = client.post_form("/forgot", {"email": "q@example.org"}, token_from="/forgot")
            assert response.status_code == 303
            response.close()  # the address is looked up once the answer is sent
            assert len(_db.session.scalars(_db.select(DeferredJob)).all()) == 1
        finally:
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


def test_a_redis_restart_loses_no_queued_job(tmp_path, redis_server):
    app = create_app(
        TestConfig,
        JOBS_URL=redis_server.url,
        INSTANCE_PATH=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=_own_db(tmp_path),
    )
    with app.app_context():
        from lms.accounts import services

        app.extensions["tamkeen-outbox"] = []
        services.send_mail("c@example.org", "Subject", "Body")
        redis_server.stop()
        redis_server.start()
        assert len(jobs.state().huey) == 1
        assert jobs.state().run_pending() == 1
        assert app.extensions["tamkeen-outbox"][0]["to"] == "c@example.org"


@pytest.mark.slow
def test_flask_jobs_worker_runs_queued_jobs(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "FLASK_"))}
    env.update(
        FLASK_APP="wsgi",
        FLASK_SKIP_DOTENV="1",
        LMS_SECRET_KEY="worker-test",
        LMS_INSTANCE_PATH=str(tmp_path),
        LMS_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        LMS_JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        LMS_MAIL_TRANSPORT="file",
    )
    app = create_app(
        TestConfig,
        JOBS_URL=env["LMS_JOBS_URL"],
        INSTANCE_PATH=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=env["LMS_DATABASE_URL"],
    )
    with app.app_context():
        from lms.accounts import services

        services.send_mail("worker@example.org", "From the worker", "Body")
        _db.engine.dispose()
    output = (tmp_path / "worker.out").open("wb")
    worker = subprocess.Popen(
        [FLASK, "jobs", "worker", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        log = tmp_path / "mail.log"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (log.exists() and "worker@example.org" in log.read_text()):
            time.sleep(0.2)
        assert log.exists() and "To: worker@example.org" in log.read_text(), (
            tmp_path / "worker.out"
        ).read_text()
    finally:
        worker.terminate()
        worker.wait(20)
        output.close()


def test_the_nightly_clean_up_is_a_periodic_job_that_removes_spent_rows(app, db, make_user):
    from datetime import datetime, timedelta

    from lms.accounts import services
    from lms.accounts.models import PasswordResetToken
    from lms.core.db import utcnow

    due_at_night = jobs.state(app).huey.read_periodic(datetime(2026, 12, 7, 3, 17))  # noqa: DTZ001 - Huey's UTC
    assert any(task.name.endswith("clean_up_expired") for task in due_at_night)
    due_at_noon = jobs.state(app).huey.read_periodic(datetime(2026, 12, 7, 12, 17))  # noqa: DTZ001
    assert not any(task.name.endswith("clean_up_expired") for task in due_at_noon)
    user = make_user(username="spent-tokens")
    old = utcnow() - timedelta(hours=2)
    db.session.add(PasswordResetToken(token_hash="a" * 64, user_id=user.id, created_at=old, expires_at=old))
    db.session.add(
        PasswordResetToken(token_hash="b" * 64, user_id=user.id, expires_at=utcnow() + timedelta(hours=1))
    )
    db.session.flush()
    services.clean_up_expired()
    left = db.session.scalars(
        db.select(PasswordResetToken.token_hash).where(PasswordResetToken.user_id == user.id)
    )
    assert list(left) == ["b" * 64]


def test_jobs_keep_their_queue_names_when_their_code_moves(app):
    """Jobs queued (or failed) before a deploy must still be found after it: names are stable."""
    queued = set(jobs.jobs)
    periodic = {job.name for job, _schedule in jobs.periodic}
    # The names these jobs had when they were first deployed; moving their code must not change them.
    assert {
        "lms.accounts.services.deliver_mail",
        "lms.cohorts.services.notify_cancelled",
        "lms.cohorts.services.notify_promoted",
        "lms.courses.handbook.render_handbook",
    } <= queued
    assert {
        "lms.accounts.services.clean_up_expired",
        "lms.cohorts.services.send_reminders",
        "lms.reports.services.refresh_report_facts_job",
    } <= periodic
