"""`flask reports ...`: completions, statements, grant and revoke."""

import csv
import io
from datetime import UTC, datetime

import openpyxl
import sqlalchemy as sa

from lms.records import services as records
from lms.reports import exports, services
from lms.reports.filters import Scope
from lms.reports.models import ExportAudit


def last_audit(db):
    return db.session.scalars(sa.select(ExportAudit).order_by(ExportAudit.id.desc())).first()


def test_completions_to_csv_with_filters(runner, programme, db, tmp_path):
    out = tmp_path / "q1.csv"
    result = runner.invoke(
        args=[
            "reports",
            "completions",
            "--format",
            "csv",
            "--org",
            "Organisation B",
            "--since",
            "2025-01-01",
            "--until",
            "2025-03-31",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 3 rows" in result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert sorted(r["display_name"] for r in rows) == ["Bob", "Bob", "Carol"]
    entry = last_audit(db)
    assert entry.actor_id is None and entry.actor_name.startswith("cli")
    assert entry.filters["organisation"] == str(programme.org_b.id)
    assert entry.filters["since"] == "2025-01-01" and entry.row_count == 3


def test_completions_to_an_arabic_xlsx(runner, programme, tmp_path):
    out = tmp_path / "all.xlsx"
    result = runner.invoke(
        args=[
            "reports",
            "completions",
            "--format",
            "xlsx",
            "--course",
            "course-a",
            "--locale",
            "ar",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    assert sheet.sheet_view.rightToLeft
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == exports.COLUMNS and len(rows) == 5


def test_empty_results_give_a_header_only_file(runner, programme, tmp_path):
    out = tmp_path / "none.csv"
    result = runner.invoke(
        args=[
            "reports",
            "completions",
            "--format",
            "csv",
            "--status",
            "completed",
            "--since",
            "2030-01-01",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text("utf-8-sig").splitlines()
    assert lines == [",".join(f'"{column}"' for column in exports.COLUMNS)]  # every field quoted


def test_bad_options_are_refused(runner, programme, tmp_path):
    out = tmp_path / "x.csv"
    base = ["reports", "completions", "--format", "csv", "-o", str(out)]
    assert runner.invoke(args=[*base, "--since", "01/02/2025"]).exit_code != 0
    assert runner.invoke(args=[*base, "--org", "No Such NGO"]).exit_code != 0
    result = runner.invoke(args=[*base, "--course", "no-such-course"])
    assert result.exit_code != 0 and "no such course" in result.output.lower()
    assert runner.invoke(args=["reports", "completions", "--format", "pdf", "-o", str(out)]).exit_code != 0


def test_statements_to_json_lines(runner, programme, db, tmp_path):
    statement = records.record(programme.alice.public_id, "completed", "https://tamkeen.example/c")
    statement.stored_at = datetime(2025, 5, 5, tzinfo=UTC)
    db.session.flush()
    out = tmp_path / "x.jsonl"
    result = runner.invoke(
        args=["reports", "statements", "--since", "2025-05-01", "--until", "2025-05-31", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text("utf-8").splitlines()) == 1
    assert last_audit(db).kind == "statements"


def test_grant_and_revoke(runner, programme):
    manager = programme.manager_a
    result = runner.invoke(args=["reports", "grant", "manager-a", "--org", str(programme.org_c.id)])
    assert result.exit_code == 0, result.output
    assert services.scope_for(manager) == Scope(False, frozenset({programme.org_a.id, programme.org_c.id}))
    assert runner.invoke(args=["reports", "grant", "manager-a", "--programme"]).exit_code == 0
    assert services.scope_for(manager).is_programme
    assert runner.invoke(args=["reports", "revoke", "manager-a", "--programme"]).exit_code == 0
    assert runner.invoke(args=["reports", "revoke", "manager-a", "--org", "Organisation A"]).exit_code == 0
    assert services.scope_for(manager) == Scope(False, frozenset({programme.org_c.id}))
    refused = runner.invoke(args=["reports", "grant", "alice", "--programme"])
    assert refused.exit_code != 0 and "not a manager" in refused.output
    assert runner.invoke(args=["reports", "grant", "manager-a"]).exit_code != 0
