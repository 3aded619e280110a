"""Quiz submission p95 under load, against the same submission by one learner alone.

    scripts/with_postgres.py .venv/bin/python bench/quiz_submit.py [--learners 20] [--seconds 20]

On a fresh PostgreSQL database with the shipped courses, learners enrolled in every course start
module quizzes, load the attempt page and hand it in (answers picked from the form), module after
module, through gunicorn (deploy/gunicorn.conf.py). First one learner alone (the baseline), then
LEARNERS at once with no pause between clicks. Prints the submission latency (p50/p95/p99) of
both and the ratio of the p95s. Not a timed test: the figures depend on the machine.
"""

import argparse
import os
import random
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.production import harness, loadgen  # noqa: E402

MODULE_LINK = re.compile(r'href="/courses/([\w-]+)/([\w-]+)/quiz"')


def quizzes_of(browser: harness.Browser) -> list[str]:
    """Enrol in every course and return the paths of its module quizzes."""
    paths = []
    for slug in loadgen.COURSES:
        page = browser.get(f"/courses/{slug}/")
        if f'action="/courses/{slug}/enroll"' in page.text:
            browser.post(f"/courses/{slug}/enroll", {"csrf_token": browser.csrf(page)})
            page = browser.get(f"/courses/{slug}/")
        paths += [f"/courses/{s}/{m}/quiz" for s, m in MODULE_LINK.findall(page.text) if s == slug]
    return list(dict.fromkeys(paths))


def learner(url: str, username: str, stats: harness.Stats, deadline: float, seed: int) -> int:
    """Take quizzes until the deadline; return how many were handed in."""
    rng = random.Random(seed)
    browser = harness.Browser(url)
    assert browser.sign_in(username).status == 303
    quizzes = quizzes_of(browser) * 3  # up to the maximum of three attempts each
    rng.shuffle(quizzes)
    filler = loadgen.Learner.__new__(loadgen.Learner)
    filler.rng = rng
    handed_in = 0
    for base in quizzes:
        if time.monotonic() >= deadline:
            break
        page = browser.get(base)
        if f'action="{base}/start"' not in page.text:
            continue
        reply = browser.post(f"{base}/start", {"csrf_token": browser.csrf(page)})
        match = loadgen.ATTEMPT_RE.search(reply.location)
        if not match:
            continue
        attempt = f"{base}/attempts/{match.group(3)}"
        form = browser.get(attempt)
        answers = filler.answers(form.text, attempt)
        browser.stats = stats
        submitted = browser.post(attempt, answers, label="submit")
        browser.stats = None
        assert submitted.status == 303, submitted.status
        handed_in += 1
    return handed_in


def run_phase(url: str, usernames: list[str], seconds: float, seed: int) -> dict:
    """Run learners at once for `seconds`; return the submission latency summary."""
    stats = harness.Stats()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=learner, args=(url, name, stats, deadline, seed + i))
        for i, name in enumerate(usernames)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats.summary()


def run(site_url: str, instance: Path, *, learners: int, seconds: float, workers: int, threads: int) -> dict:
    """Start the server and measure alone, then under load."""
    # Every learner signs in from one address: no limits here (gunicorn refuses memory:// with
    # several workers while limits are on).
    env = harness.server_environment(site_url, instance, RATELIMIT_ENABLED="false")
    with harness.Gunicorn(env, workers=workers, threads=threads) as server:
        alone = run_phase(server.url, ["load-001"], seconds / 2, 1)
        loaded = run_phase(server.url, [f"load-{n:03d}" for n in range(2, learners + 2)], seconds, 100)
    for name, s in (("alone (1 learner)", alone), (f"under load ({learners} learners)", loaded)):
        print(
            f"quiz submission {name:24}: {s['count']:5d} submissions, {s['per_second']:6.1f}/s, "
            f"p50 {s['p50_ms']:6.1f} ms, p95 {s['p95_ms']:6.1f} ms, p99 {s['p99_ms']:6.1f} ms"
        )
    ratio = loaded["p95_ms"] / alone["p95_ms"]
    print(
        f"ratio p95 under load / alone: {ratio:.1f}x (target: p95 under load < 800 ms: "
        f"{'met' if loaded['p95_ms'] < 800 else 'MISSED'}; gunicorn {workers} workers x {threads} threads)"
    )
    return {"alone": alone, "loaded": loaded, "ratio": ratio}


def main() -> int:
    """Make a database, run the benchmark, drop the database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    server = os.environ.get("LMS_TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        sys.exit("Run under scripts/with_postgres.py (needs LMS_TEST_DATABASE_URL on PostgreSQL).")
    name = f"tamkeen_bench_quiz_{os.getpid()}"
    with harness.scratch_dir("tamkeen-bench-") as scratch:
        url = harness.create_database(server, name)
        try:
            harness.seed(url, scratch / "instance", learners=args.learners + 1)
            run(
                url,
                scratch / "instance",
                learners=args.learners,
                seconds=args.seconds,
                workers=args.workers,
                threads=args.threads,
            )
        finally:
            harness.drop_database(server, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
