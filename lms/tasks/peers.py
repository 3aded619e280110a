"""Peer review: allocating others' work to a learner who has submitted, and a peer's advice."""

from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.core.db import utcnow
from lms.extensions import db
from lms.tasks import rubric
from lms.tasks.errors import TaskError
from lms.tasks.models import PeerAssignment, Review, Submission, SubmissionVersion, Task
from lms.tasks.rubric import InvalidReview


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
