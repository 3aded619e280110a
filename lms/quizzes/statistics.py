"""Item analysis, as Moodle's quiz statistics: how each question of a quiz performs.

Per question, per language and overall: the facility index (the mean score on the item, the
share right), the discrimination index (Pearson's correlation between the item's score and the
score on the rest of the attempt), the share of attempts choosing each option, and the number of
attempts. Flags point trainers at questions to look at again:

- ``everyone_right``: a facility of 95% or more; the item tells nothing apart;
- ``wrong_option_preferred``: a wrong option is chosen more often than the right one;
- ``answer_position``: the right answer sits at the same place in most multiple-choice items
  of the quiz (in the file; shuffling hides it from learners only when the quiz shuffles).

The database does the counting: four queries, whatever the number of quizzes, questions,
languages and attempts (sums of x, x², y, y², xy per item and language, from which the
correlation follows; sums add up across languages, so "overall" needs no query of its own).
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from lms.extensions import db
from lms.quizzes.models import Attempt, Question, Quiz, Response
from lms.quizzes.questions import Question as QuestionData
from lms.quizzes.rendering import render_text

ALL = ""  # the "language" of the overall figures
CHOICE_TYPES = ("multichoice", "multiresponse", "truefalse")
EVERYONE_RIGHT = "everyone_right"
WRONG_OPTION_PREFERRED = "wrong_option_preferred"
ANSWER_POSITION = "answer_position"
FLAGS = (EVERYONE_RIGHT, WRONG_OPTION_PREFERRED, ANSWER_POSITION)
EASY_FACILITY = 0.95
MIN_ATTEMPTS_TO_FLAG = 5  # fewer attempts say too little to flag an item


@dataclass(frozen=True)
class OptionStat:
    """One option of a choice question: where it is in the file, whether it is right, who chose it."""

    key: str
    position: int  # 1-based, in the quiz file (the order learners see when choices are not shuffled)
    text: str
    is_right: bool
    chosen: int
    share: float | None  # of the attempts that had the question


@dataclass(frozen=True)
class ItemStat:
    """One question in one language (or overall)."""

    number: int
    qid: str
    qtype: str
    text: str
    attempts: int
    facility: float | None
    discrimination: float | None  # None: too few attempts, or everyone scored the same
    options: tuple[OptionStat, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class QuizAnalysis:
    """A quiz's item analysis: attempts and items per language, ``ALL`` for every language."""

    quiz_id: int
    attempts: dict[str, int]
    mean_score: dict[str, float | None]
    items: dict[str, list[ItemStat]]
    # The place most right answers of the multiple-choice items sit at: (position, items, of).
    key_position: tuple[int, int, int] | None = None
    locales: tuple[str, ...] = field(default=())


@dataclass
class _Sums:
    n: int = 0
    x: float = 0.0
    xx: float = 0.0
    y: float = 0.0
    yy: float = 0.0
    xy: float = 0.0

    def add(self, other: _Sums) -> None:
        self.n += other.n
        self.x += other.x
        self.xx += other.xx
        self.y += other.y
        self.yy += other.yy
        self.xy += other.xy

    def facility(self) -> float | None:
        return self.x / self.n if self.n else None

    def correlation(self) -> float | None:
        if self.n < 2:
            return None
        vx = self.xx - self.x * self.x / self.n
        vy = self.yy - self.y * self.y / self.n
        if vx <= 1e-12 or vy <= 1e-12:
            return None
        return max(-1.0, min(1.0, (self.xy - self.x * self.y / self.n) / math.sqrt(vx * vy)))


