"""Tasks as course packages define them: created and updated from a package, found by activity IRI,
their answer sections, and a task as a learning-record activity."""

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from lms.core.db import utcnow
from lms.extensions import db
from lms.records import services as records
from lms.tasks.models import Task


def task_for_activity(activity_id: str) -> Task | None:
    """Return the task with this xAPI activity IRI (it outlives a deleted module)."""
    return db.session.scalar(sa.select(Task).where(Task.activity_id == activity_id))


def replace_task(
    task: Task | None, *, activity_id: str, default_locale: str, spec: Mapping[str, Any]
) -> Task:
    """Create or update a task from its package form; submissions and reviews are kept."""
    if task is None:
        task = Task(activity_id=activity_id)
        db.session.add(task)
    task.activity_id = activity_id
    task.default_locale = default_locale
    task.review = spec["review"]
    task.peers = spec["peers"]
    task.word_limit = spec["word_limit"]
    task.has_attachments = spec["attachments"]
    task.requires_approval = spec["requires_approval"]
    task.pass_points = spec["pass_points"]
    task.titles = dict(spec["titles"])
    task.briefs = dict(spec["briefs"])
    task.sections = {loc: [dict(s) for s in sections] for loc, sections in spec["sections"].items()}
    task.criteria = [dict(c) for c in spec["criteria"]]
    task.updated_at = utcnow()
    db.session.flush()
    return task


def section_keys(task: Task) -> list[str]:
    """Return the keys answers are stored under: one per template section, or one "answer"."""
    sections = task.sections.get(task.default_locale) or []
    return [f"s{n}" for n in range(1, len(sections) + 1)] or ["answer"]


def activity(task: Task) -> records.Activity:
    """The task as an xAPI activity (courses adds its module and course as context)."""
    return records.Activity(task.activity_id, "task", dict(task.titles))
