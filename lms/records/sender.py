"""Deliver the outbox to a learning record store (LRS): batches, retries with backoff, resumable.

Pages only ever write statements to the database; this module is run by the `flask records
send` worker, never in a request. The delivery state lives on each statement row
(``exported_at``, ``send_attempts``, ``next_send_at``, ``last_error``), so a worker that stops,
crashes or is restarted picks up exactly where it was. Statements keep their ids, and an LRS
stores a statement id once (xAPI 1.0.3, 2.1.3): sending one again, after a timeout or by
`flask records resend`, is harmless.
"""

import base64
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from lms.core.db import utcnow
from lms.extensions import db
from lms.records.models import Statement

log = logging.getLogger(__name__)
XAPI_VERSION = "1.0.3"


class LrsNotConfigured(RuntimeError):
    """No LMS_XAPI_LRS_URL is set."""


@dataclass(frozen=True)
class Lrs:
    """Where and how to post statements."""

    url: str
    username: str | None
    password: str | None
    timeout: float
    batch_size: int
    retry_seconds: int
    max_retry_seconds: int

    @property
    def statements_url(self) -> str:
        """Return the LRS's statements resource."""
        return self.url.rstrip("/") + "/statements"


@dataclass
class Outcome:
    """What one round of sending did."""

    sent: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        """Return how many statements were tried."""
        return self.sent + self.failed


class DeliveryError(Exception):
    """The LRS did not take a batch: unreachable, slow, or it answered with an error."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def configured_lrs() -> Lrs | None:
    """Return the configured LRS, or None when learning records stay local."""
    config = current_app.config
    url = config.get("XAPI_LRS_URL")
    if not url:
        return None
    return Lrs(
        url=url,
        username=config.get("XAPI_LRS_USERNAME"),
        password=config.get("XAPI_LRS_PASSWORD"),
        timeout=float(config.get("XAPI_LRS_TIMEOUT_SECONDS", 20)),
        batch_size=max(1, int(config.get("XAPI_LRS_BATCH_SIZE", 100))),
        retry_seconds=max(1, int(config.get("XAPI_LRS_RETRY_SECONDS", 30))),
        max_retry_seconds=max(1, int(config.get("XAPI_LRS_MAX_RETRY_SECONDS", 6 * 3600))),
    )


def post(lrs: Lrs, bodies: list[dict]) -> None:
    """POST statements to the LRS; raise DeliveryError unless it stored (or already had) them all."""
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's LRS setting
        lrs.statements_url,
        data=json.dumps(bodies, ensure_ascii=False).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json", "X-Experience-API-Version": XAPI_VERSION},
    )
    if lrs.username is not None:
        token = base64.b64encode(f"{lrs.username}:{lrs.password or ''}".encode()).decode("ascii")
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=lrs.timeout) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as error:
        detail = error.read(300).decode("utf-8", "replace")
        raise DeliveryError(f"HTTP {error.code}: {detail}", error.code) from None
    except (OSError, TimeoutError) as error:  # refused, unreachable, timed out, reset
        raise DeliveryError(f"{type(error).__name__}: {error}") from None


def backoff(lrs: Lrs, attempts: int) -> timedelta:
    """Return the wait before the next try: the first retry delay, doubled each time, capped."""
    return timedelta(seconds=min(lrs.max_retry_seconds, lrs.retry_seconds * 2 ** max(0, attempts - 1)))


def _due(lrs: Lrs, now: datetime) -> list[Statement]:
    query = (
        sa.select(Statement)
        .where(
            Statement.exported_at.is_(None),
            sa.or_(Statement.next_send_at.is_(None), Statement.next_send_at <= now),
        )
        .order_by(Statement.stored_at, Statement.id)
        .limit(lrs.batch_size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Two workers never post the same rows: each skips what the other holds.
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


def _fail(lrs: Lrs, rows: list[Statement], error: DeliveryError, now: datetime) -> None:
    for row in rows:
        row.send_attempts += 1
        row.next_send_at = now + backoff(lrs, row.send_attempts)
        row.last_error = str(error)[:500]
    log.warning("the LRS did not take %d statement(s): %s", len(rows), error)


def _deliver(lrs: Lrs, rows: list[Statement], now: datetime, outcome: Outcome) -> None:
    try:
        post(lrs, [row.body for row in rows])
    except DeliveryError as error:
        if (
            error.status is not None
            and 400 <= error.status < 500
            and error.status not in (401, 403, 429)
            and len(rows) > 1
        ):
            # The LRS refuses a batch for one statement it does not like: find it, send the rest.
            for row in rows:
                _deliver(lrs, [row], now, outcome)
            return
        _fail(lrs, rows, error, now)
        outcome.failed += len(rows)
        return
    for row in rows:
        row.exported_at, row.next_send_at, row.last_error = now, None, None
    outcome.sent += len(rows)


def send_due(lrs: Lrs | None = None, *, now: datetime | None = None) -> Outcome:
    """Post one batch of the statements that are due; record what happened (flushes)."""
    lrs = lrs or configured_lrs()
    if lrs is None:
        raise LrsNotConfigured("LMS_XAPI_LRS_URL is not set")
    now = now or utcnow()
    outcome = Outcome()
    rows = _due(lrs, now)
    if rows:
        _deliver(lrs, rows, now, outcome)
    db.session.flush()
    return outcome


def day_start(day: date) -> datetime:
    """Return midnight UTC at the start of a day."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def mark_for_resend(since: date, until: date) -> int:
    """Queue the statements stored on these days (inclusive) to be sent again; return how many."""
    result = db.session.execute(
        sa.update(Statement)
        .where(
            Statement.stored_at >= day_start(since),
            Statement.stored_at < day_start(until + timedelta(days=1)),
        )
        .values(exported_at=None, send_attempts=0, next_send_at=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


@dataclass(frozen=True)
class Backlog:
    """The outbox at a glance, for operators."""

    sent: int
    waiting: int
    retrying: int
    oldest_waiting: datetime | None
    last_error: str | None


def backlog() -> Backlog:
    """Count sent, waiting and retrying statements (two queries)."""
    waiting = Statement.exported_at.is_(None)
    sent, pending, retrying, oldest = db.session.execute(
        sa.select(
            sa.func.count().filter(Statement.exported_at.is_not(None)),
            sa.func.count().filter(waiting),
            sa.func.count().filter(waiting, Statement.send_attempts > 0),
            sa.func.min(sa.case((waiting, Statement.stored_at))),
        )
    ).one()
    last_error = db.session.scalar(
        sa.select(Statement.last_error)
        .where(waiting, Statement.last_error.is_not(None))
        .order_by(Statement.next_send_at.desc())
        .limit(1)
    )
    return Backlog(sent, pending, retrying, oldest, last_error)
