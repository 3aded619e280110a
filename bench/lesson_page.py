"""Lesson page requests per second against a bare Flask page, under the same gunicorn settings.

    scripts/with_postgres.py .venv/bin/python bench/lesson_page.py [--mix] [--readers 20]
        [--seconds 5] [--rounds 3]

Starts two gunicorn servers with deploy/gunicorn.conf.py and the same workers and threads: the
app on a fresh PostgreSQL database (shipped courses, one enrolled learner, signed in), and
bench/bare_app.py. Loads each in turn (interleaved rounds, the median kept) with wrk when it is
installed, else with a Python client, and prints requests per second, latency and the ratio to
the bare page of:
- the single warm lesson, read again and again by one signed-in learner (target: 0.35x);
- the same lesson read by a visitor without an account;
- with --mix (what `make bench` runs), the mixed load: READERS signed-in learners, each
  enrolled in every course with no module locked, reading every lesson of every course, all in
  English then all in Arabic (the language cookie), a new lesson on every request, so that
  every request moves the learner's place in the course (a write) (target: 0.2x), after a
  10 s warm-up of the same rotation (each process renders each lesson's shared part once),
  with the CPU time a request costs (app server and PostgreSQL, read from /proc), a figure that
  other work on a shared machine distorts far less than requests per second. (Issue 16 measured
  two speed-ups of lms.core.engine this way, each on a server of its own with it switched off,
  and removed both: docs/deploy.md has the figures.)
Not a timed test: the figures depend on the machine.
"""

import argparse
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.production import harness  # noqa: E402

