"""A learner's practice-task data: what their download holds, and what erasing them deletes."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.extensions import db
from lms.tasks.models import Attachment, PeerAssignment, Review, Submission, SubmissionVersion
from lms.tasks.submissions import attachments


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
