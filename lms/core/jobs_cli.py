"""`flask jobs ...`: run the worker, list and retry failed jobs."""

import json

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from lms.core.jobs import FailedJob

jobs_cli = AppGroup("jobs", help="Run background jobs and inspect the ones that failed.")


def _state():
    return current_app.extensions["jobs"]


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at once (threads).")
def worker(workers):
    """Run queued and periodic jobs until stopped (Ctrl+C or SIGTERM finish the current jobs)."""
    state = _state()
    if state.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is set: jobs run inside the request, no worker is needed.")
    consumer = state.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


@jobs_cli.command("run-pending")
def run_pending():
    """Run every job queued now, in this process, then exit."""
    state = _state()
    with current_app.app_context():
        moved = state.move_deferred()
        state.db.session.commit()
    count = state.run_pending()
    click.echo(f"{count} job(s) run ({moved} moved from the database first).")


@jobs_cli.command("failed")
def failed():
    """List the jobs that failed their last retry, newest first."""
    rows = _state().db.session.scalars(sa.select(FailedJob).order_by(FailedJob.id.desc())).all()
    if not rows:
        click.echo("No failed jobs.")
    for row in rows:
        click.echo(f"{row.id}\t{row.failed_at:%Y-%m-%d %H:%M:%S}\t{row.name}\t{row.error}")


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
def retry(job_id):
    """Queue a failed job again and remove it from the failed list."""
    state = _state()
    row = state.db.session.get(FailedJob, job_id)
    if row is None:
        raise click.ClickException(f"No failed job {job_id}.")
    job = state.queue.jobs.get(row.name)
    if job is None:
        raise click.ClickException(f"The job {row.name} no longer exists in this version.")
    job.enqueue(*json.loads(row.arguments))
    state.db.session.delete(row)
    state.db.session.commit()
    click.echo(f"Queued {row.name} again.")
