"""The health check, and 503 with Retry-After while the database is down, with recovery."""

import sqlalchemy as sa

from config import TestConfig
from lms.app import create_app
from lms.extensions import db


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_database_outage_gives_503_and_recovers_without_restart(tmp_path):
    app = create_app(
        TestConfig,
        INSTANCE_PATH=str(tmp_path),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'outage.sqlite3'}",
        WTF_CSRF_ENABLED=False,
    )
    down = {"value": False}
    with app.app_context():
        db.create_all()
        engine = db.engine

        @sa.event.listens_for(engine, "do_connect")
        def _refuse(*_args):
            if down["value"]:
                raise sa.exc.OperationalError("connect", {}, Exception("could not connect to server"))

    client = app.test_client()
    assert client.get("/healthz").status_code == 200

    down["value"] = True
    with app.app_context():
        db.engine.dispose()  # drop pooled connections, as a database restart would
    health = client.get("/healthz")
    assert health.status_code == 503 and health.headers["Retry-After"]
    page = client.post("/login", data={"username": "someone", "password": "a long password"})
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "Traceback" not in page.get_data(as_text=True)

    down["value"] = False
    assert client.get("/healthz").status_code == 200
    assert (
        client.post("/login", data={"username": "someone", "password": "a long password"}).status_code == 200
    )
    with app.app_context():
        db.engine.dispose()
