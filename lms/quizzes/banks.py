"""Quiz banks: a quiz and its questions loaded from GIFT banks (one per locale), all or nothing.

Every locale is checked (syntax, ids aligned with the default locale, the same answer key)
before anything is written; questions dropped from a bank are retired, never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

import sqlalchemy as sa

from lms.core.db import utcnow
from lms.extensions import db
from lms.quizzes import gift, parity
from lms.quizzes.errors import QuizError
from lms.quizzes.models import FEEDBACK_MODES, GRADING_MODES, KINDS, Question, Quiz, question_to_data
from lms.quizzes.question_types import is_scored
from lms.quizzes.questions import Question as QuestionData

DEFAULT_SETTINGS: dict[str, Any] = {
    "pass_mark": 70,
    "max_attempts": 0,
    "shuffle": False,
    "shuffle_choices": True,
    "questions_per_attempt": None,
    "feedback": "after_submit",
    "grading": "highest",
}


@dataclass(frozen=True)
class BankProblem:
    """One thing wrong in a bank: its locale, the 1-based line (0: the whole bank) and why."""

    locale: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.locale}: line {self.line}: {self.message}"


class BankError(QuizError):
    """GIFT banks that cannot be loaded; ``problems`` lists every reason, first one in the message."""

    def __init__(self, problems: Sequence[BankProblem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        self.locale, self.line = first.locale, first.line
        super().__init__("\n".join(str(p) for p in self.problems))


def _settings(settings: Mapping[str, Any] | Any) -> dict[str, Any]:
    given = asdict(settings) if is_dataclass(settings) and not isinstance(settings, type) else settings
    unknown = set(given or {}) - set(DEFAULT_SETTINGS)
    if unknown:
        raise QuizError(f"unknown quiz settings: {', '.join(sorted(unknown))}")
    merged = {**DEFAULT_SETTINGS, **(given or {})}

    def is_int(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    checks = {
        "pass_mark": is_int(merged["pass_mark"]) and 0 <= merged["pass_mark"] <= 100,
        "max_attempts": is_int(merged["max_attempts"]) and merged["max_attempts"] >= 0,
        "shuffle": isinstance(merged["shuffle"], bool),
        "shuffle_choices": isinstance(merged["shuffle_choices"], bool),
        "questions_per_attempt": merged["questions_per_attempt"] is None
        or (is_int(merged["questions_per_attempt"]) and merged["questions_per_attempt"] >= 1),
        "feedback": merged["feedback"] in FEEDBACK_MODES,
        "grading": merged["grading"] in GRADING_MODES,
    }
    bad = [key for key, ok in checks.items() if not ok]
    if bad:
        raise QuizError(f"bad quiz settings: {', '.join(f'{key}={merged[key]!r}' for key in bad)}")
    return merged


def _parse_banks(
    banks: Mapping[str, str], default_locale: str
) -> tuple[dict[str, list[QuestionData]], list[BankProblem]]:
    problems: list[BankProblem] = []
    parsed: dict[str, list[QuestionData]] = {}
    if default_locale not in banks:
        problems.append(BankProblem(default_locale, 0, "no bank in the default locale"))
    for locale, text in banks.items():
        if not isinstance(locale, str) or not 2 <= len(locale) <= 8:
            problems.append(BankProblem(str(locale), 0, "a locale is a language code such as en or ar"))
            continue
        errors = gift.check(text)
        if errors:
            problems += [BankProblem(locale, line, message) for line, message in errors]
            continue
        questions = gift.parse(text)
        seen: set[str] = set()
        for number, question in enumerate(questions, start=1):
            if not question.id:
                problems.append(
                    BankProblem(locale, question.line, f"question {number} has no id: give it one as ::id::")
                )
            elif len(question.id) > 200:
                problems.append(BankProblem(locale, question.line, "question ids are at most 200 characters"))
            elif question.id in seen:
                problems.append(
                    BankProblem(locale, question.line, f"question id {question.id} is used twice")
                )
            seen.add(question.id or "")
        if not any(is_scored(q) for q in questions):
            problems.append(BankProblem(locale, 0, "the bank has no question to answer"))
        parsed[locale] = questions
    sources = {q.id: q for q in parsed.get(default_locale, ())}
    reference = {qid: q.qtype for qid, q in sources.items()}
    for locale, questions in parsed.items():
        if locale == default_locale or default_locale not in parsed:
            continue
        ids = {q.id: q for q in questions}
        missing = [qid for qid in reference if qid not in ids]
        if missing:
            problems.append(
                BankProblem(
                    locale,
                    0,
                    f"questions missing from the {default_locale} bank's ids: {', '.join(map(str, missing))}",
                )
            )
        for question in questions:
            if question.id not in reference:
                problems.append(
                    BankProblem(
                        locale,
                        question.line,
                        f"question id {question.id} is not in the {default_locale} bank",
                    )
                )
            elif reference[question.id] != question.qtype:
                problems.append(
                    BankProblem(
                        locale,
                        question.line,
                        f"question {question.id} is {question.qtype} here but {reference[question.id]} in {default_locale}",
                    )
                )
            else:
                # A translation scores exactly as the default locale: same answer key.
                problems += [
                    BankProblem(locale, question.line, message)
                    for message in parity.differences(sources[question.id], question, default_locale)
                ]
    return parsed, problems


def check_banks(banks: Mapping[str, str], default_locale: str) -> list[BankProblem]:
    """Return every problem of a set of GIFT banks (locale -> text); [] when they can be loaded."""
    return _parse_banks(banks, default_locale)[1]


def replace_bank(
    quiz: Quiz | None,
    *,
    kind: str,
    activity_id: str,
    settings: Mapping[str, Any] | Any,
    banks: Mapping[str, str],
    default_locale: str,
) -> Quiz:
    """Create or update a quiz and its questions from GIFT banks; all or nothing.

    Every locale is checked before anything is written (BankError names locale and line).
    Questions dropped from the bank are retired, not deleted, so attempts that used them
    still show and grade.
    """
    if kind not in KINDS:
        raise QuizError(f"unknown quiz kind {kind!r}")
    activity_id = (activity_id or "").strip()
    if not activity_id or len(activity_id) > 500:
        raise QuizError("a quiz needs an activity id (an IRI) of at most 500 characters")
    clean = _settings(settings)
    parsed, problems = _parse_banks(banks, default_locale)
    if problems:
        raise BankError(problems)
    other = quiz_for_activity(activity_id)
    if other is not None and other is not quiz:
        raise QuizError(f"another quiz has the activity id {activity_id}")
    if quiz is None:
        quiz = Quiz(activity_id=activity_id, kind=kind, default_locale=default_locale)
        db.session.add(quiz)
    quiz.kind, quiz.activity_id, quiz.default_locale = kind, activity_id, default_locale
    quiz.locales = [default_locale, *sorted(set(parsed) - {default_locale})]
    quiz.pass_mark, quiz.max_attempts = clean["pass_mark"], clean["max_attempts"]
    quiz.is_shuffled, quiz.questions_per_attempt = clean["shuffle"], clean["questions_per_attempt"]
    # A knowledge check always shuffles its choices: a pre-test where the first choice is
    # always right measures nothing.
    quiz.has_shuffled_choices = clean["shuffle_choices"] or kind == "assessment"
    quiz.feedback, quiz.grading = clean["feedback"], clean["grading"]
    quiz.updated_at = utcnow()
    db.session.flush()

    existing = {
        (row.qid, row.locale): row
        for row in db.session.scalars(sa.select(Question).where(Question.quiz_id == quiz.id))
    }
    kept = set()
    for locale, questions in parsed.items():
        for position, question in enumerate(questions, start=1):
            key = (str(question.id), locale)
            kept.add(key)
            row = existing.get(key)
            if row is None:
                row = Question(quiz_id=quiz.id, qid=key[0], locale=locale)
                db.session.add(row)
            row.position, row.qtype, row.is_retired = position, question.qtype, False
            row.data = question_to_data(question)
    for key, row in existing.items():
        if key not in kept:
            row.is_retired = True
    db.session.flush()
    return quiz


def get_quiz(quiz_id: int) -> Quiz | None:
    """Return a quiz by id."""
    return db.session.get(Quiz, quiz_id)


def quiz_for_activity(activity_id: str) -> Quiz | None:
    """Return the quiz with this xAPI activity id, or None."""
    return db.session.scalar(sa.select(Quiz).where(Quiz.activity_id == activity_id))
