"""Rate limits that hold: gunicorn refuses per-process counters with several workers."""

import os
import subprocess
import sys
from pathlib import Path

from lms.core.security import limiter_store_problem

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _gunicorn(**env: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("LMS_", "GUNICORN_"))}
    return subprocess.run(
        [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT,
        env={**base, "GUNICORN_BIND": "127.0.0.1:0", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_rule():
    assert limiter_store_problem("memory://", 2) is not None
    assert limiter_store_problem("memory://", 1) is None
    assert limiter_store_problem("memcached://10.0.0.10:11211", 8) is None
    assert limiter_store_problem("memory://", 8, enabled=False) is None


def test_gunicorn_refuses_memory_limits_with_several_workers():
    result = _gunicorn(GUNICORN_WORKERS="2", LMS_RATELIMIT_STORAGE_URI="memory://")
    assert result.returncode != 0
    assert "Rate limits would not hold" in result.stderr + result.stdout
    assert "LMS_RATELIMIT_STORAGE_URI" in result.stderr + result.stdout
