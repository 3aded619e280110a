"""Quiz services: banks from GIFT, attempts with integrity, grading, feedback, pre/post gain.

Services take the acting user, never touch the request, and flush; the caller commits once.
"""

from __future__ import annotations

import math
import random
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import quote

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from lms.accounts import permissions
from lms.accounts import services as account_services
from lms.core.db import utcnow
from lms.core.i18n import text_direction
from lms.extensions import db
from lms.quizzes import gift, parity, scoring, types
from lms.quizzes.models import (
    FEEDBACK_MODES,
    GRADING_MODES,
    KINDS,
    MAX_ANSWER_LENGTH,
    MAX_ESSAY_LENGTH,
    PHASES,
    QUESTION_TYPES,
    Attempt,
    InvalidSubmission,
    Question,
    Quiz,
    QuizError,
    Response,
    is_scored,
    question_to_data,
    render_text,
)
from lms.quizzes.statistics import (
    ALL,
    FLAGS,
    ItemStat,
    OptionStat,
    QuizAnalysis,
    item_analysis,
)
from lms.quizzes.statistics import CSV_HEADER as ITEM_ANALYSIS_CSV_HEADER
from lms.quizzes.statistics import write_csv as write_item_analysis_csv
from lms.records import services as records

__all__ = [
    "ALL",
    "FLAGS",
    "ITEM_ANALYSIS_CSV_HEADER",
    "ItemStat",
    "OptionStat",
    "QuizAnalysis",
    "item_analysis",
    "write_item_analysis_csv",
    "question_activity",
    "quiz_activity",
    "AlreadyMarked",
    "AssessmentScores",
    "AttemptSummary",
    "AttemptView",
    "BankError",
    "BankProblem",
    "InvalidSubmission",
    "NoAttemptsLeft",
    "NotAllowed",
    "PendingEssay",
    "QuestionResult",
    "QuestionView",
    "QuizError",
    "Result",
    "ResultView",
    "assessment_scores",
    "attempt_history",
    "attempt_view",
    "attempts_left",
    "best_result",
    "check_banks",
    "export_user_data",
    "get_attempt",
    "get_quiz",
    "get_response",
    "has_passed",
    "mark_essay",
    "open_attempt",
    "passed_quizzes_select",
    "pending_essays",
    "quiz_for_activity",
    "replace_bank",
    "result_view",
    "results_for",
    "start_attempt",
    "submit_attempt",
]

DEFAULT_SETTINGS: dict[str, Any] = {
    "pass_mark": 70,
    "max_attempts": 0,
    "shuffle": False,
    "shuffle_choices": True,
    "questions_per_attempt": None,
    "feedback": "after_submit",
    "grading": "highest",
}
# Form fields that are not answers (Flask-WTF's hidden token).
IGNORED_FIELDS = frozenset({"csrf_token"})
MAX_COMMENT_LENGTH = 5_000
_START_TRIES = 5


class NoAttemptsLeft(QuizError):
    """The learner has used every attempt this quiz allows (answer 403 or show a message)."""


class NotAllowed(QuizError):
    """The acting user may not do this to this object (answer 404 or 403)."""


class AlreadyMarked(QuizError):
    """The essay has a mark already; a mark is final."""


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


# Banks ----------------------------------------------------------------------------------------


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
) -> tuple[dict[str, list[types.Question]], list[BankProblem]]:
    problems: list[BankProblem] = []
    parsed: dict[str, list[types.Question]] = {}
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


# Attempts -------------------------------------------------------------------------------------


def _check_phase(quiz: Quiz, phase: str | None) -> None:
    if quiz.kind == "assessment" and phase not in PHASES:
        raise QuizError("an assessment attempt is a 'pre' or a 'post' attempt")
    if quiz.kind == "module" and phase is not None:
        raise QuizError("only an assessment has pre and post attempts")


def _attempts(user_id: int, quiz_id: int) -> list[Attempt]:
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
        attempts = _attempts(user.id, quiz.id)
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
            layout=_freeze(quiz, locale, rng or secrets.SystemRandom()),
        )
        try:
            with db.session.begin_nested():
                db.session.add(attempt)
        except IntegrityError:
            continue  # another request took this number: look again
        records.record(user, "attempted", quiz_activity(quiz), language=locale)
        return attempt
    raise QuizError(_("The quiz is busy; try again in a moment."))


