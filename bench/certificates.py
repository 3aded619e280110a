"""Benchmark certificate rendering and bulk issuing against a bare WeasyPrint render.

Usage: [scripts/with_postgres.py] .venv/bin/python bench/certificates.py [--count N] [--repeat R] [--workers W]

Prints milliseconds per certificate (warm: fonts, stylesheet and templates loaded) for a Latin
and an Arabic name, the same with the stylesheet parsed and its fonts loaded anew each time, and
a bare WeasyPrint render of a minimal one-page document measured in the same run; then
certificates per second for `flask certificates issue` over N learners (database, rendering in
a pool of W processes, storage), pool start-up included, on PostgreSQL when run under
scripts/with_postgres.py (as `make bench` does), else SQLite. Ratios are against the bare
render; the bulk rate is also given as a share of what the cores can render (cores x one
warm certificate render, measured in the same run: the ceiling; target 90 %).
Not a timed test: the figures depend on the machine.
"""

import argparse
import contextlib
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE = "<!doctype html><html><head><style>@page { size: A4 landscape }</style></head><body><p>Hello</p></body></html>"


def _time(function, repeat: int) -> float:
    """Return the median milliseconds of `repeat` warm calls (after two warm-up calls)."""
    function()
    function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _interleaved(functions: dict, repeat: int, cpu: dict | None = None) -> dict[str, float]:
    """Return the median milliseconds of each function, timed in turn `repeat` times.

    If `cpu` is given, it receives the median CPU milliseconds of this process as well: on a
    busy machine, wall time penalises the longer renders more (they are preempted more often).
    """
    for function in functions.values():
        function()
        function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    cpu_samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            samples[name].append((time.perf_counter() - start) * 1000)
            cpu_samples[name].append((time.process_time() - start_cpu) * 1000)
    if cpu is not None:
        cpu.update({name: statistics.median(values) for name, values in cpu_samples.items()})
    return {name: statistics.median(values) for name, values in samples.items()}


def _data(render, codes, locale: str, name: str, title: str):
    code = codes.new_code()
    return render.CertificateData(
        locale=locale,
        name=name,
        course_title=title,
        issued_on="22 November 2026" if locale == "en" else "٢٢ نوفمبر ٢٠٢٦",
        expires_on=None,
        issuer="Tamkeen" if locale == "en" else "تمكين",
        signatory="Leila Mansour",
        code=codes.format_code(code),
        verify_url=f"https://tamkeen.example.org/verify/{codes.format_code(code)}",
    )


def _bulk(app, count: int, workers: int, cpu: dict) -> tuple[float, str]:
    import sqlalchemy as sa

    from lms.accounts.models import User
    from lms.certificates.models import Certificate
    from lms.core.db import utcnow
    from lms.courses import services as courses
    from lms.extensions import db
    from tests.courses.course_builder import write_course

    with app.app_context():
        db.create_all()
        with tempfile.TemporaryDirectory() as folder:
            courses.import_path(
                write_course(Path(folder), slug="bench-course", modules=1, lessons_per_module=1)
            )
        course = courses.get_course("bench-course")
        now = utcnow()
        db.session.execute(
            sa.insert(User),
            [
                {
                    "username": f"bench-{n}",
                    "username_key": f"bench-{n}",
                    "public_id": str(uuid.UUID(int=n + 1)),
                }
                for n in range(count)
            ],
        )
        users = (
            db.session.execute(sa.select(User.id).where(User.username_key.like("bench-%"))).scalars().all()
        )
        db.session.execute(
            sa.insert(courses.Enrolment),
            [
                {
                    "user_id": u,
                    "course_id": course.id,
                    "enrolled_at": now,
                    "last_activity_at": now,
                    "completed_at": now,
                }
                for u in users
            ],
        )
        from lms.certificates import codes

        db.session.execute(
            sa.insert(Certificate),
            [
                {
                    "user_id": u,
                    "course_id": course.id,
                    "course_version": course.version,
                    "code": codes.new_code(),
                    "name_on_certificate": "سارة حداد" if n % 2 else "Amina Haddad",
                    "locale": "ar" if n % 2 else "en",
                    "requested_at": now,
                }
                for n, u in enumerate(users)
            ],
        )
        db.session.commit()
    runner = app.test_cli_runner()
    start, own, children = time.perf_counter(), time.process_time(), _children_cpu()
    result = runner.invoke(
        args=["certificates", "issue", "--course", "bench-course", "--workers", str(workers)]
    )
    elapsed = time.perf_counter() - start
    cpu["main"], cpu["pool"] = time.process_time() - own, _children_cpu() - children
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return elapsed, result.output.strip().splitlines()[-1]


