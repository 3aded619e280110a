"""The xAPI export: JSON lines for a date range, each validated with ralph's statement model."""

import io
import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

# An independent xAPI model: the ralph-malph package, a test dependency.
from ralph.models.xapi.base import statements as statements_model

from lms.records import services as records
from lms.reports import services
from lms.reports.filters import PROGRAMME
from lms.reports.models import ExportAudit


def stored(db, user, verb, activity, when, name=None, **kw):
    statement = records.record(user.public_id, verb, records.Activity(activity, "course", name or {}), **kw)
    statement.stored_at = when
    db.session.flush()
    return statement


@pytest.fixture
def learning_records(db, programme):
    quiz = "https://tamkeen.example/courses/course-a/quiz/module-1"
    stored(
        db,
        programme.alice,
        "registered",
        "https://tamkeen.example/courses/course-a",
        datetime(2025, 1, 15, tzinfo=UTC),
        name={"en": "Course A", "ar": "الدورة أ"},
    )
    stored(db, programme.alice, "attempted", quiz, datetime(2025, 1, 20, tzinfo=UTC))
    stored(
        db,
        programme.alice,
        "passed",
        quiz,
        datetime(2025, 1, 20, 10, tzinfo=UTC),
        result={"score": {"scaled": 0.8, "raw": 8, "min": 0, "max": 10}, "success": True, "completion": True},
    )
    stored(db, programme.carol, "failed", quiz, datetime(2025, 2, 1, tzinfo=UTC), result={"success": False})
    stored(
        db,
        programme.erin,
        "completed",
        "https://tamkeen.example/courses/course-b",
        datetime(2025, 3, 1, tzinfo=UTC),
    )


def export(scope, since, until, actor=None) -> list[dict]:
    out = io.BytesIO()
    count = services.export_statements(actor, scope, since, until, out)
    lines = out.getvalue().decode("utf-8").splitlines()
    assert len(lines) == count
    return [json.loads(line) for line in lines]


def test_every_exported_statement_is_valid_xapi(db, learning_records):
    statements = export(PROGRAMME, date(2025, 1, 1), date(2025, 12, 31))
    assert len(statements) == 5
    for statement in statements:
        statements_model.BaseXapiStatement.model_validate(statement)
    assert [s["verb"]["display"]["en-US"] for s in statements] == [
        "registered",
        "attempted",
        "passed",
        "failed",
        "completed",
    ]
    assert statements[0]["object"]["definition"]["name"]["ar"] == "الدورة أ"


def test_the_date_range_includes_both_days(db, learning_records):
    assert len(export(PROGRAMME, date(2025, 1, 20), date(2025, 2, 1))) == 3
    assert export(PROGRAMME, date(2024, 1, 1), date(2024, 12, 31)) == []


def test_a_manager_exports_only_their_learners_records(db, programme, learning_records):
    scope_a = services.scope_for(programme.manager_a)
    actors = {s["actor"]["account"]["name"] for s in export(scope_a, date(2025, 1, 1), date(2025, 12, 31))}
    assert actors == {programme.alice.public_id}
    scope_b = services.scope_for(programme.manager_b)
    actors = {s["actor"]["account"]["name"] for s in export(scope_b, date(2025, 1, 1), date(2025, 12, 31))}
    assert actors == {programme.carol.public_id}


def test_the_web_download_is_audited(client, auth, db, programme, learning_records):
    auth.login("manager-a")
    response = client.post_form(
        "/reports/statements.jsonl", {"since": "2025-01-01", "until": "2025-01-31"}, token_from="/reports/"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data().decode("utf-8").splitlines()
    assert len(lines) == 3
    entry = db.session.scalars(sa.select(ExportAudit).order_by(ExportAudit.id.desc())).first()
    assert (entry.actor_id, entry.kind, entry.format, entry.row_count) == (
        programme.manager_a.id,
        "statements",
        "jsonl",
        3,
    )
    assert entry.filters == {"scope": [programme.org_a.id], "since": "2025-01-01", "until": "2025-01-31"}


def test_the_independent_model_does_reject_a_broken_statement(db, learning_records):
    statement = export(PROGRAMME, date(2025, 1, 1), date(2025, 12, 31))[0]
    statement["verb"]["id"] = "not an IRI"
    with pytest.raises(ValueError):
        statements_model.BaseXapiStatement.model_validate(statement)
