"""Write learning records as xAPI statements into the outbox."""

import uuid
from typing import Any

from flask import current_app

from lms.core.db import utcnow
from lms.extensions import db
from lms.records.models import Statement

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "attempted": ADL + "attempted",
    "answered": ADL + "answered",
    "passed": ADL + "passed",
    "failed": ADL + "failed",
    "completed": ADL + "completed",
    "registered": ADL + "registered",
    "experienced": ADL + "experienced",
    # Practice tasks: a version handed in, a mentor's rubric score, a mentor's approval.
    "submitted": "http://activitystrea.ms/schema/1.0/submit",
    "scored": ADL + "scored",
    "approved": "http://activitystrea.ms/schema/1.0/approve",
}


def actor_for(public_id: str) -> dict[str, Any]:
    """Return an xAPI actor identified by an opaque account id, never by e-mail."""
    return {
        "objectType": "Agent",
        "account": {"homePage": current_app.config["SITE_URL"], "name": public_id},
    }


def record(
    actor_public_id: str,
    verb: str,
    object_id: str,
    *,
    name: dict[str, str] | None = None,
    result: dict[str, Any] | None = None,
) -> Statement:
    """Add one xAPI statement to the outbox (flushes; the caller commits)."""
    statement_id = str(uuid.uuid4())
    timestamp = utcnow()
    obj: dict[str, Any] = {"objectType": "Activity", "id": object_id}
    if name:
        obj["definition"] = {"name": dict(name)}
    body: dict[str, Any] = {
        "id": statement_id,
        "actor": actor_for(actor_public_id),
        "verb": {"id": VERBS.get(verb, verb), "display": {"en-US": verb}},
        "object": obj,
        "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
    }
    if result:
        body["result"] = result
    statement = Statement(
        id=statement_id,
        actor_id=actor_public_id,
        verb=body["verb"]["id"],
        object_id=object_id,
        body=body,
        stored_at=timestamp,
    )
    db.session.add(statement)
    db.session.flush()
    return statement


def statements_for(actor_public_id: str) -> list[dict[str, Any]]:
    """Return a learner's statements, oldest first (for their data download)."""
    rows = db.session.scalars(
        db.select(Statement).where(Statement.actor_id == actor_public_id).order_by(Statement.stored_at)
    )
    return [row.body for row in rows]
