"""Large exports stream: a server-side cursor, a chunk at a time, memory flat in the row count."""

import os
import tracemalloc

import pytest
import sqlalchemy as sa

from bench.exports import seed
from lms.reports import completions, queries, services
from lms.reports.filters import PROGRAMME, ReportFilter


def export(fmt="csv") -> int:
    with open(os.devnull, "wb") as sink:
        return services.export_completions(None, PROGRAMME, ReportFilter(), fmt, sink)


def _statements(engine, run) -> list[tuple[str, dict]]:
    """Run an export and return the SELECT statements it sent, with their execution options."""
    sent = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, context.execution_options))

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return sent


def test_rows_come_from_one_server_side_cursor_a_chunk_at_a_time(db, monkeypatch):
    seed(db.session, 2500)
    chunks = []
    execute = completions.execute

    def spy(*args, **kwargs):
        result = execute(*args, **kwargs)
        if kwargs.get("stream_results"):
            partitions = result.partitions

            def counted(size):
                for rows in partitions(size):
                    chunks.append(len(rows))
                    yield rows

            result.partitions = counted
        return result

    monkeypatch.setattr(completions, "execute", spy)
    sent = _statements(db.engine, lambda: export() == 2500 or pytest.fail("row count"))
    assert chunks == [1000, 1000, 500]
    # Every column of every row from ONE statement: nothing is queried per chunk.
    main = [(sql, options) for sql, options in sent if "FROM enrolments" in sql]
    assert len(main) == 1, [sql for sql, _options in sent]
    assert main[0][1].get("stream_results") is True and main[0][1].get("yield_per") == 1000
    assert len(sent) <= 3  # and per export: the courses and their modules


def _peak(fmt: str) -> int:
    tracemalloc.start()
    try:
        export(fmt)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_rows(db):
    seed(db.session, 2000)
    export()  # warm caches (compiled statements, imports) outside the measurement
    small = {fmt: _peak(fmt) for fmt in ("csv", "xlsx")}
    seed(db.session, 4000, prefix="more")  # a second programme: three times the rows in all
    assert queries.count_completions(PROGRAMME, ReportFilter()) == 6000
    large = {fmt: _peak(fmt) for fmt in ("csv", "xlsx")}
    for fmt in ("csv", "xlsx"):
        # Three times the rows, and the peak stays about where it was (a chunk's worth).
        assert large[fmt] < small[fmt] * 1.5 + 256 * 1024, (fmt, small[fmt], large[fmt])
        assert large[fmt] < 16 * 2**20
