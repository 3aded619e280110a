#!/usr/bin/env python3
"""Fill a database with a regional programme's worth of learning data, then time the reports.

Usage: scripts/generate_scale_data.py --database URL [--learners 50000] [--organisations 200]
       [--seed 1] [--time-reports] [--explain]

Creates the schema (create_all) and loads the four shipped courses, then adds LEARNERS learners
spread over ORGANISATIONS organisations (a few big ones, many small, as partner networks are),
their enrolments (each course with probability 0.8), lesson progress (half finish a course,
the others stop part-way: about 2 million rows for 50,000 learners), module-quiz attempts
(1 to 3 each, within the quiz's maximum, scores around the pass mark), completions, demographics
for a share of learners, and learning records (xAPI statements) for completions. Rows are
bulk-inserted: COPY on PostgreSQL, executemany in large transactions on SQLite.

--time-reports then signs in as an admin through the real app (test client) and times the
dashboard (programme-wide and filtered) and the CSV and XLSX exports, then refreshes the report
facts as the periodic job does and times the dashboards again: before and after; --explain prints the query plans of the slowest SQL
statements those requests ran (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite),
flagging sequential scans of big tables. For the report on scale, not for CI: CI runs a small
version (tests/production/test_scale.py).
"""

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "correct horse battery staple"  # noqa: S105 - the generated accounts' shared test password
COUNTRIES = ("LB", "JO", "EG", "TN", "MA", "PS", "IQ", "SY", "YE", "TR", "SD", "LY", "FR", "ES", "SN", "ML")
LOCALES = ("ar", "ar", "ar", "en", "en", "fr", "es", "tr")
GENDERS = ("female", "male", "other", None)
AGE_BANDS = ("18_24", "25_34", "35_44", "45_54", "55_64", None)


def build_app(database_url: str, instance: Path):
    """Return the app on this database (production settings, a throwaway secret key)."""
    from config import Config
    from lms.app import create_app

    return create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=str(instance),
        SECRET_KEY="scale-data-not-secret",  # noqa: S106 - a local measurement app
        SESSION_COOKIE_SECURE=False,
        RATELIMIT_ENABLED=False,
        WTF_CSRF_ENABLED=False,
    )


