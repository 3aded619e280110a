"""Results: a submitted attempt's result page, a learner's standing (best, passed), history and gain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from lms.core.i18n import text_direction
from lms.extensions import db
from lms.quizzes.attempts import user_attempts
from lms.quizzes.errors import QuizError
from lms.quizzes.layout import entries, questions_for
from lms.quizzes.models import Attempt, Quiz, Response
from lms.quizzes.question_types import QUESTION_TYPES
from lms.quizzes.questions import Question as QuestionData
from lms.quizzes.rendering import render_text


@dataclass(frozen=True)
class QuestionResult:
    """One question on the result page: the learner's answer, its mark and feedback."""

    number: int
    qid: str
    qtype: str
    text: Markup
    text_after: Markup
    answer: tuple[Markup, ...]
    fraction: float | None  # None: waiting for a marker
    state: str  # "correct", "partial", "incorrect", "unanswered" or "pending"
    feedback: tuple[Markup, ...]
    general_feedback: Markup
    correct: tuple[Markup, ...]
    comment: str


@dataclass(frozen=True)
class ResultView:
    """A submitted attempt: its score and, when the quiz shows it, per-question feedback."""

    attempt_id: int
    number: int
    locale: str
    dir: str
    score: float
    pass_mark: int
    is_passed: bool
    needs_marking: bool
    shows_feedback: bool
    questions: tuple[QuestionResult, ...]


def _state(response: Response) -> str:
    if response.fraction is None:
        return "pending"
    if response.answer is None:
        return "unanswered"
    if response.fraction >= 1:
        return "correct"
    return "partial" if response.fraction > 0 else "incorrect"


def _feedback_html(question: QuestionData, texts: Iterable[str]) -> tuple[Markup, ...]:
    formats = {a.feedback: a.feedback_format for a in reversed(question.answers) if a.feedback}
    return tuple(render_text(text, formats.get(text) or question.text_format) for text in texts)


def _shows_feedback(quiz: Quiz, user_id: int) -> bool:
    if quiz.feedback == "after_submit":
        return True
    if quiz.feedback == "once_passed":
        return _result(quiz, user_attempts(user_id, quiz.id)).has_passed
    return False


def result_view(attempt: Attempt, locale: str | None = None) -> ResultView:
    """Return a submitted attempt's result, honouring the quiz's feedback setting.

    Questions and feedback are in the attempt's locale; ``locale`` (default: the attempt's)
    is the language of generated labels such as True and False.
    """
    if attempt.submitted_at is None:
        raise QuizError(_("This attempt has not been submitted."))
    quiz = attempt.quiz
    shows = _shows_feedback(quiz, attempt.user_id)
    results = []
    if shows:
        responses = {r.qid: r for r in attempt.responses}
        with force_locale(locale or attempt.locale):
            for item in entries(attempt, questions_for(attempt)):
                response = responses.get(str(item.question.id))
                if response is None or item.number is None:
                    continue
                question, qtype = item.question, QUESTION_TYPES[item.question.qtype]
                results.append(
                    QuestionResult(
                        number=item.number,
                        qid=response.qid,
                        qtype=question.qtype,
                        text=render_text(question.text, question.text_format),
                        text_after=render_text(question.text_after, question.text_format),
                        answer=qtype.describe_answer(question, response.answer),
                        fraction=response.fraction,
                        state=_state(response),
                        feedback=_feedback_html(question, response.feedback),
                        general_feedback=render_text(
                            question.general_feedback,
                            question.general_feedback_format or question.text_format,
                        ),
                        correct=qtype.describe_correct(question),
                        comment=response.comment,
                    )
                )
    return ResultView(
        attempt_id=attempt.id,
        number=attempt.number,
        locale=attempt.locale,
        dir=text_direction(attempt.locale),
        score=attempt.score or 0.0,
        pass_mark=quiz.pass_mark,
        is_passed=attempt.is_passed,
        needs_marking=attempt.needs_marking,
        shows_feedback=shows,
        questions=tuple(results),
    )


@dataclass(frozen=True)
class Result:
    """A learner's standing at one quiz (for an assessment: its post attempts)."""

    quiz_id: int
    score: float | None  # by the quiz's grading method; None: nothing graded yet
    is_passed: bool  # whether that graded attempt passed
    has_passed: bool  # whether any attempt passed: a pass is never taken back
    attempts_used: int
    attempts_left: int | None  # None: unlimited
    graded_number: int | None
    has_open_attempt: bool
    is_pending: bool  # an attempt waits for essay marking


