"""The documented backup (pg_dump -Fc) restores into a new database with every row."""

import subprocess
import sys

from tests.production import loadgen
from tests.production.harness import ROOT
from tests.production.marks import production

pytestmark = production


def test_a_dump_of_a_used_site_restores_with_every_row(make_site, memcached):
    site = make_site(learners=4, finished=2)
    server = site.server(site.env(RATELIMIT_STORAGE_URI=memcached.uri), workers=2)
    plan = loadgen.LoadPlan(
        servers=[server.url],
        learners=site.learners,
        finished=site.finished,
        duration=6,
        think=(0.05, 0.2),
        certificates=False,
    )
    outcome = loadgen.run_load(plan)
    assert outcome.ledger.count()["progress"] > 0  # there is learner data to lose

    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "backup_restore_check.py"), "--database", site.url],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "restore check: OK" in done.stdout


def test_the_check_fails_when_a_restore_would_miss_rows(make_site, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import backup_restore_check as check
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    site = make_site(learners=1)
    real = check.row_counts
    calls = []

    def lossy(url):
        counts = real(url)
        calls.append(url)
        if len(calls) == 2:  # the restored copy
            counts["users"] -= 1
        return counts

    monkeypatch.setattr(check, "row_counts", lossy)
    assert check.check(site.url) == ["users: 1 rows in the database, 0 restored"]