class Writer:
    """Bulk-insert rows into tables: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, db) -> None:
        self.db = db
        self.engine = db.engine
        self.counts: Counter = Counter()

    def _complete(self, table, rows: list[dict]) -> list[str]:
        """Fill the NOT NULL columns the generator did not set from their Python defaults."""
        columns = list(rows[0])
        for column in table.columns:
            if column.name in rows[0] or column.nullable or column.primary_key or column.server_default:
                continue
            if column.default is None:
                raise ValueError(f"{table.name}.{column.name} needs a value")
            arg = column.default.arg
            for row in rows:
                row[column.name] = arg(None) if callable(arg) else arg
            columns.append(column.name)
        return columns

    def insert(self, name: str, rows: list[dict]) -> None:
        """Insert rows (all with the same keys) into a table."""
        if not rows:
            return
        table = self.db.metadata.tables[name]
        columns = self._complete(table, rows)
        if self.engine.dialect.name == "postgresql":
            self._copy(table, columns, rows)
        else:
            with self.engine.begin() as conn:
                for start in range(0, len(rows), 20_000):
                    conn.execute(table.insert(), rows[start : start + 20_000])
        self.counts[name] += len(rows)

    def _copy(self, table, columns: list[str], rows: list[dict]) -> None:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(tuple(_pg_value(row[c]) for c in columns))
            raw.commit()
        finally:
            raw.close()

    def reset_sequences(self, names: list[str]) -> None:
        """Move PostgreSQL id sequences past the ids given explicitly."""
        if self.engine.dialect.name != "postgresql":
            return
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            for name in names:  # the generator's own table names, not input
                query = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM \"{name}\"), 1))"  # noqa: S608
                conn.execute(sa.text(query))
            conn.execute(sa.text("ANALYZE"))


def _pg_value(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):  # an enum
        return value.value
    return value


def organisation_sizes(rng: random.Random, learners: int, organisations: int) -> list[int]:
    """Split learners over organisations with a long tail (a few networks hold many)."""
    weights = [1 / (rank + 1) ** 0.8 for rank in range(organisations)]
    total = sum(weights)
    sizes = [max(1, int(learners * w / total)) for w in weights]
    sizes[0] += learners - sum(sizes)
    return sizes


def generate(app, *, learners: int, organisations: int, seed: int) -> Counter:
    """Create the schema, the courses and the programme's data; return the row counts."""
    from lms.accounts.models import Role
    from lms.core.security import hash_password
    from lms.courses import services as course_services
    from lms.extensions import db
    from lms.records import services as records

    rng = random.Random(seed)
    with app.app_context():
        db.create_all()
        for folder in sorted((ROOT / "courses").iterdir()):
            if (folder / "course.toml").exists():
                course_services.import_path(folder)
        db.session.commit()
        courses = [
            (
                SimpleNamespace(
                    id=course.id, slug=course.slug, default_locale=course.default_locale, titles=course.titles
                ),
                [
                    SimpleNamespace(
                        lessons=[SimpleNamespace(slug=lesson.slug) for lesson in module.lessons],
                        quiz=module.quiz
                        and SimpleNamespace(
                            id=module.quiz.id,
                            max_attempts=module.quiz.max_attempts,
                            pass_mark=module.quiz.pass_mark,
                        ),
                    )
                    for module in course_services.load_outline(course)
                ],
            )
            for course in course_services.catalog()
        ]
        password_hash = hash_password(PASSWORD)  # one real hash: the same for every account
        db.session.rollback()  # end the read transaction: SQLite lets only one writer in
        db.session.remove()
        writer = Writer(db)
        now = datetime.now(UTC).replace(microsecond=0)
        start = now - timedelta(days=540)
        site = app.config["SITE_URL"]

        writer.insert(
            "organisations",
            [
                {
                    "id": n,
                    "name": f"Partner organisation {n:03d}",
                    "country": rng.choice(COUNTRIES),
                    "created_at": start,
                }
                for n in range(1, organisations + 1)
            ],
        )
        users, memberships, demographics = [], [], []
        enrolments, progress, attempts, statements = [], [], [], []
        user_id = 10  # leave room for a few staff accounts made by hand
        attempt_id = 0
        enrolment_id = 0
        for organisation_id, size in enumerate(organisation_sizes(rng, learners, organisations), start=1):
            for _ in range(size):
                user_id += 1
                joined = start + timedelta(days=rng.uniform(0, 500))
                public_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                username = f"learner{user_id:06d}"
                users.append(
                    {
                        "id": user_id,
                        "public_id": public_id,
                        "username": username,
                        "username_key": username,
                        "password_hash": password_hash,
                        "display_name": "",
                        "locale": rng.choice(LOCALES),
                        "role": Role.LEARNER,
                        "is_disabled": False,
                        "is_erased": False,
                        "is_discreet": False,
                        "has_pending_recovery_codes": False,
                        "created_at": joined,
                    }
                )
                memberships.append(
                    {
                        "id": user_id,
                        "user_id": user_id,
                        "organisation_id": organisation_id,
                        "created_at": joined,
                    }
                )
                if rng.random() < 0.6:
                    demographics.append(
                        {
                            "id": user_id,
                            "user_id": user_id,
                            "gender": rng.choice(GENDERS),
                            "age_band": rng.choice(AGE_BANDS),
                            "is_shared": True,
                            "updated_at": joined,
                        }
                    )
                for course, modules in courses:
                    if rng.random() >= 0.8:
                        continue
                    enrolment_id += 1
                    enrolled = joined + timedelta(days=rng.uniform(0, 20))
                    share = 1.0 if rng.random() < 0.5 else rng.random()
                    lessons = [lesson for module in modules for lesson in module.lessons]
                    done_count = round(len(lessons) * share)
                    moment = enrolled
                    done = set()
                    for lesson in lessons[:done_count]:
                        moment += timedelta(minutes=rng.uniform(5, 60 * 24 * 3))
                        done.add(lesson.slug)
                        progress.append(
                            {
                                "user_id": user_id,
                                "course_id": course.id,
                                "lesson_slug": lesson.slug,
                                "completed_at": moment,
                            }
                        )
                    all_passed = True
                    for module in modules:
                        if module.quiz is None:
                            continue
                        if not all(lesson.slug in done for lesson in module.lessons):
                            all_passed = False
                            continue
                        quiz = module.quiz
                        tries = rng.choice((1, 1, 1, 2, 2, 3))
                        if quiz.max_attempts:
                            tries = min(tries, quiz.max_attempts)
                        passed = False
                        for number in range(1, tries + 1):
                            attempt_id += 1
                            score = min(100.0, max(0.0, rng.gauss(quiz.pass_mark + 5 * number, 15)))
                            passed = score >= quiz.pass_mark
                            moment += timedelta(minutes=rng.uniform(2, 30))
                            attempts.append(
                                {
                                    "id": attempt_id,
                                    "user_id": user_id,
                                    "quiz_id": quiz.id,
                                    "number": number,
                                    "locale": course.default_locale,
                                    "layout": [],
                                    "started_at": moment - timedelta(minutes=10),
                                    "submitted_at": moment,
                                    "graded_at": moment,
                                    "score": round(score, 1),
                                    "is_passed": passed,
                                    "needs_marking": False,
                                }
                            )
                            if passed:
                                break
                        all_passed = all_passed and passed
                    completed = moment if done_count == len(lessons) and all_passed else None
                    registration = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    enrolments.append(
                        {
                            "id": enrolment_id,
                            "user_id": user_id,
                            "course_id": course.id,
                            "enrolled_at": enrolled,
                            "last_activity_at": moment,
                            "last_lesson_slug": lessons[done_count - 1].slug if done_count else None,
                            "completed_at": completed,
                            "registration": registration,
                        }
                    )
                    if completed:
                        # The same builder and validation as the app's own records.
                        statement_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                        course_activity = course_services.course_activity(course.slug, course.titles)
                        body = records.statement_body(
                            statement_id=statement_id,
                            actor_public_id=public_id,
                            verb="completed",
                            obj=course_activity,
                            timestamp=completed,
                            home_page=site,
                            result={"completion": True},
                            context=records.Context(registration=registration),
                        )
                        records.validate(body)
                        statements.append(
                            {
                                "id": statement_id,
                                "actor_id": public_id,
                                "verb": body["verb"]["id"],
                                "object_id": course_activity.id,
                                "body": body,
                                "stored_at": completed,
                                "send_attempts": 0,
                            }
                        )
            if len(progress) > 400_000:  # keep memory bounded
                _flush(writer, users, memberships, demographics, enrolments, progress, attempts, statements)
        _flush(writer, users, memberships, demographics, enrolments, progress, attempts, statements)
        names = [
            "organisations",
            "users",
            "memberships",
            "learner_demographics",
            "enrolments",
            "lesson_progress",
        ]
        writer.reset_sequences([*names, "attempts"])
        db.engine.dispose()
        return writer.counts


