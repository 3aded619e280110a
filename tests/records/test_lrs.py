"""Statements reach a real learning record store (Ralph's own server), and nothing is ever lost."""

import http.server
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.core.db import utcnow
from lms.courses import services as courses
from lms.records import sender
from lms.records import services as records
from lms.records.models import Statement
from tests.records import ralph_server
from tests.records.test_context import write_course


@pytest.fixture(scope="module")
def ralph(tmp_path_factory):
    server = ralph_server.start(tmp_path_factory.mktemp("ralph"))
    yield server
    server.stop()


def lrs_at(url: str, **kw) -> sender.Lrs:
    settings = {
        "username": ralph_server.USERNAME,
        "password": ralph_server.PASSWORD,
        "timeout": 5,
        "batch_size": 50,
        "retry_seconds": 30,
        "max_retry_seconds": 3600,
    }
    return sender.Lrs(url=url, **{**settings, **kw})


@pytest.fixture
def configured(app, ralph, monkeypatch):
    """The app's settings point at the Ralph server."""
    for key, value in {
        "XAPI_LRS_URL": ralph.url + "/",
        "XAPI_LRS_USERNAME": ralph_server.USERNAME,
        "XAPI_LRS_PASSWORD": ralph_server.PASSWORD,
        "XAPI_LRS_BATCH_SIZE": 3,
    }.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def recorded(db, make_user):
    """Five statements of a learner, waiting in the outbox (older rows from other tests sent)."""
    db.session.execute(sa.update(Statement).values(exported_at=utcnow()))
    user = make_user()
    rows = [records.record(user, "completed", f"https://tamkeen.test/courses/lrs/{n}") for n in range(5)]
    return [row.id for row in rows]


def unsent(db):
    return db.session.scalars(sa.select(Statement).where(Statement.exported_at.is_(None))).all()


def ids_in(ralph) -> list[str]:
    return [s["id"] for s in ralph.statements()]


def test_ralph_fs_backend_writes_one_file_once(tmp_path):
    # Why tests/records/ralph_server.py makes Ralph's server append (drop the patch when this fails).
    from ralph.backends.lrs.fs import FSLRSBackend, FSLRSBackendSettings
    from ralph.exceptions import BackendException

    backend = FSLRSBackend(FSLRSBackendSettings(DEFAULT_DIRECTORY_PATH=tmp_path))
    backend.write([{"id": "a"}])
    with pytest.raises(BackendException):
        backend.write([{"id": "b"}])


def test_sent_statements_arrive_in_the_lrs_with_their_context(db, tmp_path, make_user, ralph, configured):
    courses.import_path(write_course(tmp_path))
    course = courses.get_course("context-course")
    db.session.execute(sa.update(Statement).values(exported_at=utcnow()))
    user = make_user()
    courses.enroll(user, course)
    module = courses.load_outline(course)[0]
    for lesson in module.lessons:
        courses.record_lesson_done(user, course, lesson)
    expected = {row.id: row.body for row in unsent(db)}
    assert len(expected) == 3
    outcome = sender.send_due()
    assert (outcome.sent, outcome.failed) == (3, 0)
    assert unsent(db) == []
    in_lrs = {s["id"]: s for s in ralph.statements() if s["id"] in expected}
    assert set(in_lrs) == set(expected)
    for statement_id, body in expected.items():
        got = in_lrs[statement_id]
        for part in ("actor", "verb", "object", "context", "result"):
            assert got.get(part) == body.get(part), part


