"""The mentor's side of a task: the review queue and a mentor's rubric review and decision, once."""

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from lms.accounts import services as accounts
from lms.core.db import utcnow
from lms.extensions import db
from lms.records import services as records
from lms.tasks import rubric
from lms.tasks.definitions import activity
from lms.tasks.errors import AlreadyReviewed, TaskError
from lms.tasks.models import Review, Submission, SubmissionVersion
from lms.tasks.rubric import InvalidReview


def review_queue(
    task_ids: Iterable[int],
    *,
    contexts: Iterable[str] | None = None,
    locale: str | None = None,
    learners: Iterable[sa.Select | Iterable[int]] = (),
) -> sa.Select:
    """Return the select of submissions waiting for a mentor on these tasks, oldest first.

    Each of `learners` (ids, or a select of user ids) narrows it to those learners' work. The
    caller runs it, or pages it (`lms.core.pagination.paginate`).
    """
    query = (
        sa.select(Submission)
        .where(Submission.task_id.in_(list(task_ids)), Submission.status == "submitted")
        .options(selectinload(Submission.task), selectinload(Submission.versions))
        .order_by(Submission.submitted_at, Submission.id)
    )
    if contexts is not None:
        query = query.where(Submission.context.in_(list(contexts)))
    if locale:
        query = query.where(Submission.locale == locale)
    for among in learners:
        query = query.where(Submission.user_id.in_(among if isinstance(among, sa.Select) else list(among)))
    return query


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
    records.record(author, "scored", activity(task), result=result)
    if decision == "approved":
        records.record(author, "approved", activity(task), result={"success": True})
    return review


def submission_author_public_id(submission: Submission) -> str:
    """Return the opaque public id of a submission's author (for learning records)."""
    return accounts.get_user(submission.user_id).public_id
