"""The learner's side of a task: drafts and their attachment, submitted versions, the feedback on
them, and where a learner stands on each task."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Required, TypedDict, Unpack

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from lms.core.db import utcnow
from lms.extensions import db
from lms.records import services as records
from lms.tasks import rubric
from lms.tasks.definitions import activity, section_keys
from lms.tasks.errors import OverWordLimit, TaskError
from lms.tasks.files import CheckedFile
from lms.tasks.models import Attachment, Review, Submission, SubmissionVersion, Task
from lms.tasks.peers import request_peer_work


def get_submission(user, task: Task) -> Submission | None:
    """Return the user's submission for a task (with its versions and reviews), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(Submission)
        .where(Submission.task_id == task.id, Submission.user_id == user.id)
        .options(selectinload(Submission.versions).selectinload(SubmissionVersion.reviews))
    )


def _answers(task: Task, form: Mapping[str, str]) -> dict[str, str]:
    answers = {}
    for key in section_keys(task):
        text = (form.get(key) or "").replace("\r\n", "\n").strip()
        if len(text) > rubric.MAX_ANSWER_LENGTH:
            raise TaskError(_("A section is too long to be saved."))
        answers[key] = text
    return answers


def _own_submission(user, task: Task, locale: str, context: str | None) -> Submission:
    submission = get_submission(user, task)
    if submission is None:
        submission = Submission(task_id=task.id, user_id=user.id, locale=locale, context=context, draft={})
        db.session.add(submission)
        db.session.flush()
    return submission


def save_draft(
    user,
    task: Task,
    form: Mapping[str, str],
    *,
    locale: str,
    context: str | None = None,
    attachment: CheckedFile | None = None,
) -> Submission:
    """Keep the learner's draft (any length) and its attachment; a version waiting for review is frozen."""
    answers = _answers(task, form)
    submission = _own_submission(user, task, locale, context)
    if submission.status in ("submitted", "approved"):
        raise TaskError(_("This task is waiting for review or already approved: it cannot be changed now."))
    submission.draft = answers
    submission.locale = locale
    submission.updated_at = utcnow()
    if attachment is not None:
        if not task.has_attachments:
            raise TaskError(_("This task takes no attachment."))
        # One file with a draft: a new upload replaces the last.
        db.session.execute(
            sa.delete(Attachment).where(
                Attachment.submission_id == submission.id, Attachment.version_id.is_(None)
            )
        )
        db.session.add(
            Attachment(
                submission_id=submission.id,
                filename=attachment.filename,
                content_type=attachment.content_type,
                size=len(attachment.data),
                data=attachment.data,
            )
        )
    db.session.flush()
    return submission


def attachments(submission: Submission | None) -> dict[int | None, Attachment]:
    """Return a submission's attachments by version id (None: the draft's), without their bytes."""
    if submission is None:
        return {}
    rows = db.session.scalars(sa.select(Attachment).where(Attachment.submission_id == submission.id))
    return {a.version_id: a for a in rows}


def get_attachment(submission: Submission, attachment_id: int) -> Attachment | None:
    """Return one of this submission's attachments (another submission's is not found)."""
    return db.session.scalar(
        sa.select(Attachment).where(Attachment.id == attachment_id, Attachment.submission_id == submission.id)
    )


class Where(TypedDict, total=False):
    """Where a draft is written, as `save_draft` takes it: its language, context and attachment."""

    locale: Required[str]
    context: str | None
    attachment: CheckedFile | None


def submit(user, task: Task, form: Mapping[str, str], **where: Unpack[Where]) -> SubmissionVersion:
    """Save the draft (as `save_draft`), then freeze it as a version for review; too long, it stays a draft."""
    submission = save_draft(user, task, form, **where)
    answers = submission.draft
    if not any(answers.values()):
        raise TaskError(_("Write your answer before you submit it."))
    words = rubric.word_count(answers)
    if task.word_limit and words > task.word_limit:
        raise OverWordLimit(
            ngettext(
                "Your answer has %(words)d words; the limit is %(num)d word. Your draft is saved: "
                "shorten it and submit again.",
                "Your answer has %(words)d words; the limit is %(num)d words. Your draft is saved: "
                "shorten it and submit again.",
                task.word_limit,
                words=words,
            )
        )
    number = len(submission.versions) + 1
    version = SubmissionVersion(
        submission_id=submission.id,
        number=number,
        answers=dict(answers),
        word_count=words,
        submitted_at=utcnow(),
    )
    submission.versions.append(version)
    submission.status = "submitted"
    submission.submitted_at = version.submitted_at
    submission.lock += 1
    db.session.flush()
    # The draft's attachment goes with the version it was submitted with.
    db.session.execute(
        sa.update(Attachment)
        .where(Attachment.submission_id == submission.id, Attachment.version_id.is_(None))
        .values(version_id=version.id)
    )
    records.record(user.public_id, "submitted", activity(task))
    if task.review == "mentor+peer":
        request_peer_work(user, task)
    return version


@dataclass(frozen=True)
class Feedback:
    """A version with the mentor's review and the peers' advice, as the learner sees it."""

    version: SubmissionVersion
    mentor: Review | None
    peers: list[Review]


def feedback(submission: Submission | None) -> list[Feedback]:
    """Return every version of a submission, newest first, with its reviews (no reviewer named)."""
    if submission is None:
        return []
    result = []
    for version in reversed(submission.versions):
        mentor = next((r for r in version.reviews if r.kind == "mentor"), None)
        result.append(Feedback(version, mentor, [r for r in version.reviews if r.kind == "peer"]))
    return result


def version_changes(submission: Submission, number: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return what changed from version number-1 to number."""
    by_number = {v.number: v for v in submission.versions}
    if number not in by_number or number - 1 not in by_number:
        return []
    return rubric.changes(by_number[number - 1].answers, by_number[number].answers)


def approval_status(user, task_ids: Iterable[int]) -> dict[int, bool]:
    """Return, per task that requires approval, whether the user's submission is approved (one query)."""
    ids = list(task_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Task.id, Submission.status)
        .outerjoin(Submission, sa.and_(Submission.task_id == Task.id, Submission.user_id == user.id))
        .where(Task.id.in_(ids), Task.requires_approval.is_(True))
    ).all()
    return {task_id: status == "approved" for task_id, status in rows}


def unapproved_tasks_select(user_id) -> sa.Select:
    """Return a SELECT of the ids of tasks that require approval and are not approved for a user.

    `user_id` is a value or a bind parameter of a statement built once and reused.
    """
    approved = sa.select(Submission.id).where(
        Submission.task_id == Task.id, Submission.user_id == user_id, Submission.status == "approved"
    )
    return sa.select(Task.id).where(Task.requires_approval.is_(True), ~approved.exists())


def statuses(user, task_ids: Iterable[int]) -> dict[int, str]:
    """Return the user's submission status per task (tasks not started are absent)."""
    ids = list(task_ids)
    if not ids or user is None or not getattr(user, "is_authenticated", False):
        return {}
    return dict(
        db.session.execute(
            sa.select(Submission.task_id, Submission.status).where(
                Submission.user_id == user.id, Submission.task_id.in_(ids)
            )
        ).all()
    )
