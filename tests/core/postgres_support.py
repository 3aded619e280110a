"""Helpers for the PostgreSQL-only tests of tests/core: ending a server process from outside."""

import time

import sqlalchemy as sa


def terminate_backend(url: sa.URL, pid: int, timeout: float = 10) -> None:
    """End the server process `pid` from a connection outside any pool; wait until it is gone."""
    outside = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with outside.connect() as other:
            assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            gone = sa.text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid")
            deadline = time.monotonic() + timeout
            while not other.scalar(gone, {"pid": pid}) and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        outside.dispose()
