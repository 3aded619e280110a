"""An attempt's layout: the questions drawn and their choice order, frozen at start, read back.

The layout (``Attempt.layout``) names each question by qid with the order of its choices;
the questions themselves are read from the bank in the attempt's locale, so a bank edited
during an open attempt keeps what the learner was shown.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.extensions import db
from lms.quizzes.errors import QuizError
from lms.quizzes.models import Attempt, Question, Quiz
from lms.quizzes.question_types import QUESTION_TYPES, is_scored
from lms.quizzes.questions import Question as QuestionData


def _units(questions: list[QuestionData]) -> tuple[list, list[list], list]:
    """Split into intro descriptions, [descriptions..., question] units, closing descriptions."""
    scored = [index for index, q in enumerate(questions) if is_scored(q)]
    if not scored:
        return questions, [], []
    units: list[list[QuestionData]] = []
    pending: list[QuestionData] = []
    for question in questions[scored[0] : scored[-1] + 1]:
        pending.append(question)
        if is_scored(question):
            units.append(pending)
            pending = []
    return questions[: scored[0]], units, questions[scored[-1] + 1 :]


def freeze(quiz: Quiz, locale: str, rng: random.Random) -> list[dict[str, Any]]:
    """Draw and order a new attempt's questions and their choices; return its layout."""
    rows = db.session.scalars(
        sa.select(Question)
        .where(Question.quiz_id == quiz.id, Question.locale == locale, Question.is_retired.is_(False))
        .order_by(Question.position)
    )
    questions = [row.parsed for row in rows]
    if not questions:
        raise QuizError(_("This quiz has no questions yet."))
    # A description introduces what follows it, so it moves (and is drawn) with that question.
    intro, units, outro = _units(questions)
    count = quiz.questions_per_attempt
    if count and count < len(units):
        drawn = sorted(rng.sample(range(len(units)), count))
        units = [units[index] for index in drawn]
    if quiz.is_shuffled:
        rng.shuffle(units)
    chosen = [*intro, *(q for unit in units for q in unit), *outro]
    choices = quiz.has_shuffled_choices or quiz.kind == "assessment"
    return [{"qid": q.id, **QUESTION_TYPES[q.qtype].freeze(q, rng, choices)} for q in chosen]


def questions_for(attempt: Attempt) -> dict[str, QuestionData]:
    """Return the attempt's questions by qid in its locale (the default locale's if missing)."""
    qids = [entry["qid"] for entry in attempt.layout]
    quiz = attempt.quiz
    rows = db.session.scalars(
        sa.select(Question).where(
            Question.quiz_id == attempt.quiz_id,
            Question.qid.in_(qids),
            Question.locale.in_({attempt.locale, quiz.default_locale}),
        )
    )
    found: dict[str, QuestionData] = {}
    for row in sorted(rows, key=lambda r: r.locale == attempt.locale):
        found[row.qid] = row.parsed
    return found


@dataclass(frozen=True)
class Entry:
    """One question of an attempt: its form name, its number (None: a description), layout entry."""

    name: str
    number: int | None
    entry: dict[str, Any]
    question: QuestionData


def entries(attempt: Attempt, questions: dict[str, QuestionData]) -> list[Entry]:
    """Return the attempt's questions in its order, named q1, q2... and numbered if scored."""
    items, number = [], 0
    for index, entry in enumerate(attempt.layout, start=1):
        question = questions.get(entry["qid"])
        if question is None:
            continue
        scored = is_scored(question)
        number += scored
        items.append(Entry(f"q{index}", number if scored else None, entry, question))
    return items
