"""`core.db.insert_ignore`: INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa

from lms.accounts.models import Organisation
from lms.core.db import insert_ignore, utcnow
from tests.conftest import IS_POSTGRES

TABLE = Organisation.__table__
KEYS = ["name", "country"]


def _row(name: str, country: str = "LB", join_code: str | None = None) -> dict:
    return {"name": name, "country": country, "join_code": join_code, "created_at": utcnow()}


def _rows(db) -> list[tuple]:
    return db.session.execute(
        sa.select(TABLE.c.name, TABLE.c.country, TABLE.c.join_code)
        .where(TABLE.c.name.like("Ignore %"))
        .order_by(TABLE.c.name, TABLE.c.country)
    ).all()


def test_runs_on_the_engine_under_test(db):
    assert db.session.get_bind().dialect.name == ("postgresql" if IS_POSTGRES else "sqlite")


def test_a_clashing_row_is_skipped_and_the_first_one_kept(db):
    def insert(join_code: str) -> list:
        statement = insert_ignore(db.session, TABLE, _row("Ignore One", join_code=join_code), KEYS)
        return db.session.execute(statement.returning(TABLE.c.join_code)).all()

    assert insert("FIRST") == [("FIRST",)] and insert("SECOND") == []
    assert _rows(db) == [("Ignore One", "LB", "FIRST")]


def test_several_rows_insert_only_the_new_ones(db):
    db.session.execute(insert_ignore(db.session, TABLE, _row("Ignore One"), KEYS))
    rows = [_row("Ignore One"), _row("Ignore One", "TR"), _row("Ignore Two")]
    inserted = db.session.execute(
        insert_ignore(db.session, TABLE, rows, KEYS).returning(TABLE.c.name, TABLE.c.country)
    ).all()
    assert sorted(inserted) == [("Ignore One", "TR"), ("Ignore Two", "LB")]
    assert _rows(db) == [("Ignore One", "LB", None), ("Ignore One", "TR", None), ("Ignore Two", "LB", None)]


def test_other_constraint_violations_still_raise(db):
    # Only the named columns are ignored: a clash on another unique column is an error.
    db.session.execute(insert_ignore(db.session, TABLE, _row("Ignore One", join_code="SAME"), KEYS))
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(insert_ignore(db.session, TABLE, _row("Ignore Two", join_code="SAME"), KEYS))
    assert _rows(db) == [("Ignore One", "LB", "SAME")]
