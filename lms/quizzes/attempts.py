"""Attempts: start one (its questions and choice order frozen), show it, submit it once, grade it.

The maximum number of attempts and the single submission hold under concurrency; a grade is
final when nothing waits for a marker.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from lms.core.db import utcnow
from lms.core.i18n import text_direction
from lms.extensions import db
from lms.quizzes import scoring
from lms.quizzes.errors import InvalidSubmission, NoAttemptsLeft, NotAllowed, QuizError
from lms.quizzes.layout import entries, freeze, questions_for
from lms.quizzes.models import PHASES, Attempt, Quiz, Response
from lms.quizzes.question_base import MAX_ANSWER_LENGTH, MAX_ESSAY_LENGTH
from lms.quizzes.question_types import QUESTION_TYPES, is_scored
from lms.quizzes.rendering import render_text
from lms.records import services as records

# Form fields that are not answers (Flask-WTF's hidden token).
IGNORED_FIELDS = frozenset({"csrf_token"})
_START_TRIES = 5


def _check_phase(quiz: Quiz, phase: str | None) -> None:
    if quiz.kind == "assessment" and phase not in PHASES:
        raise QuizError("an assessment attempt is a 'pre' or a 'post' attempt")
    if quiz.kind == "module" and phase is not None:
        raise QuizError("only an assessment has pre and post attempts")


def user_attempts(user_id: int, quiz_id: int) -> list[Attempt]:
    """Return the user's attempts at a quiz, oldest first, fresh from the database."""
    # One statement, so the checks and the next number come from one snapshot.
    query = (
        sa.select(Attempt)
        .where(Attempt.user_id == user_id, Attempt.quiz_id == quiz_id)
        .order_by(Attempt.number)
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(query))


def _check_allowed(quiz: Quiz, phase: str | None, same_phase: list[Attempt]) -> None:
    if phase == "pre" and same_phase:
        raise NoAttemptsLeft(_("The pre-assessment is taken once."))
    if phase != "pre" and quiz.max_attempts and len(same_phase) >= quiz.max_attempts:
        raise NoAttemptsLeft(_("You have used every attempt at this quiz."))


def start_attempt(
    user, quiz: Quiz, locale: str, *, phase: str | None = None, rng: random.Random | None = None
) -> Attempt:
    """Start an attempt, or return the open one; freeze its questions and choice order.

    The maximum holds under concurrency: numbers are handed out as max + 1 and are unique
    per learner and quiz, so of two attempts started at once one fails to insert and finds
    the other. The quiz is taken in ``locale`` if it has that bank, else in its default.
    """
    _check_phase(quiz, phase)
    locale = locale if locale in quiz.locales else quiz.default_locale
    for _try in range(_START_TRIES):
        attempts = user_attempts(user.id, quiz.id)
        same_phase = [a for a in attempts if a.phase == phase]
        current = next((a for a in same_phase if a.submitted_at is None), None)
        if current is not None:
            return current
        _check_allowed(quiz, phase, same_phase)
        attempt = Attempt(
            user_id=user.id,
            quiz_id=quiz.id,
            number=max((a.number for a in attempts), default=0) + 1,
            locale=locale,
            phase=phase,
            layout=freeze(quiz, locale, rng or secrets.SystemRandom()),
        )
        try:
            with db.session.begin_nested():
                db.session.add(attempt)
        except IntegrityError:
            continue  # another request took this number: look again
        records.record(user, "attempted", quiz_activity(quiz), language=locale)
        return attempt
    raise QuizError(_("The quiz is busy; try again in a moment."))


def get_attempt(user, quiz: Quiz, number: int) -> Attempt | None:
    """Return the user's attempt with this number at this quiz, or None."""
    return db.session.scalar(
        sa.select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.number == number
        )
    )


def open_attempt(user, quiz: Quiz, *, phase: str | None = None) -> Attempt | None:
    """Return the user's unsubmitted attempt at this quiz (in this phase), or None."""
    return db.session.scalar(
        sa.select(Attempt).where(
            Attempt.user_id == user.id,
            Attempt.quiz_id == quiz.id,
            Attempt.submitted_at.is_(None),
            Attempt.phase.is_(None) if phase is None else Attempt.phase == phase,
        )
    )


