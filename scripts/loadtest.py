#!/usr/bin/env python3
"""Load-test Tamkeen on this machine: real gunicorn servers on PostgreSQL, simulated learners.

Usage: scripts/with_postgres.py .venv/bin/python scripts/loadtest.py [--users 25] [--seconds 60]
       [--servers 1] [--workers 5] [--threads 1] [--max-requests 50000] [--finished 5]

Creates a fresh database on the PostgreSQL server of LMS_TEST_DATABASE_URL (scripts/with_postgres.py
provides a throwaway one), loads the shipped courses and the accounts, starts memcached for the
shared rate-limit counters and gunicorn with deploy/gunicorn.conf.py, runs the mixed scenario of
tests/production/loadgen.py against 127.0.0.1 only, bounded in time and requests, then checks the
ledger of acknowledged writes and the invariants against the database. Prints throughput and
p50/p95/p99 for reads and writes; exits 1 if a target is missed or anything was lost.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.production import harness, loadgen  # noqa: E402

READ_P95_MS, WRITE_P95_MS = 500, 800


def main() -> int:
    """Run the load test and print its report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--finished", type=int, default=5, help="learners who already finished a course")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--think", type=float, nargs=2, default=(0.2, 1.0), metavar=("MIN", "MAX"))
    args = parser.parse_args()
    server_url = os.environ.get("LMS_TEST_DATABASE_URL", "")
    if not server_url.startswith("postgresql"):
        sys.exit(
            "Run it under scripts/with_postgres.py (LMS_TEST_DATABASE_URL must name a PostgreSQL server)."
        )
    name = f"tamkeen_load_{os.getpid()}"
    with harness.scratch_dir("tamkeen-load-") as scratch:
        url = harness.create_database(server_url, name)
        try:
            instance = scratch / "instance"
            print(f"seeding {args.users} learners and {args.finished} who finished a course ...", flush=True)
            harness.seed(url, instance, learners=args.users, finished=args.finished)
            with harness.Memcached() as memcached:
                env = harness.server_environment(
                    url,
                    instance,
                    RATELIMIT_STORAGE_URI=memcached.uri,
                    # Every simulated learner comes from 127.0.0.1: one client address for all.
                    LIMIT_SIGNIN_PER_CLIENT="10000 per minute",
                )
                servers = [
                    harness.Gunicorn(env, workers=args.workers, threads=args.threads, log_dir=scratch)
                    for _ in range(args.servers)
                ]
                try:
                    for server in servers:
                        server.start()
                    finished = [f"load-done-{n:03d}" for n in range(1, args.finished + 1)]
                    with_certificates = bool(finished) and loadgen.certificates_available(
                        servers[0].url, finished[0]
                    )
                    if not with_certificates:
                        print("certificate step skipped: the certificates domain is not in this build")
                    plan = loadgen.LoadPlan(
                        servers=[s.url for s in servers],
                        learners=[f"load-{n:03d}" for n in range(1, args.users - args.finished + 1)],
                        finished=finished,
                        certificates=with_certificates,
                        duration=args.seconds,
                        max_requests=args.max_requests,
                        think=tuple(args.think),
                    )
                    print(
                        f"{args.users} learners on {args.servers} server(s) x {args.workers} workers "
                        f"x {args.threads} threads, {args.seconds:.0f} s at most, {args.max_requests} requests at most",
                        flush=True,
                    )
                    outcome = loadgen.run_load(plan)
                finally:
                    for server in servers:
                        server.stop()
            print(loadgen.report(outcome))
            lost = loadgen.check_ledger(url, outcome.ledger, instance / "certificates")
            broken = loadgen.check_invariants(url)
            print(
                f"ledger: {len(outcome.ledger.entries)} acknowledged writes, {len(lost)} missing in the database"
            )
            print(f"invariants: {broken or 'all hold'}")
        finally:
            harness.drop_database(server_url, name)
    reads, writes = outcome.stats.summary("read"), outcome.stats.summary("write")
    failures = []
    if outcome.stats.server_errors():
        failures.append(f"{len(outcome.stats.server_errors())} server errors")
    if reads.get("p95_ms", 0) >= READ_P95_MS:
        failures.append(f"read p95 {reads['p95_ms']:.0f} ms >= {READ_P95_MS}")
    if writes.get("p95_ms", 0) >= WRITE_P95_MS:
        failures.append(f"write p95 {writes['p95_ms']:.0f} ms >= {WRITE_P95_MS}")
    failures += lost + broken + outcome.unexpected
    print("PASS" if not failures else f"FAIL: {failures[:10]}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
