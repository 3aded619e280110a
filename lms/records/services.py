"""Write learning records as xAPI statements into the outbox, each validated before it is stored.

A statement names its object with a type from the ADL vocabulary and its context: the module
and course it belongs to (``contextActivities``), the language, and the enrolment it counts
towards (``registration``, one UUID per enrolment). Callers that know the context pass it;
for the rest (a quiz knows nothing of courses) the higher domains answer the
``context_requested`` signal with it.
"""

import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any

from blinker import Namespace
from flask import current_app

from lms.core.db import utcnow
from lms.extensions import db
from lms.records.models import Statement

log = logging.getLogger(__name__)

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "attempted": ADL + "attempted",
    "answered": ADL + "answered",
    "passed": ADL + "passed",
    "failed": ADL + "failed",
    "completed": ADL + "completed",
    "registered": ADL + "registered",
    "experienced": ADL + "experienced",
    "scored": ADL + "scored",
    # Practice tasks: a version handed in, a mentor's approval (its rubric score is "scored").
    "submitted": "http://activitystrea.ms/schema/1.0/submit",
    "approved": "http://activitystrea.ms/schema/1.0/approve",
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "module": "http://adlnet.gov/expapi/activities/module",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "question": "http://adlnet.gov/expapi/activities/question",
    # A practice task: ADL's "performance", an attempted task within a context.
    "task": "http://adlnet.gov/expapi/activities/performance",
    # ADL has no type for a credential; the Total Learning Architecture's is the closest.
    "certificate": "https://w3id.org/xapi/tla/activity-types/credential",
}

_signals = Namespace()
#: Sent with ``user_id=int | None, activity=Activity`` when a statement is recorded without a
#: context; a receiver that knows the activity returns a ``Context`` (or None).
context_requested = _signals.signal("records-context-requested")


class InvalidStatement(ValueError):
    """A statement that xAPI (ralph's models) refuses; nothing is stored."""


@dataclass(frozen=True)
class Activity:
    """An xAPI activity: its IRI, its kind (a key of ``ACTIVITY_TYPES``) and its name by locale."""

    id: str
    kind: str
    name: dict[str, str] = field(default_factory=dict)

    def as_xapi(self) -> dict[str, Any]:
        """Return the activity as a statement object, with its definition."""
        definition: dict[str, Any] = {"type": ACTIVITY_TYPES[self.kind]} if self.kind else {}
        names = {locale: text for locale, text in self.name.items() if text}
        if names:
            definition["name"] = names
        body: dict[str, Any] = {"objectType": "Activity", "id": self.id}
        if definition:
            body["definition"] = definition
        return body


@dataclass(frozen=True)
class Context:
    """Where a statement happened: the enrolment, the language, the activities around it."""

    registration: str | None = None
    language: str | None = None
    parent: tuple[Activity, ...] = ()
    grouping: tuple[Activity, ...] = ()
    # The object's name, when the recording domain cannot know it (a quiz is named by its module).
    object_name: dict[str, str] = field(default_factory=dict, compare=False)

    def as_xapi(self, platform: str) -> dict[str, Any]:
        """Return the statement's ``context``."""
        body: dict[str, Any] = {"platform": platform}
        if self.registration:
            body["registration"] = self.registration
        if self.language:
            body["language"] = self.language
        activities = {}
        if self.parent:
            activities["parent"] = [a.as_xapi() for a in self.parent]
        if self.grouping:
            activities["grouping"] = [a.as_xapi() for a in self.grouping]
        if activities:
            body["contextActivities"] = activities
        return body


def actor_for(public_id: str, home_page: str | None = None) -> dict[str, Any]:
    """Return an xAPI actor identified by an opaque account id, never by e-mail."""
    return {
        "objectType": "Agent",
        "account": {"homePage": home_page or current_app.config["SITE_URL"], "name": public_id},
    }


def statement_body(
    *,
    statement_id: str,
    actor_public_id: str,
    verb: str,
    obj: Activity,
    timestamp: datetime,
    home_page: str,
    result: dict[str, Any] | None = None,
    context: Context | None = None,
) -> dict[str, Any]:
    """Build a statement (pure: the scale generator builds the same shape without an app)."""
    verb_id = VERBS.get(verb, verb)
    body: dict[str, Any] = {
        "id": statement_id,
        "actor": actor_for(actor_public_id, home_page),
        "verb": {"id": verb_id, "display": {"en-US": verb_id.rstrip("/").rsplit("/", 1)[-1]}},
        "object": obj.as_xapi(),
        "context": (context or Context()).as_xapi("Tamkeen"),
        "timestamp": timestamp.isoformat().replace("+00:00", "Z"),  # UTC, as xAPI writes it
        "version": "1.0.3",
    }
    if result:
        body["result"] = result
    return body


@cache
def _statement_model():
    # Imported on first use: ralph's models take about a second to import, which every
    # process start (gunicorn workers, each CLI command) would pay otherwise.
    from ralph.models.xapi.base.statements import BaseXapiStatement

    return BaseXapiStatement


def validate(body: dict[str, Any]) -> None:
    """Check a statement against ralph's xAPI models; raise InvalidStatement (and log) if invalid."""
    from pydantic import ValidationError

    try:
        _statement_model().model_validate(body)
    except ValidationError as error:
        log.error("refused an invalid xAPI statement %s: %s", body.get("id"), error)
        raise InvalidStatement(str(error)) from error


def _resolve(user_id: int | None, obj: Activity) -> Context | None:
    for _receiver, context in context_requested.send(None, user_id=user_id, activity=obj):
        if context is not None:
            return context
    return None


def record(
    actor: Any,
    verb: str,
    obj: Activity | str,
    *,
    result: dict[str, Any] | None = None,
    context: Context | None = None,
    language: str | None = None,
    statement_id: str | None = None,
) -> Statement:
    """Validate one xAPI statement and add it to the outbox (flushes; the caller commits).

    ``actor`` is a user (or the opaque public id of one); ``obj`` an activity (a bare IRI is
    an activity of unknown kind, for tests and scripts). Without a context, the domains that
    know the activity give it (``context_requested``); ``language`` overrides its language.
    """
    actor_public_id = actor if isinstance(actor, str) else actor.public_id
    if isinstance(obj, str):
        obj = Activity(obj, "")
    if context is None:
        context = _resolve(None if isinstance(actor, str) else actor.id, obj)
    if language:
        context = replace(context or Context(), language=language)
    if context is not None and context.object_name and not obj.name:
        obj = replace(obj, name=context.object_name)
    timestamp = utcnow()
    body = statement_body(
        statement_id=statement_id or str(uuid.uuid4()),
        actor_public_id=actor_public_id,
        verb=verb,
        obj=obj,
        timestamp=timestamp,
        home_page=current_app.config["SITE_URL"],
        result=result,
        context=context,
    )
    validate(body)
    statement = Statement(
        id=body["id"],
        actor_id=actor_public_id,
        verb=body["verb"]["id"],
        object_id=obj.id,
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


def rekey_actor(old_public_id: str, new_public_id: str) -> None:
    """Move a learner's statements to a new pseudonym (account erasure); flushes.

    Statements already sent to a learning record store keep the old one there: only this
    outbox, and every export made from it from now on, changes.
    """
    rows = db.session.scalars(db.select(Statement).where(Statement.actor_id == old_public_id))
    for row in rows:
        row.actor_id = new_public_id
        row.body = {**row.body, "actor": actor_for(new_public_id)}
    db.session.flush()
