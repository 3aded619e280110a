"""Practice-task services: tasks from packages, drafts, submissions, reviews, peer allocation.

Services take the acting user, flush, and raise TaskError (the message is for the user) or
rubric.InvalidReview (a tampered form: answer 400); the view or CLI commits once.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.core.db import utcnow
from lms.extensions import db
from lms.records import services as records
from lms.tasks import rubric
from lms.tasks.files import CheckedFile, FileRefused
from lms.tasks.models import Attachment, PeerAssignment, Review, Submission, SubmissionVersion, Task
from lms.tasks.rubric import InvalidReview

__all__ = ["InvalidReview", "TaskError", "AlreadyReviewed", "OverWordLimit", "FileRefused"]


class TaskError(Exception):
    """A task request that cannot be carried out; the message is for the user."""


class OverWordLimit(TaskError):
    """An answer longer than the task allows; the draft was kept."""


class AlreadyReviewed(TaskError):
    """Someone else recorded a decision on this version first."""


# Tasks from course packages -------------------------------------------------------------------


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


# The learner's side ---------------------------------------------------------------------------


def section_keys(task: Task) -> list[str]:
    """Return the keys answers are stored under: one per template section, or one "answer"."""
    sections = task.sections.get(task.default_locale) or []
    return [f"s{n}" for n in range(1, len(sections) + 1)] or ["answer"]


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


def submit(
    user,
    task: Task,
    form: Mapping[str, str],
    *,
    locale: str,
    context: str | None = None,
    attachment: CheckedFile | None = None,
) -> SubmissionVersion:
    """Save the draft, then freeze it as a new version for review; over the limit it stays a draft."""
    submission = save_draft(user, task, form, locale=locale, context=context, attachment=attachment)
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
    records.record(user.public_id, "submitted", _activity(task))
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


def approved_task_ids(user, task_ids: Iterable[int]) -> set[int]:
    """Return which of these tasks the user has had approved (one query)."""
    ids = list(task_ids)
    if not ids or user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            sa.select(Submission.task_id).where(
                Submission.user_id == user.id, Submission.task_id.in_(ids), Submission.status == "approved"
            )
        )
    )


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


# The mentor's side ----------------------------------------------------------------------------


def review_queue(
    task_ids: Iterable[int], *, contexts: Iterable[str] | None = None, locale: str | None = None
) -> list[Submission]:
    """Return submissions waiting for a mentor on these tasks, oldest first."""
    ids = list(task_ids)
    if not ids:
        return []
    query = (
        sa.select(Submission)
        .where(Submission.task_id.in_(ids), Submission.status == "submitted")
        .options(selectinload(Submission.task), selectinload(Submission.versions))
        .order_by(Submission.submitted_at, Submission.id)
    )
    if contexts is not None:
        query = query.where(Submission.context.in_(list(contexts)))
    if locale:
        query = query.where(Submission.locale == locale)
    return list(db.session.scalars(query))


def waiting_count(task_ids: Iterable[int]) -> int:
    """Count the submissions waiting for a mentor on these tasks."""
    ids = list(task_ids)
    if not ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count(Submission.id)).where(
            Submission.task_id.in_(ids), Submission.status == "submitted"
        )
    )


def get_submission_by_id(submission_id: int, task_ids: Iterable[int]) -> Submission | None:
    """Return a submission of one of these tasks (a submission of another task is not found)."""
    return db.session.scalar(
        sa.select(Submission)
        .where(Submission.id == submission_id, Submission.task_id.in_(list(task_ids)))
        .options(selectinload(Submission.versions).selectinload(SubmissionVersion.reviews))
    )


def record_decision(
    mentor, submission: Submission, *, lock: int, form: Mapping[str, str], decision: str
) -> Review:
    """Record a mentor's rubric review and decision on the latest version, once.

    `lock` is the value the mentor's form was drawn from: if another mentor decided since, this
    raises AlreadyReviewed and records nothing. A tampered level or criterion raises InvalidReview.
    """
    task = submission.task
    if decision not in ("approved", "revise"):
        raise InvalidReview("decision")
    scores = rubric.read_scores(task.criteria, form)
    comment = (form.get("comment") or "").strip()
    if len(comment) > rubric.MAX_COMMENT_LENGTH:
        raise InvalidReview("comment")
    if submission.status != "submitted" or submission.lock != lock:
        raise AlreadyReviewed(
            _("This submission was already reviewed: nothing was recorded. Here it is as it stands.")
        )
    points = sum(s.points for s in scores)
    if decision == "approved" and points < task.pass_points:
        raise TaskError(
            _(
                "An approval needs at least %(needed)d points; these levels give %(points)d. "
                "Ask for a revision, or choose the levels again.",
                needed=task.pass_points,
                points=points,
            )
        )
    # The conditional update is the lock: of two mentors, one changes a row and the other none.
    changed = db.session.execute(
        sa.update(Submission)
        .where(Submission.id == submission.id, Submission.lock == lock, Submission.status == "submitted")
        .values(status=decision, lock=lock + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise AlreadyReviewed(
            _("This submission was already reviewed: nothing was recorded. Here it is as it stands.")
        )
    version = db.session.scalars(
        sa.select(SubmissionVersion)
        .where(SubmissionVersion.submission_id == submission.id)
        .order_by(SubmissionVersion.number.desc())
        .limit(1)
    ).one()
    review = Review(
        version_id=version.id,
        reviewer_id=mentor.id,
        kind="mentor",
        scores=[s.__dict__ for s in scores],
        points=points,
        comment=comment,
        decision=decision,
        created_at=utcnow(),
    )
    db.session.add(review)
    db.session.flush()
    db.session.refresh(submission)
    author = submission_author_public_id(submission)
    result = {"score": {"raw": points, "min": 0, "max": rubric.max_points(task.criteria)}}
    records.record(author, "scored", _activity(task), result=result)
    if decision == "approved":
        records.record(author, "approved", _activity(task), result={"success": True})
    return review


def submission_author_public_id(submission: Submission) -> str:
    """Return the opaque public id of a submission's author (for learning records)."""
    return accounts.get_user(submission.user_id).public_id


