"""`make bench`: every benchmark of bench/, each printing raw figures and its ratio to a baseline.

    scripts/with_postgres.py .venv/bin/python bench/run.py

Runs, in turn and each in its own process: bench/lesson_page.py --mix (the warm lesson page, a
visitor and the mixed load of many learners vs a bare Flask page), bench/quiz_submit.py (quiz submission p95 under load vs alone), and bench/certificates.py
and bench/exports.py (a missing one fails). Notes the machine (cores, load average) first: the
figures depend on it, the ratios much less. Exits non-zero if a benchmark failed to run.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BENCHMARKS = ("lesson_page.py", "quiz_submit.py", "certificates.py", "exports.py")
ARGUMENTS = {"lesson_page.py": ["--mix"]}


def main() -> int:
    """Run every benchmark that is present."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load}, python {sys.version.split()[0]}")
    failed = []
    for name in BENCHMARKS:
        path = BENCH / name
        print(f"\n=== bench/{name} ===", flush=True)
        if not path.exists():  # a benchmark that `make bench` promises is missing: a failure
            print(f"bench/{name} is missing", flush=True)
            failed.append(name)
            continue
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(path), *ARGUMENTS.get(name, [])], cwd=BENCH.parent)
        print(f"(bench/{name}: {time.monotonic() - started:.0f} s, exit {done.returncode})", flush=True)
        if done.returncode:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
