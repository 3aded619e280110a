"""The job queue: background work (mail, PDFs, clean-ups) declared next to the domain that owns it.

A domain declares a job with the shared `JobQueue` (`lms.extensions.jobs`):

    @jobs.job(retries=5, retry_delay=30)
    def send_mail(to, subject, body): ...

and queues it from a service with `send_mail.enqueue(to, subject, body)`; arguments must be
JSON values. Jobs run in `flask jobs worker` (Huey's consumer) inside an app context, retry with
exponential backoff, and a job that fails its last retry is written to the `failed_jobs` table
(`flask jobs failed`), never dropped silently.

Storage comes from `LMS_JOBS_URL`: `sqlite:///PATH` (the default, a file in the instance folder:
no server to run) or `redis://HOST:PORT/DB` (production, several app servers). When the queue's
storage cannot be reached, `enqueue` keeps the job in the database (`deferred_jobs`, committed with
the request's own changes) and the worker moves it to the queue when it can: the page still
answers and nothing is lost.
"""

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from huey import RedisHuey, SqliteHuey, crontab
from huey.signals import SIGNAL_ERROR, SIGNAL_TIMEOUT
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, utcnow

logger = logging.getLogger(__name__)


class FailedJob(Base):
    """A job that failed its last retry: kept for an operator to read and retry."""

    __tablename__ = "failed_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    arguments: Mapped[str] = mapped_column(sa.Text)  # JSON list
    error: Mapped[str] = mapped_column(sa.Text)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeferredJob(Base):
    """A job queued while the queue's storage was unreachable; the worker moves it on."""

    __tablename__ = "deferred_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    arguments: Mapped[str] = mapped_column(sa.Text)  # JSON list
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job:
    """A declared job: call it to run it here, `enqueue` it to run it in the worker."""

    def __init__(self, queue: "JobQueue", function: Callable, options: dict, name: str | None = None):
        self.queue, self.function, self.options = queue, function, options
        # The job's identity in the queue and in failed_jobs: its dotted path unless given. A job
        # whose code moves keeps its old name, so jobs queued before a deploy still run after it.
        self.name = name or f"{function.__module__}.{function.__qualname__}"
        self.__doc__ = function.__doc__

    def __call__(self, *args):
        return self.function(*args)

    def enqueue(self, *args) -> None:
        """Queue the job with JSON-serialisable arguments (kept in the database if the queue is down)."""
        self.queue.enqueue(self, list(args))


class JobQueue:
    """A Flask extension around Huey; one Huey instance per app, built from its configuration."""

    def __init__(self):
        self.jobs: dict[str, Job] = {}
        self.periodic: list[tuple[Job, dict]] = []

    def job(
        self, *, retries: int = 5, retry_delay: int = 30, timeout: int | None = None, name: str | None = None
    ):
        """Declare a job (decorator); it retries with a doubling delay before it counts as failed."""

        def declare(function: Callable) -> Job:
            options = {"retries": retries, "retry_delay": retry_delay, "timeout": timeout}
            job = Job(self, function, options, name)
            self.jobs[job.name] = job
            return job

        return declare

    def every(self, *, name: str | None = None, **schedule):
        """Declare a periodic job run by the worker (crontab fields: `minute="*/15"`, `hour="3"`)."""

        def declare(function: Callable) -> Job:
            job = Job(self, function, {"retries": 0, "retry_delay": 0, "timeout": None}, name)
            self.periodic.append((job, schedule))
            return job

        return declare

    def init_app(self, app, db) -> None:
        """Build the app's Huey from `JOBS_URL` and register every declared job on it."""
        app.extensions["jobs"] = _State(self, app, db)

    def state(self, app=None) -> "_State":
        """The current app's queue state."""
        from flask import current_app

        return (app or current_app).extensions["jobs"]

    def enqueue(self, job: Job, args: list) -> None:
        """Queue `job`; if the storage is unreachable, keep it in the database instead."""
        state = self.state()
        payload = json.dumps(args)
        if state.immediate:
            job(*json.loads(payload))
            return
        try:
            state.task(job.name)(*json.loads(payload))
        except Exception:  # noqa: BLE001 - any storage failure (Redis down, SQLite locked)
            logger.warning("job queue unreachable: %s kept in the database", job.name)
            session = state.db.session
            session.add(DeferredJob(name=job.name, arguments=payload))
            session.flush()


class _State:
    def __init__(self, queue: JobQueue, app, db):
        self.queue, self.app, self.db = queue, app, db
        self.immediate = bool(app.config.get("JOBS_IMMEDIATE"))
        self.huey = _make_huey(app)
        self._tasks = {}
        self._names = {}  # Huey's task name -> the job's name
        for name, job in queue.jobs.items():
            self._tasks[name] = self.huey.task(
                name=name,
                retries=job.options["retries"],
                retry_delay=job.options["retry_delay"],
                retry_backoff=2,
                timeout=job.options["timeout"],
            )(self._in_app_context(job.function))
            self._names[self._tasks[name].name] = name
        for job, schedule in queue.periodic:
            self.huey.periodic_task(crontab(**schedule), name=job.name)(self._in_app_context(job.function))
        self.huey.periodic_task(crontab(minute="*"), name="lms.core.jobs.move_deferred")(
            self._in_app_context(self.move_deferred)
        )
        self.huey.signal(SIGNAL_ERROR, SIGNAL_TIMEOUT)(self._record_failure)

    def task(self, name: str):
        return self._tasks[name]

    def _in_app_context(self, function: Callable) -> Callable:
        app, db = self.app, self.db

        def run(*args):
            with app.app_context():
                try:
                    result = function(*args)
                    db.session.commit()
                    return result
                finally:
                    db.session.remove()

        run.__name__ = function.__name__
        return run

    def _record_failure(self, signal, task, exc=None) -> None:
        if task.retries:  # Huey retries it; only the last failure counts
            return
        with self.app.app_context():
            session = self.db.session
            try:
                session.add(
                    FailedJob(
                        name=self._names.get(task.name, task.name),
                        arguments=json.dumps(list(task.args)),
                        error=repr(exc)[:4000],
                    )
                )
                session.commit()
            finally:
                session.remove()

    def move_deferred(self) -> int:
        """Queue the jobs kept in the database while the storage was down; return how many."""
        session = self.db.session
        rows = session.scalars(sa.select(DeferredJob).order_by(DeferredJob.id).limit(1000)).all()
        for row in rows:
            self._tasks[row.name](*json.loads(row.arguments))
            session.delete(row)
        session.flush()
        return len(rows)

    def run_pending(self, limit: int = 1000) -> int:
        """Run queued jobs in this process until the queue is empty (CLI and tests); return how many."""
        count = 0
        while count < limit:
            task = self.huey.dequeue()
            if task is None:
                break
            self.huey.execute(task)
            count += 1
        return count


def _make_huey(app):
    url = app.config.get("JOBS_URL") or f"sqlite:///{Path(app.instance_path) / 'jobs.sqlite3'}"
    name = app.config.get("JOBS_NAME", "tamkeen")
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False)
    raise RuntimeError(f"LMS_JOBS_URL must be sqlite:///PATH or redis://HOST:PORT/DB, not {url!r}")