def _result(quiz: Quiz, attempts: Sequence[Attempt]) -> Result:
    if quiz.kind == "assessment":
        attempts = [a for a in attempts if a.phase == "post"]
    graded = sorted((a for a in attempts if a.graded_at is not None), key=lambda a: a.number)
    chosen = None
    if graded:
        if quiz.grading == "last":
            chosen = graded[-1]
        else:
            chosen = max(graded, key=lambda a: (a.score or 0.0, -a.number))
    return Result(
        quiz_id=quiz.id,
        score=chosen.score if chosen else None,
        is_passed=bool(chosen and chosen.is_passed),
        has_passed=any(a.is_passed for a in graded),
        attempts_used=len(attempts),
        attempts_left=max(0, quiz.max_attempts - len(attempts)) if quiz.max_attempts else None,
        graded_number=chosen.number if chosen else None,
        has_open_attempt=any(a.submitted_at is None for a in attempts),
        is_pending=any(a.needs_marking for a in attempts),
    )


def results_for(user, quizzes: Iterable[Quiz]) -> dict[int, Result]:
    """Return each quiz's Result for the user, in one query however many quizzes."""
    quizzes = list(quizzes)
    by_quiz: dict[int, list[Attempt]] = {quiz.id: [] for quiz in quizzes}
    if quizzes and getattr(user, "is_authenticated", False):
        rows = db.session.scalars(
            sa.select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id.in_(list(by_quiz)))
        )
        for attempt in rows:
            by_quiz[attempt.quiz_id].append(attempt)
    return {quiz.id: _result(quiz, by_quiz[quiz.id]) for quiz in quizzes}


def passed_quizzes_select(user_id, quiz_ids) -> sa.Select:
    """Return a SELECT of the ids of the quizzes a user has passed (`Result.has_passed`), to embed.

    `user_id` and `quiz_ids` are values, or bind parameters (expanding for the ids) of a statement
    built once and reused.
    """
    return (
        sa.select(Attempt.quiz_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.user_id == user_id,
            Attempt.quiz_id.in_(quiz_ids),
            Attempt.graded_at.is_not(None),
            Attempt.is_passed.is_(True),
            sa.or_(Quiz.kind != "assessment", Attempt.phase == "post"),
        )
    )


def best_result(user, quiz: Quiz) -> Result:
    """Return the user's Result at a quiz (score by the quiz's grading method)."""
    return results_for(user, [quiz])[quiz.id]


@dataclass(frozen=True)
class AttemptSummary:
    """One attempt in a learner's list."""

    number: int
    phase: str | None
    started_at: datetime
    submitted_at: datetime | None
    score: float | None
    is_passed: bool
    needs_marking: bool


def attempt_history(user, quiz: Quiz) -> list[AttemptSummary]:
    """Return the user's attempts at a quiz, oldest first."""
    return [
        AttemptSummary(a.number, a.phase, a.started_at, a.submitted_at, a.score, a.is_passed, a.needs_marking)
        for a in user_attempts(user.id, quiz.id)
    ]


class AssessmentScores(NamedTuple):
    """Pre and post scores of a course assessment, the gain and the normalised gain."""

    pre: float | None
    post: float | None
    gain: float | None
    normalised_gain: float | None


def assessment_scores(user, quiz: Quiz) -> AssessmentScores:
    """Return (pre, post, gain, normalised gain); the normalised gain is (post - pre) / (100 - pre).

    The pre score is the first graded pre attempt's; the post score follows the quiz's
    grading method. Gains are None when either score is missing, and the normalised gain
    also when the pre score is 100.
    """
    attempts = user_attempts(user.id, quiz.id)
    pre_attempts = [a for a in attempts if a.phase == "pre" and a.graded_at is not None]
    pre = pre_attempts[0].score if pre_attempts else None
    post = _result(quiz, attempts).score
    if pre is None or post is None:
        return AssessmentScores(pre, post, None, None)
    normalised = None if pre >= 100 else (post - pre) / (100 - pre)
    return AssessmentScores(pre, post, post - pre, normalised)


def export_user_data(user) -> list[dict[str, Any]]:
    """Return the user's attempts and answers as JSON-ready data (for their data download)."""
    attempts = db.session.scalars(
        sa.select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.quiz_id, Attempt.number)
    ).all()
    quizzes = {
        q.id: q for q in db.session.scalars(sa.select(Quiz).where(Quiz.id.in_({a.quiz_id for a in attempts})))
    }
    responses: dict[int, list[Response]] = {}
    for row in db.session.scalars(
        sa.select(Response).where(Response.attempt_id.in_([a.id for a in attempts])).order_by(Response.id)
    ):
        responses.setdefault(row.attempt_id, []).append(row)
    return [
        {
            "quiz": quizzes[a.quiz_id].activity_id,
            "number": a.number,
            "phase": a.phase,
            "locale": a.locale,
            "started_at": a.started_at.isoformat(),
            "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
            "score": a.score,
            "passed": a.is_passed,
            "answers": [
                {"question": r.qid, "answer": r.answer, "fraction": r.fraction, "comment": r.comment}
                for r in responses.get(a.id, [])
            ],
        }
        for a in attempts
    ]
