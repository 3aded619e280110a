"""The scale-data generator, small: realistic shapes on both engines, and the reports work on them.

The full size (50,000 learners, about 2 million progress rows) is for the report on scale
(scripts/generate_scale_data.py --time-reports --explain), not for CI.
"""

import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

from scripts import generate_scale_data
from tests.production import harness, loadgen
from tests.production.marks import SERVER_URL, production

pytestmark = production

LEARNERS = 400


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_generated_programme_has_realistic_shapes_and_reports_run_on_it(tmp_path, engine):
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'scale.sqlite3'}"
        name = None
    else:
        name = f"tamkeen_scale_{tmp_path.name[-20:].replace('-', '_').lower()}"
        url = harness.create_database(SERVER_URL, name)
    try:
        done = subprocess.run(
            [
                sys.executable,
                str(harness.ROOT / "scripts" / "generate_scale_data.py"),
                "--database",
                url,
                "--instance",
                str(tmp_path / "instance"),
                "--learners",
                str(LEARNERS),
                "--organisations",
                "20",
                "--time-reports",
                "--explain",
            ],
            capture_output=True,
            text=True,
            cwd=harness.ROOT,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        # Every dashboard (before and after the facts were stored) and every export answered 200
        # and was timed: a report that did not prints "HTTP <status>" instead of its time.
        dashboards = [label for label, _path in generate_scale_data.DASHBOARDS]
        exports = [label for label, _path in generate_scale_data.EXPORTS]
        timed = re.findall(r"^  (.+?)\s+\d+ ms  \(", done.stdout, re.MULTILINE)
        assert timed == [*dashboards, *exports, *dashboards], done.stdout
        engine_ = sa.create_engine(url)
        try:
            with engine_.connect() as conn:
                count = {
                    table: conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: S608
                    for table in ("users", "organisations", "enrolments", "lesson_progress", "attempts")
                }
        finally:
            engine_.dispose()
        assert count["users"] == LEARNERS + 1  # and the admin who timed the reports
        assert count["organisations"] == 20
        assert 2.8 * LEARNERS < count["enrolments"] < 3.6 * LEARNERS  # 4 courses, each with p = 0.8
        assert (
            30 * LEARNERS < count["lesson_progress"] < 48 * LEARNERS
        )  # about 40 per learner: 2 M for 50,000
        assert count["attempts"] > count["enrolments"]
        assert loadgen.check_invariants(url) == []
    finally:
        if name:
            harness.drop_database(SERVER_URL, name)
