"""Score a learner's response to one question the way Moodle grades it. Pure functions.

Responses by question type:

- multichoice: a choice key (``"a2"``); truefalse: ``"true"`` or ``"false"``;
- multiresponse: a collection of choice keys;
- shortanswer and numerical: the text the learner typed;
- matching: a dict of left-item key (``"m1"``) to right-item key (``"r3"``);
- essay: the text (kept for a person to mark); description: anything (not scored).

``None`` is no response: it scores 0. A response of the wrong shape, or a key the question
does not have, raises ``InvalidResponse``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import numbers as babel_numbers
from babel.core import UnknownLocaleError

from lms.quizzes.questions import FALSE_KEY, TRUE_KEY, Answer, Question

# Moodle counts a grade above 0.999999 as right and below 0.000001 as wrong
# (question_state::graded_state_for_fraction); snapping keeps is_correct honest when
# weights such as 33.33333% add up to 99.99999%.
_EPSILON = 1e-6
# PHP's default precision is 14 digits; Moodle widens every numerical range by one unit
# in the last digit so that 0.1 + 0.2 still matches 0.3 (MDL-3225).
_NUMERIC_SLACK = 1e-14
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Direction marks that right-to-left keyboards and copy-paste put around numbers.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u066c")
)
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_UNESCAPED_STARS = re.compile(r"(?<!\\)\*+")


class InvalidResponse(ValueError):
    """A response that does not fit the question (unknown key, wrong shape)."""


@dataclass(frozen=True)
class Score:
    """The result of scoring one response."""

    fraction: float
    is_correct: bool
    feedback: tuple[str, ...] = ()
    needs_manual: bool = False
    # The learner typed something that is not a number (numerical questions only).
    is_not_a_number: bool = False
    # How much the question counts: 0 for a description, as Moodle's defaultmark.
    weight: float = 1.0


def score(question: Question, response: object, locale: str | None = None) -> Score:
    """Score a response to a question (see the module docstring for response shapes).

    `locale` is the language the learner answered in: it says how they group a number's digits.
    """
    if question.qtype == "numerical":
        return _score_numerical(question, response, locale)
    if question.qtype == "description":
        return Score(0.0, False, weight=0.0)
    if question.qtype == "essay":
        if response is not None and not isinstance(response, str):
            raise InvalidResponse("an essay response is text")
        return Score(0.0, False, needs_manual=True)
    return _SCORERS[question.qtype](question, response)  # numerical is read above, in its locale


def max_fraction(question: Question) -> float:
    """Return the best fraction any response can reach (1.0 for a passable question)."""
    fractions = [a.fraction for a in question.answers]
    if question.qtype == "description":
        return 0.0
    if question.qtype == "essay":
        return 1.0
    if question.qtype == "matching":
        return 1.0 if any(p.left for p in question.pairs) else 0.0
    if question.qtype == "multiresponse":
        return _clamp(sum(f for f in fractions if f > 0))
    return _clamp(max(fractions, default=0.0))


def best_response(question: Question) -> object:
    """Return a response that reaches max_fraction (100% for a well-formed question)."""
    qtype = question.qtype
    if qtype == "description":
        return None
    if qtype == "essay":
        return ""
    if qtype == "matching":
        return {p.key: p.right_key for p in question.pairs if p.left}
    if qtype == "multiresponse":
        return [a.key for a in question.answers if a.fraction > 0]
    if qtype in ("multichoice", "truefalse"):
        best = max(question.answers, key=lambda a: a.fraction, default=None)
        return None if best is None else best.key
    # Typed answers: an earlier, lower answer can shadow a better one (Moodle takes the
    # first match), so try candidates from the best answers down and keep the best result.
    target = max_fraction(question)
    best_candidate: str | None = None
    best_fraction = -1.0
    for answer in sorted(question.answers, key=lambda a: -a.fraction):
        for candidate in _candidates(qtype, answer):
            fraction = score(question, candidate).fraction
            if fraction >= target:
                return candidate
            if fraction > best_fraction:
                best_candidate, best_fraction = candidate, fraction
    return best_candidate


def parse_number(text: str, locale: str | None = None) -> float | None:
    """Read a typed number; None if it is not one.

    Digits grouped as the locale groups them are read so ("1,000" is a thousand in English,
    "1.000" in Turkish and Spanish, "1 000" in French); otherwise ',' or '٫' is a decimal point
    whatever the locale ("3,5" is three and a half everywhere). Arabic-Indic digits count.
    """
    cleaned = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_DIGITS)
    cleaned = cleaned.replace("\u2212", "-").strip()
    if locale:
        grouped = _grouped_number(cleaned, locale)
        if grouped is not None:
            return grouped
    cleaned = cleaned.replace("٫", ".").replace(",", ".")
    if not _NUMBER_RE.fullmatch(cleaned):
        return None
    try:
        number = float(Decimal(cleaned))
    except (InvalidOperation, OverflowError):  # pragma: no cover - the regex rules these out
        return None
    return number if math.isfinite(number) else None


def _grouped_number(text: str, locale: str) -> float | None:
    """Return the number if its digits are grouped exactly as the locale groups them, else None."""
    try:
        group = babel_numbers.get_group_symbol(locale)
    except (UnknownLocaleError, ValueError):
        return None
    if unicodedata.normalize("NFKC", group) == " ":  # typed as a plain space (NFKC made it one)
        text = text.replace(" ", group)
    if group not in text:
        return None  # nothing grouped: the reading below is the same, and kinder to decimal commas
    try:
        number = float(babel_numbers.parse_decimal(text.removeprefix("+"), locale=locale, strict=True))
    except (babel_numbers.NumberFormatError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _make(fraction: float, feedback: tuple[str, ...] = ()) -> Score:
    fraction = _clamp(fraction)
    return Score(fraction, fraction == 1.0, tuple(f for f in feedback if f))


def _clamp(fraction: float) -> float:
    if fraction > 1 - _EPSILON:
        return 1.0
    if fraction < _EPSILON:
        return 0.0
    return fraction


def _candidates(qtype: str, answer: Answer) -> list[str]:
    if qtype == "numerical":
        if answer.value is None:
            return ["0"]
        return [repr(answer.value), repr(answer.minimum), repr(answer.maximum)]
    # Short answer: the pattern with its wildcards filled in, by nothing or by a letter.
    return [_UNESCAPED_STARS.sub(filler, answer.text).replace("\\*", "*") for filler in ("", "x")]


def _choice(question: Question, key: str) -> Answer:
    answer = question.answer_by_key(key) if isinstance(key, str) else None
    if answer is None:
        raise InvalidResponse(f"unknown choice {key!r}")
    return answer


def _score_single(question: Question, response: object) -> Score:
    if response is None:
        return _make(0.0)
    if question.qtype == "truefalse" and response not in (TRUE_KEY, FALSE_KEY):
        raise InvalidResponse("a true/false response is 'true' or 'false'")
    answer = _choice(question, response)  # type: ignore[arg-type]
    return _make(answer.fraction, (answer.feedback,))


def _score_multi(question: Question, response: object) -> Score:
    if response is None:
        return _make(0.0)
    if isinstance(response, str | bytes) or not isinstance(response, Collection):
        raise InvalidResponse("a multiple-response answer is a collection of choice keys")
    chosen = {_choice(question, key).key for key in response}
    picked = [a for a in question.answers if a.key in chosen]
    # Moodle adds the fractions of the ticked choices, then keeps the total within 0..1.
    return _make(sum(a.fraction for a in picked), tuple(a.feedback for a in picked))


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _wildcard_match(pattern: str, typed: str) -> bool:
    # Moodle turns the pattern into a regular expression; matching the pieces between the
    # stars left to right gives the same answer without backtracking on long responses.
    first, *middle = [bit.replace("\\*", "*") for bit in _UNESCAPED_STARS.split(_normalise(pattern))]
    if not middle:
        return typed == first
    *middle, last = middle
    if len(typed) < len(first) + len(last) or not typed.startswith(first):
        return False
    if not typed.endswith(last):
        return False
    pos, end = len(first), len(typed) - len(last)
    for bit in middle:
        found = typed.find(bit, pos, end)
        if found == -1:
            return False
        pos = found + len(bit)
    return True


def _score_short(question: Question, response: object) -> Score:
    if response is None:
        return _make(0.0)
    if not isinstance(response, str):
        raise InvalidResponse("a short answer is text")
    typed = _normalise(response)
    if not typed:
        return _make(0.0)
    for answer in question.answers:
        if _wildcard_match(answer.text, typed):
            return _make(answer.fraction, (answer.feedback,))
    return _make(0.0)


def _score_numerical(question: Question, response: object, locale: str | None = None) -> Score:
    if response is None:
        return _make(0.0)
    if not isinstance(response, str):
        raise InvalidResponse("a numerical answer is the text the learner typed")
    if not response.strip():
        return _make(0.0)
    number = parse_number(response, locale)
    if number is None:
        return Score(0.0, False, is_not_a_number=True)
    for answer in question.answers:
        if answer.value is None:
            return _make(answer.fraction, (answer.feedback,))
        slack = answer.tolerance + _NUMERIC_SLACK * max(1.0, abs(answer.value))
        if answer.value - slack <= number <= answer.value + slack:
            return _make(answer.fraction, (answer.feedback,))
    return _make(0.0)


def _score_matching(question: Question, response: object) -> Score:
    if response is None:
        return _make(0.0)
    if not isinstance(response, Mapping):
        raise InvalidResponse("a matching response maps left-item keys to right-item keys")
    stems = {p.key: p for p in question.pairs if p.left}
    right_keys = {p.right_key for p in question.pairs}
    for left, right in response.items():
        if left not in stems:
            raise InvalidResponse(f"unknown item {left!r}")
        if right is not None and (not isinstance(right, str) or right not in right_keys):
            raise InvalidResponse(f"unknown match {right!r}")
    if not stems:
        return _make(0.0)
    right = sum(1 for key, pair in stems.items() if response.get(key) == pair.right_key)
    # Moodle: the share of stems matched correctly.
    return _make(right / len(stems))


_SCORERS = {
    "multichoice": _score_single,
    "truefalse": _score_single,
    "multiresponse": _score_multi,
    "shortanswer": _score_short,
    "matching": _score_matching,
}