def _flush(writer, *tables) -> None:
    names = (
        "users",
        "memberships",
        "learner_demographics",
        "enrolments",
        "lesson_progress",
        "attempts",
        "statements",
    )
    for name, rows in zip(names, tables, strict=True):
        if name in writer.db.metadata.tables:
            writer.insert(name, rows)
        rows.clear()


# Timing the reports ------------------------------------------------------------------------------


class QueryLog:
    """Record every SQL statement an engine runs, with its time."""

    def __init__(self, engine) -> None:
        import sqlalchemy as sa

        self.engine = engine
        self.entries: list[tuple[float, str, object]] = []
        self._started: dict[int, float] = {}
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = self._started.pop(id(cursor), None)
        if started is not None and not executemany:
            self.entries.append((time.perf_counter() - started, statement, parameters))

    def summary(self, since: int) -> str:
        """Describe the statements run since entry `since`: how many, their time, the costliest shape."""
        entries = self.entries[since:]
        by_shape: dict[str, list[float]] = {}
        for took, statement, _parameters in entries:
            by_shape.setdefault(" ".join(statement.split())[:90], []).append(took)
        shape, times = max(by_shape.items(), key=lambda item: sum(item[1]), default=("", [0.0]))
        return (
            f"{len(entries)} SQL statements, {sum(e[0] for e in entries) * 1000:.0f} ms in the database driver; "
            f"costliest: {len(times)} x {shape!r} = {sum(times) * 1000:.0f} ms"
        )

    def slowest(self, count: int) -> list[tuple[float, str, object]]:
        """Return the slowest distinct statements."""
        seen, result = set(), []
        for entry in sorted(self.entries, key=lambda e: -e[0]):
            if entry[1] not in seen and entry[1].lstrip().upper().startswith(("SELECT", "WITH")):
                seen.add(entry[1])
                result.append(entry)
            if len(result) == count:
                break
        return result


DASHBOARDS = [
    ("dashboard", "/reports/"),
    ("dashboard, one course", "/reports/?course=civil-society"),
    ("dashboard, one organisation", "/reports/?organisation=1"),
    ("dashboard, one country", "/reports/?country=LB"),
    ("dashboard, in progress", "/reports/?status=in_progress"),
    ("dashboard, enrolled in 2026", "/reports/?since=2026-01-01&until=2026-12-31"),
]
EXPORTS = [
    ("completions.csv", "/reports/completions.csv"),
    ("completions.xlsx", "/reports/completions.xlsx"),
]


