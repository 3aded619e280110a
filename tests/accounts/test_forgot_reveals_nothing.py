"""/forgot answers alike, in the same time, known address or not, mail server up or down."""

import logging
import socket
import threading
import time

import pytest
import sqlalchemy as sa

from lms.accounts.models import PasswordResetToken
from lms.extensions import jobs

STALL = 1.0  # seconds the broken mail server keeps a connection before dropping it


@pytest.fixture
def broken_mail_server(app, monkeypatch):
    """An SMTP address whose server accepts, says nothing for a while, then hangs up."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except OSError:
                continue
            time.sleep(STALL)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "MAIL_TRANSPORT", "smtp")
    monkeypatch.setitem(app.extensions["mail"].__dict__, "server", "127.0.0.1")
    monkeypatch.setitem(app.extensions["mail"].__dict__, "port", listener.getsockname()[1])
    yield
    stop.set()
    thread.join(timeout=2)
    listener.close()


def _ask(client, token, email):
    started = time.perf_counter()
    response = client.post("/forgot", data={"csrf_token": token, "email": email})
    elapsed = time.perf_counter() - started
    return response, elapsed


def test_the_answer_is_the_same_and_as_quick_with_the_mail_server_down(
    app, client, make_user, db, broken_mail_server, caplog
):
    user = make_user(username="has-mail", email="known@example.org")
    token = client.csrf_token("/forgot")
    _ask(client, token, "warm@example.org")[0].close()
    known, known_time = _ask(client, token, "known@example.org")
    unknown, unknown_time = _ask(client, token, "unknown@example.org")
    # Answered before any mail is tried: neither waits for the stalled server.
    assert known_time < STALL / 2 and unknown_time < STALL / 2, (known_time, unknown_time)
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known.get_data() == unknown.get_data()
    assert len(known.headers.getlist("Set-Cookie")) == len(unknown.headers.getlist("Set-Cookie"))
    unknown.close()
    # Once the answer is out, the link is made and its mail queued (for the known address only).
    known.close()
    assert db.session.scalar(sa.select(sa.func.count()).where(PasswordResetToken.user_id == user.id)) == 1
    assert len(jobs.state(app).huey) == 1
    # The worker tries the stalled server, fails, and keeps the mail for a later retry.
    with caplog.at_level(logging.INFO):
        assert jobs.state(app).run_pending() == 1
    assert len(jobs.state(app).huey.scheduled()) == 1
    assert "known@example.org" not in caplog.text


def test_with_nothing_listening_the_answer_is_the_same(app, client, make_user, monkeypatch, caplog):
    make_user(username="refused", email="refused@example.org")
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens there: connection refused
    monkeypatch.setitem(app.config, "MAIL_TRANSPORT", "smtp")
    monkeypatch.setitem(app.extensions["mail"].__dict__, "server", "127.0.0.1")
    monkeypatch.setitem(app.extensions["mail"].__dict__, "port", port)
    token = client.csrf_token("/forgot")
    known, _t = _ask(client, token, "refused@example.org")
    unknown, _t = _ask(client, token, "nobody@example.org")
    known.close()
    unknown.close()
    assert known.status_code == unknown.status_code == 303 and known.get_data() == unknown.get_data()
    assert len(jobs.state(app).huey) == 1  # one mail queued: for the known address
    with caplog.at_level(logging.INFO):
        assert jobs.state(app).run_pending() == 1
    assert len(jobs.state(app).huey.scheduled()) == 1  # refused: retried later, not lost
    assert "refused@example.org" not in caplog.text


def test_a_silent_mail_server_is_given_up_after_mail_timeout(app, client, make_user, monkeypatch, caplog):
    make_user(username="silent", email="silent@example.org")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # connections are queued, never answered
    monkeypatch.setitem(app.config, "MAIL_TRANSPORT", "smtp")
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.5)
    monkeypatch.setitem(app.extensions["mail"].__dict__, "server", "127.0.0.1")
    monkeypatch.setitem(app.extensions["mail"].__dict__, "port", listener.getsockname()[1])
    try:
        response, _t = _ask(client, client.csrf_token("/forgot"), "silent@example.org")
        response.close()
        started = time.perf_counter()
        assert jobs.state(app).run_pending() == 1  # the worker's thread is free again soon
        assert time.perf_counter() - started < 5
        assert len(jobs.state(app).huey.scheduled()) == 1
    finally:
        listener.close()
