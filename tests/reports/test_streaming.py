"""Large exports stream: a server-side cursor, a chunk at a time, memory flat in the row count."""

import os
import tracemalloc

import sqlalchemy as sa

from bench.exports import seed
from lms.reports import completions, queries, services
from lms.reports.filters import PROGRAMME, ReportFilter


def export(fmt="csv") -> int:
    with open(os.devnull, "wb") as sink:
        return services.export_completions(None, PROGRAMME, ReportFilter(), fmt, sink)


def test_rows_come_from_a_server_side_cursor_a_chunk_at_a_time(db, monkeypatch):
    seed(db.session, 2500)
    chunks, options = [], []
    build = completions._build

    def spy(rows, *args):
        chunks.append(len(rows))
        return build(rows, *args)

    def listener(conn, cursor, statement, parameters, context, executemany):
        if "FROM enrolments JOIN users" in statement:
            options.append(context.execution_options)

    monkeypatch.setattr(completions, "_build", spy)
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert export() == 2500
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert chunks == [1000, 1000, 500]
    assert options and options[0].get("stream_results") is True and options[0].get("yield_per") == 1000


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
