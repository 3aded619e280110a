"""A bounded load test: 24 simulated learners against gunicorn on PostgreSQL, nothing lost.

The learners sign in, browse, read lessons, mark them done, take quizzes (retaking up to the
maximum) and download certificates, some clicks twice at once. Afterwards every acknowledged
write is looked up in the database and the invariants are checked. The latency targets (p95 under
500 ms for reads, 800 ms for writes) are asserted unless the machine was already busy with other
work when the run started (a 1-minute load average above twice the cores): then, once everything
else has been checked, the test reports itself skipped with that reason (never a silent pass). The
figures are printed either way (`pytest -s` shows them).
"""

import os

import pytest

from tests.production import loadgen
from tests.production.marks import production

pytestmark = production

SECONDS = float(os.environ.get("LMS_LOAD_SECONDS", "40"))
READ_P95_MS, WRITE_P95_MS = 500, 800


def test_mixed_load_loses_nothing_and_meets_the_latency_targets(make_site, memcached, capsys):
    site = make_site(learners=20, finished=4)
    env = site.env(
        RATELIMIT_STORAGE_URI=memcached.uri,
        # Every simulated learner comes from 127.0.0.1, so they share one client address.
        LIMIT_SIGNIN_PER_CLIENT="10000 per minute",
    )
    server = site.server(env, workers=2, threads=4)
    assert loadgen.certificates_available(server.url, site.finished[0]), (
        "the certificate request page must answer"
    )
    plan = loadgen.LoadPlan(
        servers=[server.url],
        learners=site.learners,
        finished=site.finished,
        duration=SECONDS,
        max_requests=20_000,
        think=(0.2, 1.0),
        certificates=True,
    )
    load_before = os.getloadavg()[0]

    outcome = loadgen.run_load(plan)

    with capsys.disabled():
        print(
            f"\nload test ({SECONDS:.0f} s, {len(site.learners) + len(site.finished)} learners, 2 workers x 4 threads)"
        )
        print(loadgen.report(outcome))
    assert not outcome.stats.server_errors(), outcome.stats.server_errors()[:5]
    assert all(s.status != 503 for s in outcome.stats.of())
    assert outcome.no_answer == 0
    assert not outcome.unexpected, outcome.unexpected[:10]
    written = outcome.ledger.count()
    assert written["enrolment"] and written["progress"] and written["attempt"], written
    assert written["certificate"] == len(site.finished), written
    assert loadgen.check_ledger(site.url, outcome.ledger, site.storage) == []
    assert loadgen.check_invariants(site.url) == []

    reads, writes = outcome.stats.summary("read"), outcome.stats.summary("write")
    if load_before > 2 * (os.cpu_count() or 1):  # other work on the machine, not this load
        pytest.skip(
            f"nothing lost, but the latency targets were not judged: the load average was {load_before:.1f} "
            f"before the run (over twice the {os.cpu_count()} cores); reads p95 {reads['p95_ms']:.0f} ms, "
            f"writes p95 {writes['p95_ms']:.0f} ms"
        )
    assert reads["p95_ms"] < READ_P95_MS, reads
    assert writes["p95_ms"] < WRITE_P95_MS, writes
