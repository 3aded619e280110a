"""Migrations: upgrade an empty database, no drift against the models, downgrade to base."""

import os
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import check, downgrade, upgrade

from config import TestConfig
from lms.app import create_app
from lms.extensions import db
from tests.conftest import IS_POSTGRES


@pytest.fixture
def empty_database_url(tmp_path):
    """A new, empty database on the engine under test."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    base_url = sa.make_url(os.environ["LMS_TEST_DATABASE_URL"])
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_upgrade_check_and_downgrade(empty_database_url, tmp_path):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url, INSTANCE_PATH=str(tmp_path))
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"users", "organisations", "memberships", "user_sessions", "statements"} <= tables
        check()  # raises if the models and the migrations disagree
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_migration_files_are_date_prefixed_and_reversible():
    versions = os.path.join(os.path.dirname(__file__), "..", "migrations", "versions")
    files = [f for f in os.listdir(versions) if f.endswith(".py")]
    assert files
    for name in files:
        assert name[:8].isdigit() and name[8] == "_", name
        with open(os.path.join(versions, name), encoding="utf-8") as handle:
            text = handle.read()
        assert "def downgrade" in text and "pass\n\n\n" not in text.split("def downgrade")[1][:60], name