def plain_text(question: QuestionData, limit: int = 160) -> str:
    """Return a question's text as one plain line."""
    rendered = str(
        render_text(
            question.text + (" … " + question.text_after if question.text_after else ""), question.text_format
        )
    )
    words = " ".join(_strip_tags(rendered).split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def _strip_tags(markup: str) -> str:
    out, inside = [], False
    for char in markup:
        if char == "<":
            inside = True
        elif char == ">":
            inside = False
            out.append(" ")
        elif not inside:
            out.append(char)
    return html.unescape("".join(out))


def _right_keys(question: QuestionData) -> set[str]:
    if question.qtype == "multiresponse":
        return {a.key for a in question.answers if a.fraction > 0}
    best = max((a.fraction for a in question.answers), default=0)
    return {a.key for a in question.answers if best > 0 and a.fraction == best}


def key_position(questions: Iterable[QuestionData]) -> tuple[int, int, int] | None:
    """Return (position, items, of) when most multiple-choice items have their right answer at one place."""
    places = []
    for question in questions:
        if question.qtype != "multichoice":
            continue
        right = [i for i, a in enumerate(question.answers, start=1) if a.key in _right_keys(question)]
        if len(right) == 1:
            places.append(right[0])
    if len(places) < 3:
        return None
    position, count = Counter(places).most_common(1)[0]
    return (position, count, len(places)) if count * 2 > len(places) else None


def _chosen_keys(raw: Any) -> list[str]:
    """Return the option keys in a stored response (JSON text): one key, or a list of them."""
    if raw is None:
        return []
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _graded(quiz_ids: Sequence[int], phase: str | None):
    condition = sa.and_(Attempt.quiz_id.in_(quiz_ids), Attempt.graded_at.is_not(None))
    if phase is not None:
        # Module quizzes have no phase: the filter only narrows knowledge checks.
        condition = sa.and_(condition, sa.or_(Attempt.phase.is_(None), Attempt.phase == phase))
    return condition


def item_analysis(quizzes: Sequence[Quiz], *, phase: str | None = None) -> dict[int, QuizAnalysis]:
    """Return the item analysis of each quiz, from its graded attempts (four queries in all)."""
    ids = [quiz.id for quiz in quizzes]
    if not ids:
        return {}
    defaults = {quiz.id: quiz.default_locale for quiz in quizzes}
    graded = _graded(ids, phase)

    # 1. The questions, in the default locale's order.
    banks: dict[int, list[QuestionData]] = defaultdict(list)
    for row in db.session.scalars(
        sa.select(Question)
        .where(Question.quiz_id.in_(ids), Question.is_retired.is_(False))
        .order_by(Question.quiz_id, Question.position)
    ):
        if row.locale == defaults[row.quiz_id]:
            banks[row.quiz_id].append(row.parsed)

    # 2. Per item and language: n and the sums behind facility and discrimination.
    totals = (
        sa.select(Response.attempt_id, sa.func.sum(Response.fraction).label("total"))
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(graded)
        .group_by(Response.attempt_id)
        .subquery()
    )
    x = sa.func.coalesce(Response.fraction, 0.0)
    y = totals.c.total - x
    sums: dict[tuple[int, str, str], _Sums] = {}
    for quiz_id, qid, locale, n, sx, sxx, sy, syy, sxy in db.session.execute(
        sa.select(
            Attempt.quiz_id,
            Response.qid,
            Attempt.locale,
            sa.func.count(),
            sa.func.sum(x),
            sa.func.sum(x * x),
            sa.func.sum(y),
            sa.func.sum(y * y),
            sa.func.sum(x * y),
        )
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(totals, totals.c.attempt_id == Response.attempt_id)
        .where(graded)
        .group_by(Attempt.quiz_id, Response.qid, Attempt.locale)
    ):
        sums[(quiz_id, qid, locale)] = _Sums(n, sx or 0.0, sxx or 0.0, sy or 0.0, syy or 0.0, sxy or 0.0)

    # 3. Per choice item and language: how many chose each answer (grouped by the stored answer).
    choice_qids = {str(q.id) for bank in banks.values() for q in bank if q.qtype in CHOICE_TYPES}
    chosen: dict[tuple[int, str, str], Counter] = defaultdict(Counter)
    if choice_qids:
        answer = sa.cast(Response.answer, sa.Text)
        for quiz_id, qid, locale, raw, count in db.session.execute(
            sa.select(Attempt.quiz_id, Response.qid, Attempt.locale, answer, sa.func.count())
            .join(Attempt, Attempt.id == Response.attempt_id)
            .where(graded, Response.qid.in_(choice_qids))
            .group_by(Attempt.quiz_id, Response.qid, Attempt.locale, answer)
        ):
            for key in _chosen_keys(raw):
                chosen[(quiz_id, qid, locale)][key] += count

    # 4. Attempts and mean score per quiz and language.
    attempts: dict[int, dict[str, int]] = defaultdict(dict)
    scores: dict[int, dict[str, float]] = defaultdict(dict)
    for quiz_id, locale, count, total in db.session.execute(
        sa.select(Attempt.quiz_id, Attempt.locale, sa.func.count(), sa.func.sum(Attempt.score))
        .where(graded)
        .group_by(Attempt.quiz_id, Attempt.locale)
    ):
        attempts[quiz_id][locale] = count
        scores[quiz_id][locale] = total or 0.0

    return {
        quiz.id: _analyse(quiz, banks[quiz.id], sums, chosen, attempts[quiz.id], scores[quiz.id])
        for quiz in quizzes
    }


def _analyse(quiz, bank, sums, chosen, attempts, scores) -> QuizAnalysis:
    locales = tuple(sorted(attempts))
    position = key_position(bank)
    all_attempts = {ALL: sum(attempts.values()), **attempts}
    mean = {
        locale: (sum(scores.values()) if locale == ALL else scores[locale]) / count if count else None
        for locale, count in all_attempts.items()
    }
    items: dict[str, list[ItemStat]] = {}
    for locale in (ALL, *locales):
        rows = []
        number = 0
        for question in bank:
            if question.qtype == "description":
                continue
            number += 1
            qid = str(question.id)
            total = _Sums()
            counts: Counter = Counter()
            for loc in locales if locale == ALL else (locale,):
                total.add(sums.get((quiz.id, qid, loc), _Sums()))
                counts.update(chosen.get((quiz.id, qid, loc), Counter()))
            rows.append(_item(number, question, total, counts, position))
        items[locale] = rows
    return QuizAnalysis(quiz.id, all_attempts, mean, items, position, locales)


def _item(number, question, total: _Sums, counts: Counter, position) -> ItemStat:
    right = _right_keys(question) if question.qtype in CHOICE_TYPES else set()
    options = ()
    if question.qtype in CHOICE_TYPES:
        options = tuple(
            OptionStat(
                key=a.key,
                position=index,
                text=" ".join(
                    _strip_tags(str(render_text(a.text, a.text_format or question.text_format))).split()
                )
                if question.qtype != "truefalse"
                else a.key,
                is_right=a.key in right,
                chosen=counts.get(a.key, 0),
                share=counts.get(a.key, 0) / total.n if total.n else None,
            )
            for index, a in enumerate(question.answers, start=1)
        )
    facility = total.facility()
    flags = []
    if total.n >= MIN_ATTEMPTS_TO_FLAG:
        if facility is not None and facility >= EASY_FACILITY:
            flags.append(EVERYONE_RIGHT)
        right_chosen = [o.chosen for o in options if o.is_right]
        if right_chosen and any(not o.is_right and o.chosen > min(right_chosen) for o in options):
            flags.append(WRONG_OPTION_PREFERRED)
    if position and question.qtype == "multichoice":
        right_places = [o.position for o in options if o.is_right]
        if right_places == [position[0]]:
            flags.append(ANSWER_POSITION)
    return ItemStat(
        number=number,
        qid=str(question.id),
        qtype=question.qtype,
        text=plain_text(question),
        attempts=total.n,
        facility=facility,
        discrimination=total.correlation(),
        options=options,
        flags=tuple(flags),
    )
