"""gunicorn settings for Tamkeen: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment (GUNICORN_*), so one file serves a small
single-server install, several app servers behind nginx, the tests and the benchmarks alike.
The app's own settings come from LMS_* variables (see config.py and docs/deploy.md).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Processes use the cores; threads in each hide the waits on PostgreSQL. On 2 cores, 2 workers
# x 4 threads and 5 sync workers served the lesson page at rates within the noise of each other
# (bench/lesson_page.py --workers/--threads); threads take less memory and keep connections
# alive behind nginx. A CPU-heavy request (a certificate PDF) holds only its own process.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
# A request may take this long (a large export, a certificate PDF) before its worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# SIGTERM lets requests in flight finish for this long before the workers are stopped.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Replace workers now and then, so a slow leak in a library never grows without bound; not too
# often, since a new worker starts with cold caches (course outlines, page chrome, prepared SQL).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# nginx on the same host is the only proxy whose X-Forwarded-* headers count (see LMS_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# No client address in the access log: the request line, status, size and time only.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '"%(r)s" %(s)s %(b)s %(L)ss'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def on_starting(server):
    """Refuse to start when the rate limits would be counted per worker (memory:// store)."""
    from lms.core.security import limiter_store_problem

    enabled = os.environ.get("LMS_RATELIMIT_ENABLED", "true").strip().lower() in {"1", "true", "yes", "on"}
    problem = limiter_store_problem(
        os.environ.get("LMS_RATELIMIT_STORAGE_URI", "memory://"), server.cfg.workers, enabled=enabled
    )
    if problem:
        raise SystemExit(problem)


# Heartbeat files in memory, not on a disk that may stall (or be full).
SHM = "/dev/shm"  # noqa: S108 - memory-backed, only for the heartbeat files
worker_tmp_dir = SHM if os.path.isdir(SHM) else None
