"""A first run without surprises: development settings picked up, commands listed, address shown."""

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from config import Config, DevelopmentConfig
from lms.app import create_app
from lms.core.logging import DropAddresses

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "FLASK_"))}
    env.update(extra)
    return env


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, message, None, None)


def test_banner_keeps_the_servers_address_and_scrubs_clients():
    banner = _record("WARNING: This is a development server.\n * Running on http://127.0.0.1:8080")
    DropAddresses().filter(banner)
    assert "http://127.0.0.1:8080" in banner.getMessage()
    access = _record('203.0.113.9 - - "GET / HTTP/1.1" 200 -')
    DropAddresses().filter(access)
    assert "203.0.113.9" not in access.getMessage()


def test_flask_help_lists_the_project_commands_without_a_secret_key():
    result = subprocess.run(
        [FLASK, "--help"],
        cwd=ROOT,
        env=_clean_env(FLASK_APP="wsgi", FLASK_SKIP_DOTENV="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for command in ("courses", "users", "certificates", "reports", "db"):
        assert f"\n  {command} " in result.stdout
    assert "LMS_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_app_without_a_secret_key_serves_no_page(tmp_path):
    app = create_app(Config, SECRET_KEY=None, SECRET_KEY_OPTIONAL=True, INSTANCE_PATH=str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert b"LMS_SECRET_KEY" in response.data


def test_development_uses_a_database_of_its_own():
    assert DevelopmentConfig.SQLALCHEMY_DATABASE_URI != Config.SQLALCHEMY_DATABASE_URI
    assert DevelopmentConfig.SQLALCHEMY_DATABASE_URI.endswith("development.sqlite3")


def test_flaskenv_written_by_make_run_gives_flask_commands_the_development_settings(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    subprocess.run(["make", "-s", ".flaskenv"], cwd=tmp_path, check=True, capture_output=True)
    assert "LMS_ENV=development" in (tmp_path / ".flaskenv").read_text()
    instance = tmp_path / "instance"
    result = subprocess.run(
        [FLASK, "db", "upgrade"],
        cwd=tmp_path,
        env=_clean_env(PYTHONPATH=str(ROOT), LMS_INSTANCE_PATH=str(instance)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (instance / "development.sqlite3").exists()
    assert not (instance / "tamkeen.sqlite3").exists()