# Peers ----------------------------------------------------------------------------------------


def request_peer_work(user, task: Task) -> int:
    """Give a learner who has submitted their share of others' work to review; return how many new.

    The same context (course, cohort) only; never their own work, never the same work twice,
    and the work with the fewest reviewers first, so that reviews spread evenly.
    """
    if task.review != "mentor+peer" or task.peers < 1:
        return 0
    own = db.session.scalar(
        sa.select(Submission).where(Submission.task_id == task.id, Submission.user_id == user.id)
    )
    if own is None or own.status == "draft":
        raise TaskError(_("Submit your own answer first: then you can review others'."))
    counts = sa.select(sa.func.count(PeerAssignment.id)).where(PeerAssignment.submission_id == Submission.id)
    rows = db.session.execute(
        sa.select(Submission.id, Submission.user_id, counts.scalar_subquery())
        .where(
            Submission.task_id == task.id,
            Submission.status != "draft",
            Submission.context.is_(None) if own.context is None else Submission.context == own.context,
        )
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
    submission_of = {user_id: submission_id for submission_id, user_id, _count in rows}
    already = set(
        db.session.scalars(
            sa.select(PeerAssignment.author_id)
            .join(Submission, Submission.id == PeerAssignment.submission_id)
            .where(PeerAssignment.reviewer_id == user.id, Submission.task_id == task.id)
        )
    )
    chosen = rubric.choose_for_reviewer(user.id, [(u, c) for _s, u, c in rows], already, task.peers)
    for author in chosen:
        db.session.add(
            PeerAssignment(submission_id=submission_of[author], author_id=author, reviewer_id=user.id)
        )
    db.session.flush()
    return len(chosen)


def peer_assignments(user, task: Task) -> list[PeerAssignment]:
    """Return the submissions the user is asked to review for a task, in the order given."""
    return list(
        db.session.scalars(
            sa.select(PeerAssignment)
            .join(Submission, Submission.id == PeerAssignment.submission_id)
            .where(PeerAssignment.reviewer_id == user.id, Submission.task_id == task.id)
            .order_by(PeerAssignment.id)
        )
    )


def get_peer_assignment(user, task: Task, assignment_id: int) -> PeerAssignment | None:
    """Return one of the user's own assignments on this task (anyone else's is not found)."""
    return next((a for a in peer_assignments(user, task) if a.id == assignment_id), None)


def peer_submission(assignment: PeerAssignment) -> tuple[Submission, SubmissionVersion]:
    """Return the submission under peer review and its latest version."""
    submission = db.session.get(Submission, assignment.submission_id)
    return submission, submission.versions[-1]


def record_peer_review(user, assignment: PeerAssignment, form: Mapping[str, str]) -> Review:
    """Record a peer's rubric scores and comment on the latest version: advice, never a decision."""
    if assignment.reviewer_id != user.id:
        raise TaskError(_("This review is not yours."))
    submission, version = peer_submission(assignment)
    scores = rubric.read_scores(submission.task.criteria, form)
    comment = (form.get("comment") or "").strip()
    if len(comment) > rubric.MAX_COMMENT_LENGTH:
        raise InvalidReview("comment")
    done = db.session.scalar(
        sa.select(Review.id).where(
            Review.version_id == version.id, Review.reviewer_id == user.id, Review.kind == "peer"
        )
    )
    if done:
        raise TaskError(_("You have already reviewed this version."))
    review = Review(
        version_id=version.id,
        reviewer_id=user.id,
        kind="peer",
        scores=[s.__dict__ for s in scores],
        points=sum(s.points for s in scores),
        comment=comment,
        decision=None,
        created_at=utcnow(),
    )
    db.session.add(review)
    assignment.done_at = utcnow()
    db.session.flush()
    return review


# Reports and privacy --------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    """One learner's standing on one task, for exports."""

    status: str
    versions: int
    points: int | None
    submitted_at: Any
    reviewed_at: Any


def standings(task_ids: Iterable[int]) -> dict[tuple[int, int], TaskRow]:
    """Return (task id, user id) -> the learner's standing, in two queries."""
    ids = list(task_ids)
    if not ids:
        return {}
    submissions = db.session.scalars(
        sa.select(Submission)
        .where(Submission.task_id.in_(ids))
        .options(selectinload(Submission.versions).selectinload(SubmissionVersion.reviews))
    ).all()
    rows = {}
    for s in submissions:
        mentor_reviews = [r for v in s.versions for r in v.reviews if r.kind == "mentor"]
        first = s.versions[0].submitted_at if s.versions else None
        rows[(s.task_id, s.user_id)] = TaskRow(
            status=s.status,
            versions=len(s.versions),
            points=mentor_reviews[-1].points if mentor_reviews else None,
            submitted_at=first,
            reviewed_at=mentor_reviews[0].created_at if mentor_reviews else None,
        )
    return rows


def review_days(task_ids: Iterable[int]) -> float | None:
    """Return the median days from a version's submission to its mentor's review."""
    ids = list(task_ids)
    if not ids:
        return None
    pairs = db.session.execute(
        sa.select(SubmissionVersion.submitted_at, Review.created_at)
        .join(Review, Review.version_id == SubmissionVersion.id)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .where(Submission.task_id.in_(ids), Review.kind == "mentor")
    ).all()
    if not pairs:
        return None
    return round(statistics.median((r - s).total_seconds() / 86400 for s, r in pairs), 1)


def export_user_data(user) -> list[dict[str, Any]]:
    """Return the user's submissions, versions and the feedback on them (no reviewer named)."""
    submissions = db.session.scalars(
        sa.select(Submission)
        .where(Submission.user_id == user.id)
        .options(
            selectinload(Submission.task),
            selectinload(Submission.versions).selectinload(SubmissionVersion.reviews),
        )
        .order_by(Submission.id)
    ).all()
    return [
        {
            "task": s.task.activity_id,
            "status": s.status,
            "draft": s.draft,
            "attachments": [a.filename for a in attachments(s).values()],
            "versions": [
                {
                    "number": v.number,
                    "submitted_at": v.submitted_at.isoformat(),
                    "answers": v.answers,
                    "reviews": [
                        {
                            "kind": r.kind,
                            "scores": r.scores,
                            "points": r.points,
                            "comment": r.comment,
                            "decision": r.decision,
                            "at": r.created_at.isoformat(),
                        }
                        for r in v.reviews
                    ],
                }
                for v in s.versions
            ],
        }
        for s in submissions
    ]


def erase_for(user) -> None:
    """Delete the user's submissions (and the feedback on them) and their peer assignments."""
    db.session.execute(sa.delete(PeerAssignment).where(PeerAssignment.reviewer_id == user.id))
    # Advice they gave others stays with its readers, no longer tied to them.
    db.session.execute(sa.update(Review).where(Review.reviewer_id == user.id).values(reviewer_id=None))
    ids = list(db.session.scalars(sa.select(Submission.id).where(Submission.user_id == user.id)))
    if ids:
        versions = sa.select(SubmissionVersion.id).where(SubmissionVersion.submission_id.in_(ids))
        db.session.execute(sa.delete(Review).where(Review.version_id.in_(versions)))
        db.session.execute(sa.delete(Attachment).where(Attachment.submission_id.in_(ids)))
        db.session.execute(sa.delete(SubmissionVersion).where(SubmissionVersion.submission_id.in_(ids)))
        db.session.execute(sa.delete(PeerAssignment).where(PeerAssignment.submission_id.in_(ids)))
        db.session.execute(sa.delete(Submission).where(Submission.id.in_(ids)))
    db.session.flush()


def _activity(task: Task) -> records.Activity:
    """The task as an xAPI activity (courses adds its module and course as context)."""
    return records.Activity(task.activity_id, "task", dict(task.titles))