def test_batches_resume_where_a_stopped_worker_left_off(db, ralph, configured, recorded, runner):
    sender.send_due()  # one batch of three, then the worker "stops"
    assert len(unsent(db)) == 2
    result = runner.invoke(args=["records", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 statements" in result.output
    assert unsent(db) == []
    assert ids_in(ralph).count(recorded[0]) == 1
    assert set(recorded) <= set(ids_in(ralph))


def test_a_down_lrs_loses_nothing_and_is_retried_with_backoff(db, ralph, recorded):
    down = lrs_at(f"http://127.0.0.1:{ralph_server.free_port()}/xAPI")
    now = utcnow()
    outcome = sender.send_due(down, now=now)
    assert (outcome.sent, outcome.failed) == (0, 5)
    rows = unsent(db)
    assert len(rows) == 5
    assert all(r.send_attempts == 1 and r.next_send_at == now + timedelta(seconds=30) for r in rows)
    assert all("Connection refused" in r.last_error or "URLError" in r.last_error for r in rows)
    # Not due yet: nothing is tried again before its time.
    assert sender.send_due(down, now=now + timedelta(seconds=10)).attempted == 0
    sender.send_due(down, now=now + timedelta(seconds=31))
    assert {r.send_attempts for r in unsent(db)} == {2}
    assert {r.next_send_at for r in unsent(db)} == {now + timedelta(seconds=31 + 60)}
    # The LRS is back: everything arrives.
    assert sender.send_due(lrs_at(ralph.url), now=now + timedelta(hours=1)).sent == 5
    assert set(recorded) <= set(ids_in(ralph))
    assert all(
        r.last_error is None
        for r in db.session.scalars(sa.select(Statement).where(Statement.id.in_(recorded)))
    )


def test_a_slow_lrs_times_out_and_the_statements_wait(db, recorded):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        slow = lrs_at(f"http://127.0.0.1:{silent.getsockname()[1]}/xAPI", timeout=0.5)
        started = time.monotonic()
        outcome = sender.send_due(slow)
    assert time.monotonic() - started < 5
    assert outcome.failed == 5
    assert all("timed out" in r.last_error for r in unsent(db))


class _Failing(http.server.BaseHTTPRequestHandler):
    status = 503
    seen: list

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.seen.append(self.headers.get("Authorization"))
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(self.status)
        self.end_headers()
        self.wfile.write(b"try later")

    def log_message(self, *args):
        pass


def test_an_error_answer_is_recorded_and_retried(db, ralph, recorded):
    _Failing.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        outcome = sender.send_due(lrs_at(f"http://127.0.0.1:{server.server_address[1]}/xAPI"))
    finally:
        server.shutdown()
        server.server_close()
    assert outcome.failed == 5 and len(_Failing.seen) == 1  # one batch, basic auth sent
    assert _Failing.seen[0].startswith("Basic ")
    assert {r.last_error for r in unsent(db)} == {"HTTP 503: try later"}
    # Wrong credentials: Ralph answers 401; recorded, retried later, nothing lost.
    later = utcnow() + timedelta(minutes=5)
    assert sender.send_due(lrs_at(ralph.url, password="wrong"), now=later).failed == 5
    assert all(r.last_error.startswith("HTTP 401") and r.send_attempts == 2 for r in unsent(db))
    assert sender.send_due(lrs_at(ralph.url), now=later + timedelta(hours=1)).sent == 5


def test_a_statement_the_lrs_refuses_does_not_hold_back_the_others(db, ralph, recorded):
    # The LRS already holds a different statement under one of our ids: it answers 409.
    clash = db.session.get(Statement, recorded[2])
    other = {**clash.body, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    sender.post(lrs_at(ralph.url), [other])
    outcome = sender.send_due(lrs_at(ralph.url))
    assert (outcome.sent, outcome.failed) == (4, 1)
    (left,) = unsent(db)
    assert left.id == recorded[2] and left.last_error.startswith("HTTP 409")


def test_resending_a_date_range_is_harmless(db, ralph, configured, recorded, runner):
    assert runner.invoke(args=["records", "send", "--once"]).exit_code == 0
    today = utcnow().date().isoformat()
    result = runner.invoke(args=["records", "resend", "--since", today, "--until", today])
    assert result.exit_code == 0, result.output
    assert len(unsent(db)) >= 5
    result = runner.invoke(args=["records", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert unsent(db) == []
    held = ids_in(ralph)
    assert all(held.count(statement_id) == 1 for statement_id in recorded)


def test_resend_refuses_bad_dates_and_changes_nothing(db, configured, recorded, runner):
    result = runner.invoke(args=["records", "resend", "--since", "2026-13-01", "--until", "2026-12-01"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output
    result = runner.invoke(args=["records", "resend", "--since", "2026-12-02", "--until", "2026-12-01"])
    assert result.exit_code != 0 and "before" in result.output
    assert len(unsent(db)) == 5


def test_status_and_send_explain_a_missing_lrs(db, recorded, runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "XAPI_LRS_URL", None)
    result = runner.invoke(args=["records", "send", "--once"])
    assert result.exit_code != 0 and "LMS_XAPI_LRS_URL is not set" in result.output
    result = runner.invoke(args=["records", "status"])
    assert result.exit_code == 0 and "waiting: 5" in result.output


def test_backoff_doubles_up_to_its_cap():
    lrs = lrs_at("http://lrs.test", retry_seconds=30, max_retry_seconds=600)
    assert [sender.backoff(lrs, n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def test_pages_never_wait_for_the_lrs(client, db, tmp_path, make_user, auth, app, monkeypatch):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent.settimeout(0.2)
        monkeypatch.setitem(app.config, "XAPI_LRS_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/xAPI")
        courses.import_path(write_course(tmp_path))
        make_user(username="reader")
        auth.login("reader")
        started = time.monotonic()
        client.post_form("/courses/context-course/enroll", token_from="/courses/context-course/")
        lesson = "/courses/context-course/mechanisms/shadow-reports"
        assert client.get(lesson).status_code == 200
        assert client.post_form(f"{lesson}/done", token_from=lesson).status_code == 303
        assert time.monotonic() - started < 5
        with pytest.raises(TimeoutError):
            silent.accept()  # no page so much as connected to the LRS
    assert len(unsent(db)) >= 3  # the records wait in the outbox


def test_the_deploy_guide_and_unit_describe_the_worker():
    root = Path(__file__).resolve().parents[2]
    unit = (root / "deploy" / "tamkeen-records.service").read_text(encoding="utf-8")
    assert "flask records send" in unit and "Restart=" in unit
    guide = (root / "docs" / "deploy.md").read_text(encoding="utf-8")
    for text in ("LMS_XAPI_LRS_URL", "flask records send", "flask records resend", "tamkeen-records.service"):
        assert text in guide


def test_the_worker_survives_a_kill_and_an_lrs_outage_and_stops_cleanly(tmp_path, ralph):
    """`flask records send` as a real process: down LRS, killed, restarted, then stopped with TERM."""
    import os
    import signal
    import subprocess
    import sys

    from config import TestConfig
    from lms.app import create_app
    from lms.extensions import db as app_db

    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp_path / "instance"))
    with app.app_context():
        app_db.create_all()
        ids = [records.record(str(n) * 8, "completed", f"https://tamkeen.test/w/{n}").id for n in range(12)]
        app_db.session.commit()

    def count_unsent() -> int:
        with app.app_context():
            app_db.session.remove()
            return app_db.session.scalar(
                sa.select(sa.func.count()).select_from(Statement).where(Statement.exported_at.is_(None))
            )

    def worker(lrs_url: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "LMS_DATABASE_URL": url,
            "LMS_SECRET_KEY": "worker-test-not-secret",
            "LMS_INSTANCE_PATH": str(tmp_path / "instance"),
            "LMS_XAPI_LRS_URL": lrs_url,
            "LMS_XAPI_LRS_USERNAME": ralph_server.USERNAME,
            "LMS_XAPI_LRS_PASSWORD": ralph_server.PASSWORD,
            "LMS_XAPI_LRS_BATCH_SIZE": "5",
            "LMS_XAPI_LRS_RETRY_SECONDS": "1",
        }
        flask = Path(sys.executable).parent / "flask"
        return subprocess.Popen(
            [str(flask), "records", "send", "--idle", "0.2"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_for(predicate, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.2)
        return False

    def tried() -> bool:
        with app.app_context():
            app_db.session.remove()
            return bool(app_db.session.scalar(sa.select(sa.func.min(Statement.send_attempts))))

    try:
        down = worker(f"http://127.0.0.1:{ralph_server.free_port()}/xAPI")
        try:
            assert wait_for(tried), "the worker never tried"
        finally:
            down.kill()  # no clean shutdown: a crash
            down.communicate(timeout=10)
        assert count_unsent() == 12
        up = worker(ralph.url)
        try:
            assert wait_for(lambda: count_unsent() == 0), "the restarted worker did not send everything"
        finally:
            up.send_signal(signal.SIGTERM)
            output, _ = up.communicate(timeout=30)
        assert up.returncode == 0, output
        assert "Sent 12 statements" in output
        assert set(ids) <= set(ids_in(ralph))
    finally:
        with app.app_context():
            app_db.session.remove()
            app_db.engine.dispose()
