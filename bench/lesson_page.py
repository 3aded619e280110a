"""Lesson page requests per second against a bare Flask page, under the same gunicorn settings.

    scripts/with_postgres.py .venv/bin/python bench/lesson_page.py [--seconds 5] [--rounds 3]

Starts two gunicorn servers with deploy/gunicorn.conf.py and the same workers and threads: the
app on a fresh PostgreSQL database (shipped courses, one enrolled learner, signed in), and
bench/bare_app.py. Loads each in turn (interleaved rounds, the median kept) with wrk when it is
installed, else with a Python client, and prints requests per second, latency and the ratio
lesson / bare (target: at least 0.35). Not a timed test: the figures depend on the machine.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.production import harness  # noqa: E402

LESSON = "/courses/civil-society/what-is-civil-society/civil-society-and-its-roles"
TARGET = 0.35


def load_wrk(url: str, cookie: str | None, seconds: float, connections: int) -> dict:
    """Load one URL with wrk; return requests/s and latency percentiles (ms)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} answers were not 200\n{out}")

    def latency(pct: str) -> float:
        value, unit = re.search(rf"{pct}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
    }


def load_python(url: str, cookie: str | None, seconds: float, connections: int) -> dict:
    """Load one URL with threads of http.client (when wrk is missing)."""
    parts = urlsplit(url)
    base, path = f"{parts.scheme}://{parts.netloc}", parts.path or "/"
    stats = harness.Stats()
    deadline = time.monotonic() + seconds

    def worker():
        browser = harness.Browser(base, stats)
        if cookie:
            for pair in cookie.split("; "):
                name, value = pair.split("=", 1)
                browser.cookies[name] = value
        while time.monotonic() < deadline:
            if browser.get(path).status != 200:
                raise RuntimeError(f"{url}: not 200")

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summary = stats.summary()
    return {"per_second": summary["per_second"], "p50_ms": summary["p50_ms"], "p99_ms": summary["p99_ms"]}


def measure(
    lesson_url: str, cookie: str, bare_url: str, *, seconds: float, rounds: int, connections: int
) -> dict:
    """Interleave rounds of the pages; return the medians and the ratios to the bare page.

    "lesson" is the signed-in learner's page (the target's); "visitor" the same lesson read
    without an account (lessons are public), for comparison.
    """
    load = load_wrk if shutil.which("wrk") else load_python
    pages = {"bare": (bare_url, None), "lesson": (lesson_url, cookie), "visitor": (lesson_url, None)}
    results: dict[str, list[dict]] = {name: [] for name in pages}
    for url, cookies in pages.values():  # warm up
        load(url, cookies, 1, connections)
    for _ in range(rounds):
        for name, (url, cookies) in pages.items():
            results[name].append(load(url, cookies, seconds, connections))
    summary = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    summary["ratio"] = summary["lesson"]["per_second"] / summary["bare"]["per_second"]
    summary["visitor_ratio"] = summary["visitor"]["per_second"] / summary["bare"]["per_second"]
    summary["client"] = load.__name__
    return summary


def run(
    site_url: str,
    instance: Path,
    *,
    seconds: float,
    rounds: int,
    workers: int,
    threads: int,
    connections: int,
):
    """Start both servers on a seeded database and measure."""
    # Pages only, no limited route: no shared limiter store needed (gunicorn refuses memory:// with
    # several workers while limits are on).
    env = harness.server_environment(site_url, instance, RATELIMIT_ENABLED="false")
    with (
        harness.Gunicorn(env, workers=workers, threads=threads) as app_server,
        harness.Gunicorn(env, app="bench.bare_app:app", workers=workers, threads=threads) as bare_server,
    ):
        browser = harness.Browser(app_server.url)
        assert browser.sign_in("load-001").status == 303
        page = browser.get("/courses/civil-society/")
        browser.post("/courses/civil-society/enroll", {"csrf_token": browser.csrf(page)})
        assert browser.get(LESSON).status == 200
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        result = measure(
            app_server.url + LESSON,
            cookie,
            bare_server.url + "/",
            seconds=seconds,
            rounds=rounds,
            connections=connections,
        )
    print(
        f"lesson page (signed-in learner): {result['lesson']['per_second']:.0f} requests/s, "
        f"p50 {result['lesson']['p50_ms']:.1f} ms, p99 {result['lesson']['p99_ms']:.1f} ms"
    )
    print(
        f"lesson page (visitor, no account): {result['visitor']['per_second']:.0f} requests/s, "
        f"p50 {result['visitor']['p50_ms']:.1f} ms, p99 {result['visitor']['p99_ms']:.1f} ms "
        f"({result['visitor_ratio']:.2f}x bare)"
    )
    print(
        f"bare Flask page:                 {result['bare']['per_second']:.0f} requests/s, "
        f"p50 {result['bare']['p50_ms']:.1f} ms, p99 {result['bare']['p99_ms']:.1f} ms"
    )
    verdict = "meets" if result["ratio"] >= TARGET else "MISSES"
    print(
        f"ratio lesson / bare: {result['ratio']:.2f}x ({verdict} the {TARGET}x target; gunicorn {workers} workers x "
        f"{threads} threads, {connections} connections, {rounds} x {seconds:.0f} s rounds, client {result['client']})"
    )
    return result


def main() -> int:
    """Make a database, run the benchmark, drop the database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    server = os.environ.get("LMS_TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        sys.exit("Run under scripts/with_postgres.py (needs LMS_TEST_DATABASE_URL on PostgreSQL).")
    name = f"tamkeen_bench_{os.getpid()}"
    with harness.scratch_dir("tamkeen-bench-") as scratch:
        url = harness.create_database(server, name)
        try:
            harness.seed(url, scratch / "instance", learners=1)
            run(
                url,
                scratch / "instance",
                seconds=args.seconds,
                rounds=args.rounds,
                workers=args.workers,
                threads=args.threads,
                connections=args.connections,
            )
        finally:
            harness.drop_database(server, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
