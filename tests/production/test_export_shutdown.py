"""SIGTERM during a large export: the download in flight completes, nothing is left behind.

`systemctl stop` or a deploy sends SIGTERM to gunicorn's master; the workers finish the requests
they hold (within graceful_timeout) and exit. A manager downloading a large completions export at
that moment gets the whole file, and the export's temporary file is gone afterwards.
"""

import csv
import io
import os
import signal
import threading
import time

import pytest

from tests.production.harness import Browser
from tests.production.marks import production

pytestmark = production


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sigterm_during_a_large_export_lets_it_finish_and_leaves_no_file(make_site, tmp_path, fmt):
    site = make_site(learners=0, scale=3000, admin="export-admin")
    temporary = tmp_path / "server-tmp"
    temporary.mkdir()
    env = site.env()
    env["TMPDIR"] = str(temporary)  # where the export's temporary file goes
    server = site.server(env, workers=1, threads=2)
    manager = Browser(server.url, timeout=120)
    assert manager.sign_in("export-admin").status == 303
    dashboard = manager.get("/reports/")
    assert dashboard.status == 200, "the reports dashboard must answer"
    token = manager.csrf(dashboard)

    result = {}

    def download():
        result["reply"] = manager.post(f"/reports/completions.{fmt}", {"csrf_token": token})

    thread = threading.Thread(target=download)
    started = time.monotonic()
    thread.start()
    time.sleep(0.3)  # the export is being built
    assert thread.is_alive(), "the export finished too fast to be interrupted: make the data larger"
    os.kill(server.process.pid, signal.SIGTERM)
    thread.join(120)
    exit_code = server.process.wait(60)

    reply = result["reply"]
    assert reply.status == 200
    assert len(reply.body) == int(reply.headers["content-length"])
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(reply.body.decode("utf-8-sig"))))
        assert len(rows) > 5000 and len({len(r) for r in rows}) == 1  # every line whole
    else:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(reply.body), read_only=True)
        assert book.active.max_row > 5000
        book.close()
    assert exit_code == 0, server.log_text()[-2000:]
    assert time.monotonic() - started < 60
    assert list(temporary.iterdir()) == []
    assert not [p for p in site.instance.rglob("*") if p.is_file() and "tmp" in p.name]
