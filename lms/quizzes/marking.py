"""Marking essays: the essays waiting for a mark (blind), and a final mark that completes the grade."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy.orm import contains_eager

from lms.accounts import services as account_services
from lms.accounts.permissions import MARKERS, has_role
from lms.core.db import utcnow
from lms.core.pagination import paginate
from lms.extensions import db
from lms.quizzes.attempts import grade, question_activity
from lms.quizzes.errors import AlreadyMarked, NotAllowed, QuizError
from lms.quizzes.models import Attempt, Question, Quiz, Response
from lms.quizzes.rendering import render_text
from lms.records import services as records

MAX_COMMENT_LENGTH = 5_000


def get_response(response_id: int) -> Response | None:
    """Return a response by id (check its attempt's quiz against the marker's course)."""
    return db.session.get(Response, response_id)


@dataclass(frozen=True)
class PendingEssay:
    """An essay waiting for a mark; anonymous, so marking is blind."""

    response_id: int
    attempt_number: int
    submitted_at: datetime | None
    locale: str
    qid: str
    question: Markup
    answer: Markup


def pending_essays(quizzes: Quiz | Iterable[Quiz], page: int = 1) -> Pagination:
    """Return one page of the essays waiting for a mark in these quizzes, oldest first.

    The page's items are `PendingEssay`s (three queries: the page, the count, the questions).
    """
    by_id = {quiz.id: quiz for quiz in ([quizzes] if isinstance(quizzes, Quiz) else quizzes)}
    found = paginate(
        sa.select(Response)
        .join(Response.attempt)
        .options(contains_eager(Response.attempt))
        .where(
            Attempt.quiz_id.in_(list(by_id)), Response.fraction.is_(None), Attempt.submitted_at.is_not(None)
        )
        .order_by(Attempt.submitted_at, Response.id),
        page=page,
    )
    texts = {
        (row.quiz_id, row.qid, row.locale): row.parsed
        for row in db.session.scalars(
            sa.select(Question).where(
                Question.quiz_id.in_(list(by_id)),
                Question.qtype == "essay",
                Question.qid.in_({response.qid for response in found.items}),
            )
        )
    }
    essays = []
    for response in found.items:
        attempt, quiz = response.attempt, by_id[response.attempt.quiz_id]
        question = texts.get((quiz.id, response.qid, attempt.locale)) or texts.get(
            (quiz.id, response.qid, quiz.default_locale)
        )
        essays.append(
            PendingEssay(
                response_id=response.id,
                attempt_number=attempt.number,
                submitted_at=attempt.submitted_at,
                locale=attempt.locale,
                qid=response.qid,
                question=render_text(question.text, question.text_format) if question else Markup(""),
                answer=render_text(response.answer or "", "plain"),
            )
        )
    found.items = essays
    return found


def mark_essay(marker, response: Response, fraction: float, comment: str = "") -> Response:
    """Mark an essay (0 to 1) once; the attempt's grade is final when its last essay is marked."""
    if not has_role(marker, MARKERS):
        raise NotAllowed(_("Only trainers and programme managers mark essays."))
    if not isinstance(fraction, int | float) or not math.isfinite(fraction) or not 0 <= fraction <= 1:
        raise QuizError(_("A mark is between 0 and 100%."))
    # Lock the attempt first: two markers finishing its last two essays at once must not
    # both (or neither) close the grade.
    attempt = db.session.scalar(
        sa.select(Attempt)
        .where(Attempt.id == response.attempt_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    claimed = db.session.execute(
        sa.update(Response)
        .where(Response.id == response.id, Response.fraction.is_(None), Response.marked_at.is_(None))
        .values(
            fraction=float(fraction),
            comment=(comment or "").strip()[:MAX_COMMENT_LENGTH],
            marked_by_id=marker.id,
            marked_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(response)
    if not claimed:
        raise AlreadyMarked(_("This answer has a mark already; marks are final."))
    learner = account_services.get_user(attempt.user_id) if attempt is not None else None
    if learner is not None:
        _record_mark(learner, attempt, response)
    if attempt is not None and attempt.graded_at is None:
        grade(attempt, learner)
    return response


def _record_mark(learner, attempt: Attempt, response: Response) -> None:
    """Record an essay's mark as the learner's result on that question."""
    question = db.session.scalar(
        sa.select(Question).where(
            Question.quiz_id == attempt.quiz_id,
            Question.qid == response.qid,
            Question.locale == attempt.locale,
        )
    )
    name = {attempt.locale: _plain(question.parsed.text)} if question is not None else {}
    records.record(
        learner,
        "scored",
        question_activity(attempt.quiz, response.qid, {k: v for k, v in name.items() if v}),
        language=attempt.locale,
        result={
            "score": {
                "scaled": round(response.fraction, 6),
                "raw": round(response.fraction, 6),
                "min": 0,
                "max": 1,
            },
            "success": response.fraction >= 0.5,
            "completion": True,
        },
    )


def _plain(text: str, limit: int = 200) -> str:
    """Return a question's text as a one-line name for a learning record."""
    words = " ".join(re.sub(r"<[^>]+>|[*_`#\\]", " ", text or "").split())
    return words if len(words) <= limit else words[: limit - 1] + "…"