@dataclass(frozen=True)
class QuestionView:
    """One question as the form shows it: nothing in it tells the answer.

    ``name`` is the form field (matching uses ``name-1``, ``name-2``... per item, listed in
    ``stems``); ``choices`` and ``options`` are (form value, text) in the frozen order.
    """

    name: str
    number: int | None  # None for a description
    qid: str
    qtype: str
    widget: str | None
    text: Markup
    text_after: Markup
    choices: tuple[tuple[str, Markup], ...] = ()
    stems: tuple[tuple[str, Markup], ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    max_length: int = 0


@dataclass(frozen=True)
class AttemptView:
    """What the attempt form needs: the questions in order, the language and direction."""

    attempt_id: int
    number: int
    locale: str
    dir: str
    is_submitted: bool
    questions: tuple[QuestionView, ...]


def attempt_view(attempt: Attempt) -> AttemptView:
    """Return the attempt's questions as plain data for the form, without any answer."""
    views = []
    with force_locale(attempt.locale):
        for item in entries(attempt, questions_for(attempt)):
            question, qtype = item.question, QUESTION_TYPES[item.question.qtype]
            widget = qtype.view(question, item.entry)
            stems = tuple((f"{item.name}-{key}", html) for key, html in widget.get("stems", ()))
            views.append(
                QuestionView(
                    name=item.name,
                    number=item.number,
                    qid=str(question.id),
                    qtype=question.qtype,
                    widget=qtype.widget,
                    text=render_text(question.text, question.text_format),
                    text_after=render_text(question.text_after, question.text_format),
                    choices=widget.get("choices", ()),
                    stems=stems,
                    options=widget.get("options", ()),
                    max_length=MAX_ESSAY_LENGTH if question.qtype == "essay" else MAX_ANSWER_LENGTH,
                )
            )
    return AttemptView(
        attempt_id=attempt.id,
        number=attempt.number,
        locale=attempt.locale,
        dir=text_direction(attempt.locale),
        is_submitted=attempt.is_submitted,
        questions=tuple(views),
    )


def _form_reader(form: Mapping[str, Any]):
    getlist = getattr(form, "getlist", None)

    def values(name: str) -> list[str]:
        if getlist is not None:
            raw = getlist(name)
        else:
            value = form.get(name)
            raw = [] if value is None else [value] if isinstance(value, str) else list(value)
        if not all(isinstance(v, str) for v in raw):
            raise InvalidSubmission(f"{name}: text expected")
        return raw

    return values


def _own(user, attempt: Attempt) -> None:
    if user is None or getattr(user, "id", None) != attempt.user_id:
        # Someone else's attempt is answered as if it did not exist.
        raise NotAllowed(_("This attempt is not yours."), status=404)


def submit_attempt(
    user, attempt: Attempt, form: Mapping[str, str | list[str]], *, typed_in: str | None = None
) -> Attempt:
    """Grade and close an attempt once; submitting again returns it unchanged.

    ``form`` is the posted form (a MultiDict, or a mapping of name to value or values). A
    field, question or choice the attempt does not have raises InvalidSubmission before
    anything is written. Essays leave the attempt waiting for marking. ``typed_in`` is the
    language the learner typed numbers in (their interface's; by default the attempt's).
    """
    _own(user, attempt)
    if attempt.submitted_at is not None:
        return attempt
    items = entries(attempt, questions_for(attempt))
    expected = set(IGNORED_FIELDS)
    for item in items:
        expected |= QUESTION_TYPES[item.question.qtype].field_names(item.question, item.entry, item.name)
    unknown = set(form.keys()) - expected
    if unknown:
        raise InvalidSubmission(f"fields not in this attempt: {', '.join(sorted(unknown)[:5])}")
    values = _form_reader(form)
    graded = []
    for item in items:
        response = QUESTION_TYPES[item.question.qtype].read(item.question, item.entry, values, item.name)
        if not is_scored(item.question):
            continue
        try:
            result = scoring.score(item.question, response, typed_in or attempt.locale)
        except scoring.InvalidResponse as exc:
            raise InvalidSubmission(str(exc))
        graded.append((item.question, response, result))

    # Claim the attempt: of two submissions at once, only one changes this row.
    claimed = db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if not claimed:
        return attempt
    for question, response, result in graded:
        # An essay left empty needs no marker: it scores 0 like any unanswered question.
        pending = result.needs_manual and response is not None
        db.session.add(
            Response(
                attempt_id=attempt.id,
                qid=str(question.id),
                answer=response,
                fraction=None if pending else result.fraction,
                feedback=list(result.feedback),
            )
        )
    db.session.flush()
    grade(attempt, user)
    return attempt


def grade(attempt: Attempt, learner) -> None:
    """Work out the score from the responses; finish the grade when nothing waits for a marker."""
    rows = db.session.scalars(sa.select(Response).where(Response.attempt_id == attempt.id)).all()
    total = len(rows)
    points = sum(row.fraction or 0.0 for row in rows)
    attempt.score = round(100 * points / total, 6) if total else 0.0
    attempt.needs_marking = any(row.fraction is None for row in rows)
    attempt.is_passed = not attempt.needs_marking and attempt.score >= attempt.quiz.pass_mark
    if not attempt.needs_marking:
        attempt.graded_at = utcnow()
        verb = "passed" if attempt.is_passed else "failed"
        result = {
            "score": {
                "scaled": round(attempt.score / 100, 6),
                "raw": round(points, 6),
                "min": 0,
                "max": total,
            },
            "success": attempt.is_passed,
            "completion": True,
        }
        records.record(learner, verb, quiz_activity(attempt.quiz), result=result, language=attempt.locale)
    db.session.flush()


def question_activity(quiz: Quiz, qid: str, name: dict[str, str] | None = None) -> records.Activity:
    """Return one question of a quiz as an xAPI activity."""
    return records.Activity(f"{quiz.activity_id}/{quote(str(qid), safe='')}", "question", name or {})


def quiz_activity(quiz: Quiz) -> records.Activity:
    """Return a quiz as an xAPI activity (named by the domain that gave its IRI)."""
    return records.Activity(quiz.activity_id, "assessment")
