"""Benchmark the completions export against a bare csv.writer over the same query.

    .venv/bin/python bench/exports.py [--rows 100000] [--database URL]

Seeds a programme (a scratch database on the PostgreSQL server of LMS_TEST_DATABASE_URL under
scripts/with_postgres.py, as `make bench` runs it; else a temporary SQLite file; or the empty
database --database names), then
measures, each in a fresh process so that peak memory belongs to that run alone:

- baseline: the export's own SQL statement (every column of every row, in one statement),
  streamed, its rows written as they come by a bare csv.writer;
- csv and xlsx: the real export (the same statement, plus shaping: neutralisation, number
  formats, statuses, certificates, typing for XLSX);

and prints rows per second (best of three runs), the ratio to the baseline, the tracemalloc
peak (Python allocations during one export) and the process's maximum resident set size
(interpreter, Flask and the libraries included). Not a timed test: the figures go into the
closing note.
"""

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

COURSES = 5
LESSONS_PER_COURSE = 6
MODULES_PER_COURSE = 3
ORGANISATIONS = 50
PASSWORD_HASH = "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$not-a-real-hash"


def make_app(database: str):
    """Return the app on a given database (test settings, no rate limits)."""
    from config import TestConfig
    from lms.app import create_app

    return create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database,
        INSTANCE_PATH=tempfile.mkdtemp(prefix="tamkeen-bench-"),
    )


