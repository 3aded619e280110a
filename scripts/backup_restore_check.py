#!/usr/bin/env python3
"""Back up a Tamkeen PostgreSQL database with pg_dump, restore it into a new database, compare.

Usage: scripts/backup_restore_check.py [--database URL] [--keep-dump FILE]

URL defaults to LMS_DATABASE_URL (then LMS_TEST_DATABASE_URL). The dump is pg_dump's custom
format (-Fc), the same command docs/deploy.md gives for the nightly backup. It is restored with
pg_restore into a scratch database on the same server, every table's row count is compared
with the original's, and the scratch database is dropped. Exits 0 when every table matches:
a backup is only known to be good once it has been restored like this.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def libpq_url(url: str) -> str:
    """Turn a SQLAlchemy URL (postgresql+psycopg://) into a libpq one."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def with_database(url: str, name: str) -> str:
    """Return the same server URL naming another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def tool(name: str) -> str:
    """Find a PostgreSQL client program."""
    found = shutil.which(name) or next(
        iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None
    )
    if not found:
        sys.exit(f"{name} not found: install postgresql-client")
    return str(found)


def row_counts(url: str) -> dict[str, int]:
    """Return {table: rows} for every table of the public schema."""
    import psycopg

    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        # Table names come from the catalog, not from input.
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def check(url: str, keep_dump: Path | None = None) -> list[str]:
    """Dump, restore into a scratch database, compare row counts; return the differences."""
    import psycopg

    source = libpq_url(url)
    scratch = f"restore_check_{os.getpid()}_{int(time.time())}"
    target = with_database(source, scratch)
    with tempfile.TemporaryDirectory(prefix="tamkeen-backup-") as tmp:
        dump = keep_dump or Path(tmp) / "tamkeen.dump"
        started = time.monotonic()
        subprocess.run([tool("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), "-d", source], check=True)
        dumped = time.monotonic() - started
        with psycopg.connect(with_database(source, "postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{scratch}"')
        try:
            started = time.monotonic()
            subprocess.run(
                [tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", target, str(dump)], check=True
            )
            restored = time.monotonic() - started
            before, after = row_counts(source), row_counts(target)
        finally:
            with psycopg.connect(with_database(source, "postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        size = dump.stat().st_size
    print(
        f"dump {size / 1024:.0f} KiB in {dumped:.1f} s, restore in {restored:.1f} s; "
        f"{len(before)} tables, {sum(before.values())} rows"
    )
    differences = [
        f"{table}: {before.get(table)} rows in the database, {after.get(table)} restored"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]
    if not before:
        differences.append("the database has no tables: nothing was checked")
    return differences


def main() -> int:
    """Run the check on the database named by the arguments or the environment."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", default=os.environ.get("LMS_DATABASE_URL") or os.environ.get("LMS_TEST_DATABASE_URL")
    )
    parser.add_argument("--keep-dump", type=Path, help="write the dump here and keep it")
    args = parser.parse_args()
    if not args.database or not args.database.startswith("postgresql"):
        sys.exit("Give a PostgreSQL database: --database URL or LMS_DATABASE_URL.")
    differences = check(args.database, args.keep_dump)
    for line in differences:
        print(line)
    print("restore check: OK" if not differences else "restore check: FAILED")
    return 0 if not differences else 1


if __name__ == "__main__":
    sys.exit(main())