LESSON = "/courses/civil-society/what-is-civil-society/civil-society-and-its-roles"
TARGET = 0.35
MIX_TARGET = 0.2
LANGUAGES = ("en", "ar")
MIX_WARM_UP = 10  # seconds
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stats() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds (its own, and its reaped children's)."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        # After the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15), from 0.
        stats[int(entry)] = (int(fields[1]), sum(int(v) for v in fields[11:15]) / CLOCK_TICKS)
    return stats


def tree_cpu_seconds(roots: list[int]) -> float:
    """CPU seconds used so far by these processes and all their descendants (live or reaped)."""
    stats = _proc_stats()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [pid for pid in roots if pid in stats]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo.extend(children.get(pid, ()))
    return total


def postgres_pid() -> int | None:
    """The PostgreSQL server's postmaster (scripts/with_postgres.py's cluster), if known."""
    datadir = os.environ.get("LMS_TEST_PG_DATADIR")
    pid_file = Path(datadir) / "postmaster.pid" if datadir else None
    return int(pid_file.read_text().split()[0]) if pid_file and pid_file.exists() else None


# wrk's script for the mixed load: request k (over every thread) goes to learner k mod L, who
# reads the next (lesson, language) of the rotation; answers other than 200 are counted.
MIX_LUA = """
local paths, langs, cookies = {%(paths)s}, {%(langs)s}, {%(cookies)s}
local threads = {}
count, id, bad = 0, 0, 0  -- globals: setup() sets the thread's id, done() reads its count
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function request()
  count = count + 1
  local k = count * %(nthreads)d + id
  local learner = k %% #cookies
  local step = math.floor(k / #cookies) %% #paths
  return wrk.format("GET", paths[step + 1], {["Cookie"] = cookies[learner + 1] .. "; tamkeen_lang=" .. langs[step + 1]})
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("not 200: %%d\\n", total))
end
"""


class Mix:
    """The mixed load's rotation: (lesson path, language) pairs and the readers' cookies."""

    def __init__(self, paths: list[str], cookies: list[str]):
        self.pairs = [(path, lang) for lang in LANGUAGES for path in paths]
        self.cookies = cookies
        self._count = itertools.count()

    def next(self) -> tuple[str, str]:
        """Return the next request's (path, cookie header) (thread-safe: a counter)."""
        k = next(self._count)
        path, lang = self.pairs[(k // len(self.cookies)) % len(self.pairs)]
        return path, f"{self.cookies[k % len(self.cookies)]}; tamkeen_lang={lang}"

    def lua(self, threads: int) -> str:
        """Return wrk's script for this rotation."""

        def quoted(values):
            return ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)

        return MIX_LUA % {
            "paths": quoted(p for p, _ in self.pairs),
            "langs": quoted(lang for _, lang in self.pairs),
            "cookies": quoted(self.cookies),
            "nthreads": threads,
        }


def load_wrk(url: str, cookie: str | None, seconds: float, connections: int, mix: Mix | None = None) -> dict:
    """Load one URL (or the mix's rotation on its server) with wrk; return requests/s and latency (ms)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if mix is not None:
            script.write(mix.lua(2))
            script.flush()
            command += ["-s", script.name]
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} answers were not 200\n{out}")
    bad = re.search(r"not 200: (\d+)", out)
    if bad and int(bad.group(1)):
        raise RuntimeError(f"{url}: {bad.group(1)} answers of the mix were not 200\n{out}")

    def latency(pct: str) -> float:
        value, unit = re.search(rf"{pct}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }


def load_python(
    url: str, cookie: str | None, seconds: float, connections: int, mix: Mix | None = None
) -> dict:
    """Load one URL (or the mix's rotation) with threads of http.client (when wrk is missing)."""
    parts = urlsplit(url)
    base, path = f"{parts.scheme}://{parts.netloc}", parts.path or "/"
    stats = harness.Stats()
    deadline = time.monotonic() + seconds

    def worker():
        browser = harness.Browser(base, stats)
        while time.monotonic() < deadline:
            target, cookies = mix.next() if mix is not None else (path, cookie)
            browser.cookies.clear()
            for pair in (cookies or "").split("; ") if cookies else ():
                name, value = pair.split("=", 1)
                browser.cookies[name] = value
            if browser.get(target).status != 200:
                raise RuntimeError(f"{base}{target}: not 200")

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summary = stats.summary()
    return {
        "per_second": summary["per_second"],
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "requests": len(stats.of()),
    }


def measure(
    lesson_url: str,
    cookie: str,
    bare_url: str,
    *,
    seconds: float,
    rounds: int,
    connections: int,
    mix: Mix | None = None,
    cpu_of: dict[str, list[int]] | None = None,
) -> dict:
    """Interleave rounds of the pages; return the medians and the ratios to the bare page.

    "lesson" is the signed-in learner's warm page (the target's); "visitor" the same lesson
    read without an account (lessons are public); "mix" the mixed load, when asked for.
    cpu_of names, per page, the processes (with their descendants) whose CPU time a request costs:
    "cpu_ms" is then that time per request, which other work on the machine distorts far less
    than requests per second.
    """
    load = load_wrk if shutil.which("wrk") else load_python
    pages = {
        "bare": (bare_url, None, None),
        "lesson": (lesson_url, cookie, None),
        "visitor": (lesson_url, None, None),
    }
    if mix is not None:
        pages["mix"] = (lesson_url, None, mix)
    results: dict[str, list[dict]] = {name: [] for name in pages}
    for url, cookies, rotation in pages.values():  # warm up
        # The mix's rotation long enough for each worker to have read every lesson once: a
        # running site's processes hold them (lms.courses.outline); a fresh one renders each once.
        load(url, cookies, MIX_WARM_UP if rotation else 1, connections, rotation)
    for _ in range(rounds):
        for name, (url, cookies, rotation) in pages.items():
            roots = (cpu_of or {}).get(name)
            before = tree_cpu_seconds(roots) if roots else 0.0
            result = load(url, cookies, seconds, connections, rotation)
            if roots:
                result["cpu_ms"] = (tree_cpu_seconds(roots) - before) * 1000 / max(result["requests"], 1)
            results[name].append(result)
    summary = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    for name in pages:
        summary[f"{name}_ratio"] = summary[name]["per_second"] / summary["bare"]["per_second"]
    summary["ratio"] = summary["lesson_ratio"]
    summary["client"] = load.__name__
    return summary


def lesson_paths(database_url: str, instance: Path) -> list[str]:
    """Every lesson of every published course, in course order."""
    env = harness.server_environment(database_url, instance)
    code = (
        "from lms.app import create_app\n"
        "from lms.courses import services\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    for course in services.catalog():\n"
        "        for module in services.load_outline(course):\n"
        "            for lesson in module.lessons:\n"
        "                print(f'/courses/{course.slug}/{module.slug}/{lesson.slug}')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return out.split()


def run(
    site_url: str,
    instance: Path,
    *,
    seconds: float,
    rounds: int,
    workers: int,
    threads: int,
    connections: int,
    readers: int = 0,
):
    """Start both servers on a seeded database and measure."""
    # Pages only, no limited route: no shared limiter store needed (gunicorn refuses memory:// with
    # several workers while limits are on); every reader signs in from this one address.
    env = harness.server_environment(site_url, instance, RATELIMIT_ENABLED="false")
    with (
        harness.Gunicorn(env, workers=workers, threads=threads) as app_server,
        harness.Gunicorn(env, app="bench.bare_app:app", workers=workers, threads=threads) as bare_server,
    ):
        database = [pid] if (pid := postgres_pid()) else []
        cpu_of = {"bare": [bare_server.process.pid]}
        cpu_of.update({name: [app_server.process.pid, *database] for name in ("lesson", "visitor", "mix")})
        browser = harness.Browser(app_server.url)
        assert browser.sign_in("load-001").status == 303
        page = browser.get("/courses/civil-society/")
        browser.post("/courses/civil-society/enroll", {"csrf_token": browser.csrf(page)})
        assert browser.get(LESSON).status == 200
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        mix = None
        if readers:
            cookies = []
            for n in range(1, readers + 1):
                reader = harness.Browser(app_server.url)
                assert reader.sign_in(f"load-reader-{n:03d}").status == 303
                cookies.append("; ".join(f"{k}={v}" for k, v in reader.cookies.items()))
            mix = Mix(lesson_paths(site_url, instance), cookies)
            print(
                f"mixed load: {readers} signed-in learners, {len(mix.pairs) // len(LANGUAGES)} lessons "
                f"x {len(LANGUAGES)} languages ({', '.join(LANGUAGES)}), a new lesson on every request"
            )
        result = measure(
            app_server.url + LESSON,
            cookie,
            bare_server.url + "/",
            seconds=seconds,
            rounds=rounds,
            connections=connections,
            mix=mix,
            cpu_of=cpu_of,
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
    if mix is not None:
        verdict = "meets" if result["mix_ratio"] >= MIX_TARGET else "MISSES"
        print(
            f"mixed load (every lesson, en/ar):  {result['mix']['per_second']:.0f} requests/s, "
            f"p50 {result['mix']['p50_ms']:.1f} ms, p99 {result['mix']['p99_ms']:.1f} ms, "
            f"CPU {result['mix']['cpu_ms']:.2f} ms a request (app and PostgreSQL) "
            f"({result['mix_ratio']:.2f}x bare: {verdict} the {MIX_TARGET}x target)"
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
    parser.add_argument("--mix", action="store_true", help="also the mixed load of many learners")
    parser.add_argument("--readers", type=int, default=20, help="learners in the mixed load")
    args = parser.parse_args()
    server = os.environ.get("LMS_TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        sys.exit("Run under scripts/with_postgres.py (needs LMS_TEST_DATABASE_URL on PostgreSQL).")
    name = f"tamkeen_bench_{os.getpid()}"
    with harness.scratch_dir("tamkeen-bench-") as scratch:
        url = harness.create_database(server, name)
        try:
            readers = args.readers if args.mix else 0
            harness.seed(url, scratch / "instance", learners=1, readers=readers)
            run(
                url,
                scratch / "instance",
                seconds=args.seconds,
                rounds=args.rounds,
                workers=args.workers,
                threads=args.threads,
                connections=args.connections,
                readers=readers,
            )
        finally:
            harness.drop_database(server, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