def _quiz(conn, kind: str, activity: str, now: datetime) -> int:
    from lms.quizzes.models import Quiz

    return conn.execute(
        sa.insert(Quiz.__table__).values(
            kind=kind,
            activity_id=f"urn:bench:{activity}",
            default_locale="en",
            locales=["en"],
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key[0]


def _attempt(
    user_id: int, quiz_id: int, number: int, phase: str | None, score: float, when: datetime
) -> dict:
    return {
        "user_id": user_id,
        "quiz_id": quiz_id,
        "number": number,
        "locale": "en",
        "phase": phase,
        "layout": [],
        "started_at": when,
        "submitted_at": when,
        "graded_at": when,
        "score": score,
        "is_passed": score >= 70,
        "needs_marking": False,
    }


def seed(session, rows: int, *, prefix: str = "bench", rng: random.Random | None = None) -> None:
    """Insert a programme of about `rows` enrolments with Core bulk inserts (fast, no services)."""
    from lms.accounts.models import Membership, Organisation, User
    from lms.certificates.models import Certificate
    from lms.courses.models import Course, Enrolment, Lesson, LessonProgress, Module
    from lms.quizzes.models import Attempt
    from lms.reports.models import LearnerDemographics

    rng = rng or random.Random(8)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    conn = session.connection()
    course_ids = []
    quizzes: dict[int, list[int]] = {}  # course id -> module quiz ids
    assessments: dict[int, int] = {}
    for c in range(COURSES):
        course_id = conn.execute(
            sa.insert(Course.__table__).values(
                slug=f"{prefix}-course-{c}",
                version=1,
                default_locale="en",
                locales=["en", "ar"],
                titles={"en": f"Course {c}", "ar": f"الدورة {c}"},
                summaries={"en": "", "ar": ""},
                estimated_minutes=60,
                lesson_count=LESSONS_PER_COURSE,
                content_hash=uuid.uuid4().hex,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        course_ids.append(course_id)
        assessments[course_id] = _quiz(conn, "assessment", f"{prefix}:{c}:assessment", now)
        conn.execute(
            sa.update(Course.__table__)
            .where(Course.id == course_id)
            .values(assessment_quiz_id=assessments[course_id])
        )
        sequence = 0
        for m in range(MODULES_PER_COURSE):
            quiz_id = _quiz(conn, "module", f"{prefix}:{c}:{m}", now)
            quizzes.setdefault(course_id, []).append(quiz_id)
            module_id = conn.execute(
                sa.insert(Module.__table__).values(
                    course_id=course_id,
                    slug=f"module-{m}",
                    position=m,
                    titles={"en": f"Module {m}"},
                    quiz_id=quiz_id,
                )
            ).inserted_primary_key[0]
            for n in range(LESSONS_PER_COURSE // MODULES_PER_COURSE):
                sequence += 1
                conn.execute(
                    sa.insert(Lesson.__table__).values(
                        course_id=course_id,
                        module_id=module_id,
                        slug=f"lesson-{sequence}",
                        position=n,
                        sequence=sequence,
                        titles={"en": "Lesson"},
                    )
                )
    org_rows = [
        {
            # A hostile name, and Arabic ones: the export must neutralise and keep them.
            "name": f"={prefix} organisation" if o == 0 else f"منظمة {prefix} {o}",
            "country": rng.choice(["LB", "TN", "EG", "JO", "MA"]),
            "created_at": now,
        }
        for o in range(ORGANISATIONS)
    ]
    conn.execute(sa.insert(Organisation.__table__), org_rows)
    org_ids = list(conn.scalars(sa.select(Organisation.id).where(Organisation.name.like(f"%{prefix}%"))))
    learners = max(1, -(-rows // 3))
    user_rows = [
        {
            "public_id": str(uuid.uuid4()),
            "username": f"{prefix}-{u}",
            "username_key": f"{prefix}-{u}",
            "password_hash": PASSWORD_HASH,
            "display_name": rng.choice(["Amal", "أمل الحسيني", "=cmd|' /C calc'!A0", "Youssef", ""]),
            "role": "learner",
            "is_disabled": False,
            "is_erased": False,
            "is_discreet": False,
            "has_pending_recovery_codes": False,
            "created_at": now,
        }
        for u in range(learners)
    ]
    for start in range(0, len(user_rows), 5000):
        conn.execute(sa.insert(User.__table__), user_rows[start : start + 5000])
    user_ids = list(conn.scalars(sa.select(User.id).where(User.username.like(f"{prefix}-%"))))
    memberships, demographics = [], []
    for user_id in user_ids:
        for org in rng.sample(org_ids, 2 if rng.random() < 0.1 else 1):
            memberships.append({"user_id": user_id, "organisation_id": org, "created_at": now})
        if rng.random() < 0.5:
            demographics.append(
                {
                    "user_id": user_id,
                    "gender": rng.choice(["female", "male"]),
                    "age_band": "25_34",
                    "is_shared": True,
                    "updated_at": now,
                }
            )
    conn.execute(sa.insert(Membership.__table__), memberships)
    conn.execute(sa.insert(LearnerDemographics.__table__), demographics)
    enrolments, progress, certificates, attempts = [], [], [], []
    made = 0
    for user_id in user_ids:
        for course_id in rng.sample(course_ids, 3):
            if made >= rows:
                break
            made += 1
            enrolled = now - timedelta(days=rng.randrange(365))
            done = rng.randrange(LESSONS_PER_COURSE + 1)
            completed = (
                enrolled + timedelta(days=rng.randrange(1, 60)) if done == LESSONS_PER_COURSE else None
            )
            enrolments.append(
                {
                    "user_id": user_id,
                    "course_id": course_id,
                    "enrolled_at": enrolled,
                    "last_activity_at": completed or enrolled,
                    "completed_at": completed,
                }
            )
            for number, quiz_id in enumerate(quizzes[course_id][: done // 2], start=1):
                score = float(rng.randrange(40, 101))
                attempts.append(_attempt(user_id, quiz_id, number, None, score, enrolled))
            if rng.random() < 0.6:
                attempts.append(
                    _attempt(user_id, assessments[course_id], 1, "pre", float(rng.randrange(0, 80)), enrolled)
                )
                if completed is not None:
                    post = float(rng.randrange(50, 101))
                    attempts.append(_attempt(user_id, assessments[course_id], 2, "post", post, completed))
            progress.extend(
                {
                    "user_id": user_id,
                    "course_id": course_id,
                    "lesson_slug": f"lesson-{n}",
                    "completed_at": enrolled,
                }
                for n in range(1, done + 1)
            )
            if completed is not None:
                certificates.append(
                    {
                        "user_id": user_id,
                        "course_id": course_id,
                        "course_version": 1,
                        "code": uuid.uuid4().hex[:26].upper(),
                        "name_on_certificate": "Name",
                        "locale": "en",
                        "requested_at": completed,
                        "issued_at": completed,
                    }
                )
    for table, data in (
        (Enrolment.__table__, enrolments),
        (LessonProgress.__table__, progress),
        (Certificate.__table__, certificates),
        (Attempt.__table__, attempts),
    ):
        for start in range(0, len(data), 10000):
            conn.execute(sa.insert(table), data[start : start + 10000])
    if conn.dialect.name == "postgresql":
        # Tell the planner the tables' sizes now, as autovacuum would soon: a table it last saw
        # empty (emptied by earlier work, then vacuumed) gets per-row sequential scans in the
        # export's subqueries, minutes instead of seconds. Inside a transaction, ANALYZE counts
        # the rows this transaction inserted.
        conn.execute(sa.text("ANALYZE"))


def _measure(kind: str, database: str) -> dict:
    """Run one export in this process and return its figures."""
    from lms.extensions import db
    from lms.reports import services
    from lms.reports.completion_query import completions_select
    from lms.reports.filters import PROGRAMME, ReportFilter

    app = make_app(database)
    with app.app_context(), open(os.devnull, "wb") as sink:
        if kind == "baseline":

            def run():
                text = open(os.devnull, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
                writer = csv.writer(text)
                result = db.session.connection().execute(
                    completions_select(PROGRAMME, ReportFilter()),
                    execution_options={"yield_per": 1000, "stream_results": True},
                )
                count = 0
                for row in result:
                    writer.writerow(row)
                    count += 1
                text.close()
                return count
        else:

            def run():
                count = services.export_completions(None, PROGRAMME, ReportFilter(), kind, sink)
                db.session.rollback()  # keep the audit trail of the bench out of the database
                return count

        # Best of three: the machine may be busy with something else.
        timings, cpu = [], []
        for _round in range(3):
            started, started_cpu = time.perf_counter(), time.process_time()
            count = run()
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before tracemalloc's own cost
        tracemalloc.start()
        run()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "kind": kind,
        "rows": count,
        "seconds": min(timings),
        "cpu_seconds": min(cpu),
        "peak_mib": peak / 2**20,
        "maxrss_mib": maxrss_kib / 1024,
    }


def _seed(database: str, rows: int) -> None:
    from lms.extensions import db

    app = make_app(database)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        seed(db.session, rows)
        db.session.commit()
        db.engine.dispose()
    print(f"seeded {rows:,} enrolments in {time.perf_counter() - started:.1f} s ({database.split(':')[0]})")


def main() -> None:
    """Seed, then measure each export in its own process and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", help="an empty database URL (default: a temporary SQLite file)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.database)))
        return
    if args.seed:
        _seed(args.database, args.rows)
        return
    server = os.environ.get("LMS_TEST_DATABASE_URL", "")
    if args.database is None and server.startswith("postgresql"):
        # Under scripts/with_postgres.py (make bench): a scratch database on that server.
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.production import harness

        name = f"tamkeen_bench_exports_{os.getpid()}"
        args.database = harness.create_database(server, name)
        try:
            _compare(args)
        finally:
            harness.drop_database(server, name)
        return
    _compare(args)


def _compare(args) -> None:
    folder = tempfile.mkdtemp(prefix="tamkeen-bench-")
    database = args.database or f"sqlite:///{folder}/bench.sqlite3"
    # Seed in a child process too: Linux carries a process's peak RSS over to the children it
    # starts, and the seeding's peak would then show in every measurement.
    subprocess.run(
        [sys.executable, __file__, "--seed", "--rows", str(args.rows), "--database", database], check=True
    )
    results = {}
    for kind in ("baseline", "csv", "xlsx"):
        output = subprocess.run(
            [sys.executable, __file__, "--measure", kind, "--database", database],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[kind] = json.loads(output.strip().splitlines()[-1])
    base = results["baseline"]
    print(
        f"{'export':<10}{'rows':>10}{'rows/s':>10}{'vs bare csv':>13}{'(CPU time)':>12}"
        f"{'tracemalloc peak':>18}{'max RSS':>11}"
    )
    for kind, r in results.items():
        rate = r["rows"] / r["seconds"]
        print(
            f"{kind:<10}{r['rows']:>10,}{rate:>10,.0f}{base['seconds'] / r['seconds']:>12.2f}x"
            f"{base['cpu_seconds'] / r['cpu_seconds']:>11.2f}x{r['peak_mib']:>14.1f} MiB{r['maxrss_mib']:>7.0f} MiB"
        )
    print(
        "Best of three runs each. CPU time is this process's own: on PostgreSQL the query runs in the server."
    )


if __name__ == "__main__":
    main()