def _children_cpu() -> float:
    # The pool's processes, once they have ended (the CLI shuts the pool down before returning).
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def _database(instance: str):
    """A scratch PostgreSQL database under scripts/with_postgres.py, else a SQLite file."""
    server = os.environ.get("LMS_TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        yield f"sqlite:///{instance}/bench.sqlite3"
        return
    from tests.production import harness

    name = f"tamkeen_bench_certificates_{os.getpid()}"
    url = harness.create_database(server, name)
    try:
        yield url
    finally:
        harness.drop_database(server, name)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="certificates in the bulk run (default 1000)")
    parser.add_argument("--repeat", type=int, default=30, help="warm renders per measurement (default 30)")
    parser.add_argument(
        "--workers", type=int, default=2, help="rendering processes for the bulk run (default 2)"
    )
    args = parser.parse_args()

    from weasyprint import HTML

    from config import TestConfig
    from lms.app import create_app
    from lms.certificates import codes, render

    with tempfile.TemporaryDirectory() as instance, _database(instance) as database_url:
        app = create_app(
            TestConfig,
            INSTANCE_PATH=instance,
            SQLALCHEMY_DATABASE_URI=database_url,
            CERTIFICATE_STORAGE=f"{instance}/certificates",
        )
        with app.app_context():
            latin = _data(
                render, codes, "en", "Amina Haddad-Smith", "Lobbying in international organisations"
            )
            arabic = _data(render, codes, "ar", "سارة عبد الرحمن حداد", "المناصرة في المنظمات الدولية")
            # Interleaved, so that load from elsewhere on the machine falls on every figure alike.
            timed = {
                "bare": lambda: HTML(string=BARE).write_pdf(),
                "latin": lambda: render.render_certificate(latin),
                "arabic": lambda: render.render_certificate(arabic),
            }
            cpu: dict[str, float] = {}
            medians = _interleaved(timed, args.repeat, cpu)
            bare, latin_ms, arabic_ms = medians["bare"], medians["latin"], medians["arabic"]
            latin_html, arabic_html = render.render_html(latin), render.render_html(arabic)
            html_ms = _time(lambda: render.render_html(arabic), args.repeat)
            fresh = _interleaved(
                {
                    "latin": lambda: render.html_to_pdf_fresh(latin_html),
                    "arabic": lambda: render.html_to_pdf_fresh(arabic_html),
                },
                max(5, args.repeat // 3),
            )
            latin_fresh, arabic_fresh = fresh["latin"], fresh["arabic"]
        bulk_cpu: dict[str, float] = {}
        elapsed, summary = _bulk(app, args.count, args.workers, bulk_cpu)
        engine = database_url.split(":")[0]
        with app.app_context():
            from lms.extensions import db

            db.engine.dispose()

    def row(label, ms):
        print(f"{label:<58} {ms:8.1f} ms  {ms / bare:5.2f}x bare")

    print(f"{'bare WeasyPrint render, minimal one-page document':<58} {bare:8.1f} ms  1.00x")
    row("certificate, Latin name (warm)", latin_ms)
    row("certificate, Arabic name (warm)", arabic_ms)
    print(
        f"  CPU time, same run: bare {cpu['bare']:.1f} ms; Latin {cpu['latin'] / cpu['bare']:.2f}x, "
        f"Arabic {cpu['arabic'] / cpu['bare']:.2f}x bare"
    )
    row("  of which the HTML (Jinja, QR code), Arabic", html_ms)
    row("  Latin, stylesheet and fonts loaded every time (PDF only)", latin_fresh)
    row("  Arabic, stylesheet and fonts loaded every time (PDF only)", arabic_fresh)
    print(
        f"{'bulk: flask certificates issue, ' + str(args.count) + ' learners, ' + str(args.workers) + ' workers':<58} "
        f"{elapsed:8.1f} s   {args.count / elapsed:5.1f} certificates/s"
    )
    print(f"  ({summary}; on {engine}; includes pool start-up, database writes and fsync'd storage)")
    cores = min(args.workers, os.cpu_count() or 1)
    ceiling = cores * 1000 / ((latin_ms + arabic_ms) / 2)
    share = args.count / elapsed / ceiling
    print(
        f"  ceiling: {cores} cores x one warm certificate ({(latin_ms + arabic_ms) / 2:.1f} ms, same run) = "
        f"{ceiling:.1f} certificates/s; bulk reaches {share:.0%} of it "
        f"({'meets' if share >= 0.9 else 'MISSES'} the 90 % target)"
    )
    per_cert = (bulk_cpu["main"] + bulk_cpu["pool"]) * 1000 / args.count
    single_cpu = (cpu["latin"] + cpu["arabic"]) / 2
    print(
        f"  CPU per certificate in bulk: {per_cert:.1f} ms (this process {bulk_cpu['main'] * 1000 / args.count:.1f}, "
        f"pool {bulk_cpu['pool'] * 1000 / args.count:.1f}) against {single_cpu:.1f} ms for one warm render: "
        f"on an otherwise idle machine bulk could reach {single_cpu / per_cert:.0%} of the ceiling"
    )
    worst = max(latin_ms, arabic_ms) / bare
    print(
        f"target: warm certificate <= 1.5x bare: {'met' if worst <= 1.5 else 'not met'} (worst {worst:.2f}x)"
    )


if __name__ == "__main__":
    main()
