"""Faults under load: a worker killed, PostgreSQL stopped and started, certificate storage full.

Learners keep working while each fault happens. Expected every time: no 500 (a 503 with
Retry-After while the database is down is the right answer), recovery without restarting the
app, every acknowledged write in the database afterwards, the invariants intact, and no partial
file left in the certificate storage.
"""

import contextlib
import errno
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.production import loadgen
from tests.production.harness import Browser, Memcached, Stats, wait_until
from tests.production.marks import production

pytestmark = production

RECOVERY_SECONDS = 5.0


class BackgroundLoad:
    """Run the load generator in a thread while the test does harm."""

    def __init__(self, plan: loadgen.LoadPlan) -> None:
        self.plan = plan
        self.stats = Stats()
        self.outcome: loadgen.Outcome | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.outcome = loadgen.run_load(self.plan, self.stats)

    def __enter__(self) -> "BackgroundLoad":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.thread.join(self.plan.duration + 180)

    def requests_so_far(self) -> int:
        """How many requests were sent so far."""
        return len(self.stats.of())


def assert_nothing_lost(site, outcome: loadgen.Outcome) -> None:
    """No 500, every 503 with Retry-After, every acknowledged write stored, the invariants intact."""
    assert not outcome.stats.server_errors(), outcome.stats.server_errors()[:5]
    assert all(s.retry_after for s in outcome.stats.of() if s.status == 503)
    assert not outcome.unexpected, outcome.unexpected[:10]
    assert loadgen.check_ledger(site.url, outcome.ledger, site.storage) == []
    assert loadgen.check_invariants(site.url) == []
    assert not list(site.storage.rglob(".partial-*"))  # (none either where none was stored)


def plan_for(site, server, seconds: float, *, certificates: bool = False) -> loadgen.LoadPlan:
    """A plan for the learners of a site against one server."""
    return loadgen.LoadPlan(
        servers=[server.url],
        learners=site.learners,
        finished=site.finished,
        duration=seconds,
        think=(0.1, 0.5),
        certificates=certificates,
    )


def load_env(site, memcached):
    """The settings of the servers under load."""
    return site.env(RATELIMIT_STORAGE_URI=memcached.uri, LIMIT_SIGNIN_PER_CLIENT="10000 per minute")


def test_workers_killed_with_sigkill_lose_nothing_acknowledged(make_site, memcached):
    site = make_site(learners=10)
    server = site.server(load_env(site, memcached), workers=2, threads=4)
    killed = []
    with BackgroundLoad(plan_for(site, server, 16)) as load:
        for _round in range(3):
            target = load.requests_so_far() + 60
            wait_until(lambda t=target: load.requests_so_far() >= t, timeout=30)
            victim = server.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            # The master replaces it: the server keeps answering without a restart.
            wait_until(lambda v=victim: len(server.worker_pids()) == 2 and v not in server.worker_pids(), 10)
    outcome = load.outcome
    assert len(set(killed)) == 3
    assert outcome.ledger.count()["progress"] > 0
    assert_nothing_lost(site, outcome)
    assert server.answers("/healthz") == 200


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_restart_gives_503_then_recovers_by_itself(make_site, memcached, postgres, mode):
    site = make_site(learners=10)
    server = site.server(load_env(site, memcached), workers=2, threads=4)
    watcher = Browser(server.url)
    assert watcher.sign_in(site.learners[0]).status == 303
    with BackgroundLoad(plan_for(site, server, 14)) as load:
        wait_until(lambda: load.requests_so_far() >= 60, timeout=30)
        options = postgres.stop(mode)
        try:
            down = Browser(server.url).get("/courses/")
            assert down.status == 503 and int(down.headers["retry-after"]) > 0
            assert "briefly unavailable" in down.text  # the real page, in the visitor's language
            signed_in = watcher.get("/me/")
            assert signed_in.status == 503 and "briefly unavailable" in signed_in.text
            health = Browser(server.url).get("/healthz")
            assert health.status == 503 and "retry-after" in health.headers
            time.sleep(2)  # learners keep clicking while it is down
        finally:
            postgres.start(options)
        # Recovery: the same processes serve again, signed-in pages included, within seconds.
        recovered = wait_until(
            lambda: server.answers("/healthz") == 200 and watcher.get("/me/").status == 200,
            timeout=RECOVERY_SECONDS,
        )
    outcome = load.outcome
    assert recovered < RECOVERY_SECONDS
    assert any(s.status == 503 for s in outcome.stats.of()), "the load never saw the database down"
    assert_nothing_lost(site, outcome)
    after = [
        s for s in outcome.stats.of() if s.started > outcome.stats.of()[0].started + 1 and s.status == 200
    ]
    assert after, "nothing was served after the restart"


def mount_tmpfs(path: Path, size: str) -> bool:
    """Mount a small tmpfs on `path`; False where this machine does not allow it."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)])
    return done.returncode == 0


def fill(path: Path) -> Path:
    """Write a file until the file system is full; return it."""
    filler = path / "filler.bin"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    with contextlib.suppress(OSError), open(path / "filler-2.bin", "wb") as handle:  # the last blocks
        for _ in range(64):
            handle.write(b"\0" * 1024)
            handle.flush()
    return filler


def test_full_certificate_storage_gives_503_and_leaves_no_partial_file(make_site, memcached):
    site = make_site(learners=6, finished=4)
    if not mount_tmpfs(site.storage, "2m"):
        pytest.skip("cannot mount a tmpfs here (needs root and mount rights)")
    try:
        server = site.server(load_env(site, memcached), workers=2, threads=4)
        probe = Browser(server.url)
        probe.sign_in(site.finished[0])
        request_form = probe.get(f"/certificates/{loadgen.CERTIFICATE_COURSE}/request")
        assert request_form.status == 200
        filler = fill(site.storage)
        with BackgroundLoad(plan_for(site, server, 10, certificates=True)) as load:
            pass
        outcome = load.outcome
        refused = outcome.stats.of(label="certificate confirm")
        assert refused and all(s.status == 503 and s.retry_after for s in refused), refused
        assert outcome.ledger.count()["certificate"] == 0
        assert sorted(p.name for p in site.storage.rglob("*") if p.is_file()) == sorted(
            p.name for p in site.storage.iterdir() if p.name.startswith("filler")
        ), "a partial file was left behind"
        assert_nothing_lost(site, outcome)

        # Space again: the same requests now succeed and the files are whole.
        for extra in site.storage.glob("filler*"):
            extra.unlink()
        assert not filler.exists()
        with BackgroundLoad(plan_for(site, server, 8, certificates=True)) as load:
            pass
        outcome = load.outcome
        assert outcome.ledger.count()["certificate"] == len(site.finished)
        assert_nothing_lost(site, outcome)
    finally:
        for server in site.servers:
            server.stop()
        subprocess.run(["umount", "-l", str(site.storage)], check=False)


def test_the_rate_limit_store_going_down_does_not_break_signing_in(make_site):
    site = make_site(learners=2)
    with Memcached() as memcached:
        server = site.server(site.env(RATELIMIT_STORAGE_URI=memcached.uri), workers=2)
        assert Browser(server.url).sign_in(site.learners[0]).status == 303
    # memcached is gone: the limits fall back to counting in each process, pages keep working.
    answers = [Browser(server.url).sign_in(site.learners[1]).status for _ in range(4)]
    assert answers == [303] * 4
    assert server.answers("/healthz") == 200
