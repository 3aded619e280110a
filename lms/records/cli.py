"""`flask records ...`: deliver learning records to the configured learning record store.

`send` is the long-running worker (one per deployment is enough; more are safe on PostgreSQL);
`resend` queues a date range again; `status` shows the backlog. See docs/deploy.md.
"""

import signal
import time
from datetime import date

import click
from flask.cli import AppGroup

from lms.extensions import db
from lms.records import sender

records_cli = AppGroup("records", help="Send learning records (xAPI) to a learning record store.")


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint=name) from None


def _lrs() -> sender.Lrs:
    lrs = sender.configured_lrs()
    if lrs is None:
        raise click.ClickException("LMS_XAPI_LRS_URL is not set: learning records stay in the database.")
    return lrs


@records_cli.command("send")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron or a test).")
@click.option("--idle", default=5.0, show_default=True, help="Seconds to wait when nothing is due.")
def send(once, idle):
    """Post stored statements to the LRS in batches until stopped; failures are retried with backoff."""
    lrs = _lrs()
    stopping = []
    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stopping.append(True))
    total = sender.Outcome()
    while not stopping:
        try:
            outcome = sender.send_due(lrs)
            db.session.commit()
        except Exception:
            db.session.rollback()  # the database is away: the rows stay due; try again later
            if once:
                raise
            time.sleep(idle)
            continue
        total.sent += outcome.sent
        total.failed += outcome.failed
        if outcome.attempted == lrs.batch_size and outcome.failed == 0:
            continue  # more may be waiting: no pause
        if once:
            if outcome.attempted == 0 or outcome.failed:
                break
            continue
        # Nothing due, or the LRS is failing: each row waits its own backoff; poll again soon.
        time.sleep(idle)
    click.echo(f"Sent {total.sent} statements; {total.failed} failed and will be retried.")


@records_cli.command("resend")
@click.option("--since", required=True, help="First day, YYYY-MM-DD (UTC).")
@click.option("--until", required=True, help="Last day, YYYY-MM-DD (UTC), included.")
def resend(since, until):
    """Queue the statements stored in a date range to be sent again (the LRS keeps one copy of each)."""
    first, last = _day(since, "--since"), _day(until, "--until")
    if last < first:
        raise click.BadParameter("--until is before --since", param_hint="--until")
    _lrs()
    count = sender.mark_for_resend(first, last)
    db.session.commit()
    click.echo(f"Queued {count} statements to be sent again; `flask records send` sends them.")


@records_cli.command("status")
def status():
    """Show how many statements are sent, waiting and being retried."""
    backlog = sender.backlog()
    click.echo(f"sent: {backlog.sent}\nwaiting: {backlog.waiting} (retrying: {backlog.retrying})")
    if backlog.oldest_waiting:
        click.echo(f"oldest waiting: {backlog.oldest_waiting.isoformat()}")
    if backlog.last_error:
        click.echo(f"last error: {backlog.last_error}")