def _time(client, log: QueryLog, label: str, method: str, path: str, repeat: int) -> float | None:
    best, reply, body, since = None, None, b"", 0
    for _ in range(repeat):
        since = len(log.entries)
        started = time.perf_counter()
        reply = client.open(path, method=method)
        body = reply.get_data()
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
    if reply.status_code != 200:
        print(f"  {label}: HTTP {reply.status_code} (skipped)")
        return None
    print(f"  {label:30} {best * 1000:9.0f} ms  ({len(body) / 1024:.0f} KiB); last run: {log.summary(since)}")
    return best


def time_reports(app, *, explain: bool, exports: bool = True, repeat: int = 2) -> dict[str, float]:
    """Sign in as an admin through the app and time the dashboards and exports.

    The dashboards are timed twice: before (added up from the records, as before the report
    facts existed) and after the periodic job's refresh (added up from the stored facts).
    """
    import sqlalchemy as sa

    from lms.accounts import services as account_services
    from lms.accounts.models import Role
    from lms.extensions import db
    from lms.reports import services as report_services
    from lms.reports.models import ReportRefresh

    with app.app_context():
        db.create_all()  # a database generated before the report facts existed gets their tables
        db.session.execute(sa.delete(ReportRefresh))  # before: no stored facts, the live figures
        username = f"scale-admin-{uuid.uuid4().hex[:6]}"
        admin = account_services.register(username, PASSWORD, role=Role.ADMIN)
        admin.has_pending_recovery_codes = False
        db.session.commit()
        log = QueryLog(db.engine)
    client = app.test_client()
    reply = client.post("/login", data={"username": username, "password": PASSWORD})
    assert reply.status_code == 303, reply.status_code
    timings = {}
    print(f"before: dashboards added up from the records (best of {repeat}):")
    for label, path in DASHBOARDS:
        timings[f"{label} (before)"] = _time(client, log, label, "GET", path, repeat)
    for label, path in EXPORTS if exports else ():
        timings[label] = _time(client, log, label, "POST", path, repeat)
    with app.app_context():
        started = time.perf_counter()
        rows = report_services.refresh_report_facts()
        db.session.commit()
        took = time.perf_counter() - started
    timings["refresh"] = took
    print(
        f"refresh of the report facts (the job run every 5 minutes): {rows} enrolments in {took * 1000:.0f} ms"
    )
    print(f"after: dashboards added up from the stored facts (best of {repeat}):")
    for label, path in DASHBOARDS:
        timings[f"{label} (after)"] = _time(client, log, label, "GET", path, repeat)
    if explain:
        with app.app_context():
            explain_slowest(db.engine, log)
    return {label: took for label, took in timings.items() if took is not None}


def explain_slowest(engine, log: QueryLog, count: int = 6) -> None:
    """Print the plans of the slowest statements, flagging sequential scans of big tables."""
    import sqlalchemy as sa

    postgres = engine.dialect.name == "postgresql"
    for took, statement, parameters in log.slowest(count):
        print(f"\n-- {took * 1000:.0f} ms: {' '.join(statement.split())[:300]}")
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        raw = engine.raw_connection()
        try:
            if postgres:
                raw.autocommit = False  # EXPLAIN ANALYZE runs the statement: roll it back after
            cursor = raw.cursor()
            cursor.execute(prefix + statement, parameters or ())
            rows = cursor.fetchall()
        except Exception as error:  # a plan we cannot get is reported, not fatal
            print(f"   (no plan: {error!r})")
            continue
        finally:
            raw.rollback()
            raw.close()
        for row in rows:
            line = row[0] if postgres else row[-1]
            flag = ""
            if ("Seq Scan" in line or line.startswith("SCAN ")) and any(
                big in line for big in ("lesson_progress", "attempts", "enrolments", "statements", "users")
            ):
                flag = "   <-- full scan of a big table"
            print(f"   {line}{flag}")
    del sa


def main() -> int:
    """Generate, then optionally time and explain."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of an EMPTY database")
    parser.add_argument(
        "--instance", type=Path, default=Path(tempfile.gettempdir()) / "tamkeen-scale-instance"
    )
    parser.add_argument("--learners", type=int, default=50_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-generate", action="store_true", help="time an already filled database")
    parser.add_argument("--time-reports", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--skip-exports", action="store_true", help="time the dashboards only")
    args = parser.parse_args()
    app = build_app(args.database, args.instance)
    if not args.skip_generate:
        started = time.perf_counter()
        counts = generate(app, learners=args.learners, organisations=args.organisations, seed=args.seed)
        took = time.perf_counter() - started
        print(f"generated in {took:.0f} s on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}:")
        for name, rows in sorted(counts.items()):
            print(f"  {name:22} {rows:10d}")
    if args.time_reports or args.explain:
        time_reports(app, explain=args.explain, exports=not args.skip_exports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