def _units(questions: list[types.Question]) -> tuple[list, list[list], list]:
    """Split into intro descriptions, [descriptions..., question] units, closing descriptions."""
    scored = [index for index, q in enumerate(questions) if is_scored(q)]
    if not scored:
        return questions, [], []
    units: list[list[types.Question]] = []
    pending: list[types.Question] = []
    for question in questions[scored[0] : scored[-1] + 1]:
        pending.append(question)
        if is_scored(question):
            units.append(pending)
            pending = []
    return questions[: scored[0]], units, questions[scored[-1] + 1 :]


def _freeze(quiz: Quiz, locale: str, rng: random.Random) -> list[dict[str, Any]]:
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


def _questions_for(attempt: Attempt) -> dict[str, types.Question]:
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
    found: dict[str, types.Question] = {}
    for row in sorted(rows, key=lambda r: r.locale == attempt.locale):
        found[row.qid] = row.parsed
    return found


@dataclass(frozen=True)
class _Entry:
    name: str
    number: int | None
    entry: dict[str, Any]
    question: types.Question


def _entries(attempt: Attempt, questions: dict[str, types.Question]) -> list[_Entry]:
    entries, number = [], 0
    for index, entry in enumerate(attempt.layout, start=1):
        question = questions.get(entry["qid"])
        if question is None:
            continue
        scored = is_scored(question)
        number += scored
        entries.append(_Entry(f"q{index}", number if scored else None, entry, question))
    return entries


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
        for item in _entries(attempt, _questions_for(attempt)):
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
        raise NotAllowed(_("This attempt is not yours."))


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
    items = _entries(attempt, _questions_for(attempt))
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
    _grade(attempt, user)
    return attempt


def _grade(attempt: Attempt, learner) -> None:
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


# Essays ---------------------------------------------------------------------------------------


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


def pending_essays(quiz: Quiz) -> list[PendingEssay]:
    """Return the quiz's essays that wait for a mark, oldest first (two queries)."""
    rows = db.session.execute(
        sa.select(Response, Attempt)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(Attempt.quiz_id == quiz.id, Response.fraction.is_(None), Attempt.submitted_at.is_not(None))
        .order_by(Attempt.submitted_at, Response.id)
    ).all()
    texts = {
        (row.qid, row.locale): row.parsed
        for row in db.session.scalars(
            sa.select(Question).where(Question.quiz_id == quiz.id, Question.qtype == "essay")
        )
    }
    essays = []
    for response, attempt in rows:
        question = texts.get((response.qid, attempt.locale)) or texts.get((response.qid, quiz.default_locale))
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
    return essays


def mark_essay(marker, response: Response, fraction: float, comment: str = "") -> Response:
    """Mark an essay (0 to 1) once; the attempt's grade is final when its last essay is marked."""
    if not permissions.has_role(marker, permissions.MARKERS):
        raise NotAllowed(_("Only trainers mark essays."))
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
        _grade(attempt, learner)
    return response


def question_activity(quiz: Quiz, qid: str, name: dict[str, str] | None = None) -> records.Activity:
    """Return one question of a quiz as an xAPI activity."""
    return records.Activity(f"{quiz.activity_id}/{quote(str(qid), safe='')}", "question", name or {})


def quiz_activity(quiz: Quiz) -> records.Activity:
    """Return a quiz as an xAPI activity (named by the domain that gave its IRI)."""
    return records.Activity(quiz.activity_id, "assessment")


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


# Results --------------------------------------------------------------------------------------


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


def _feedback_html(question: types.Question, texts: Iterable[str]) -> tuple[Markup, ...]:
    formats = {a.feedback: a.feedback_format for a in reversed(question.answers) if a.feedback}
    return tuple(render_text(text, formats.get(text) or question.text_format) for text in texts)


def _shows_feedback(quiz: Quiz, user_id: int) -> bool:
    if quiz.feedback == "after_submit":
        return True
    if quiz.feedback == "once_passed":
        return _result(quiz, _attempts(user_id, quiz.id)).has_passed
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
            for item in _entries(attempt, _questions_for(attempt)):
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


def attempts_left(user, quiz: Quiz) -> int | None:
    """Return how many attempts the user may still start (None: unlimited)."""
    return best_result(user, quiz).attempts_left


def has_passed(user, quiz: Quiz) -> bool:
    """Tell whether the user has passed the quiz (a pass is never taken back)."""
    return best_result(user, quiz).has_passed


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
        for a in _attempts(user.id, quiz.id)
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
    attempts = _attempts(user.id, quiz.id)
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
