"""Question dataclasses shared by the GIFT and Aiken readers, the GIFT writer and scoring.

The model follows Moodle's: a question has a type, a text with a format, answers with a
fraction (1.0 = 100%, may be negative) and feedback, or matching pairs. Every answer and pair
gets a stable ``key`` by position so an attempt can name a choice without exposing its text or
whether it is correct.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field, replace

QTYPES = (
    "description",
    "essay",
    "truefalse",
    "multichoice",
    "multiresponse",
    "shortanswer",
    "matching",
    "numerical",
)
FORMATS = ("moodle", "html", "plain", "markdown")
DEFAULT_FORMAT = "moodle"
TRUE_KEY = "true"
FALSE_KEY = "false"


class QuizSyntaxError(ValueError):
    """A quiz file that cannot be read, with the 1-based line of the problem."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Answer:
    """One answer of a question.

    Numerical answers leave ``text`` empty and use ``value`` and ``tolerance`` instead: the
    answer accepts ``value - tolerance`` to ``value + tolerance`` (see ``minimum`` and
    ``maximum``). A numerical answer with ``value=None`` is Moodle's ``*`` answer: it accepts
    any other number (written ``~#feedback`` in GIFT).
    """

    text: str
    fraction: float = 0.0
    feedback: str = ""
    _: KW_ONLY
    key: str = ""
    # None means "the question's text format"; Question fills it in.
    text_format: str | None = None
    feedback_format: str | None = None
    value: float | None = None
    tolerance: float = 0.0

    @property
    def minimum(self) -> float | None:
        """Return the lowest accepted number (numerical answers only)."""
        return None if self.value is None else self.value - self.tolerance

    @property
    def maximum(self) -> float | None:
        """Return the highest accepted number (numerical answers only)."""
        return None if self.value is None else self.value + self.tolerance


@dataclass(frozen=True)
class MatchPair:
    """One matching pair; an empty ``left`` is Moodle's distractor (an extra right item)."""

    left: str
    right: str
    _: KW_ONLY
    key: str = ""
    # Equal right texts share one right key, as Moodle shows each right item once.
    right_key: str = ""
    left_format: str | None = None


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question (or description) read from a quiz file.

    ``text`` is the question text; in a missing-word question it is the text before the
    answer braces and ``text_after`` the text after them (spaces next to the blank kept).
    ``id`` is the GIFT ``::title::``. A true/false question has two answers, True then False
    (keys ``"true"`` and ``"false"``), each with its fraction and the feedback shown to a
    learner who picks it. Matching questions use ``pairs`` instead of ``answers``.
    """

    qtype: str
    text: str
    id: str | None = None
    text_after: str = ""
    text_format: str = DEFAULT_FORMAT
    category: str | None = None
    general_feedback: str = ""
    general_feedback_format: str | None = None
    answers: tuple[Answer, ...] = ()
    pairs: tuple[MatchPair, ...] = ()
    line: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.qtype not in QTYPES:
            raise ValueError(f"unknown question type {self.qtype!r}")
        if self.text_format not in FORMATS:
            raise ValueError(f"unknown text format {self.text_format!r}")
        if self.qtype == "truefalse" and len(self.answers) != 2:
            raise ValueError("a true/false question has two answers: True, then False")
        fmt = self.text_format
        # The dataclass is frozen; filling in derived defaults once here keeps every
        # consumer (renderers, scoring, the writer) free of "None means inherit" logic.
        set_ = object.__setattr__
        if self.general_feedback_format is None:
            set_(self, "general_feedback_format", fmt)
        set_(
            self,
            "answers",
            tuple(_fill_answer(self.qtype, fmt, i, a) for i, a in enumerate(self.answers)),
        )
        set_(self, "pairs", _fill_pairs(fmt, tuple(self.pairs)))
        for value in (self.general_feedback_format, *_formats(self)):
            if value not in FORMATS:
                raise ValueError(f"unknown text format {value!r}")

    @property
    def is_missing_word(self) -> bool:
        """Return whether the answer box sits inside the sentence (text after the braces)."""
        return self.text_after != ""

    @property
    def truefalse_answer(self) -> bool:
        """Return the correct answer of a true/false question."""
        if self.qtype != "truefalse":
            raise ValueError("not a true/false question")
        return self.answers[0].fraction >= 1

    @property
    def right_items(self) -> tuple[tuple[str, str], ...]:
        """Return the distinct right-hand items of a matching question as (key, text)."""
        seen: dict[str, str] = {}
        for pair in self.pairs:
            seen.setdefault(pair.right_key, pair.right)
        return tuple(seen.items())

    def answer_by_key(self, key: str) -> Answer | None:
        """Return the answer with this key, or None."""
        return next((a for a in self.answers if a.key == key), None)


def truefalse_answers(
    correct: bool,
    *,
    feedback_true: str = "",
    feedback_false: str = "",
) -> tuple[Answer, Answer]:
    """Build the two answers of a true/false question (feedback shown for each choice)."""
    return (
        Answer("True", 1.0 if correct else 0.0, feedback_true),
        Answer("False", 0.0 if correct else 1.0, feedback_false),
    )


def _fill_answer(qtype: str, fmt: str, index: int, answer: Answer) -> Answer:
    positional = (TRUE_KEY, FALSE_KEY)[index] if qtype == "truefalse" else f"a{index + 1}"
    return replace(
        answer,
        key=answer.key or positional,
        text_format=answer.text_format or fmt,
        feedback_format=answer.feedback_format or fmt,
    )


def _fill_pairs(fmt: str, pairs: tuple[MatchPair, ...]) -> tuple[MatchPair, ...]:
    right_keys: dict[str, str] = {}
    filled = []
    for index, pair in enumerate(pairs):
        if pair.right not in right_keys:
            right_keys[pair.right] = pair.right_key or f"r{len(right_keys) + 1}"
        filled.append(
            replace(
                pair,
                key=pair.key or f"m{index + 1}",
                right_key=pair.right_key or right_keys[pair.right],
                left_format=pair.left_format or fmt,
            )
        )
    return tuple(filled)


def _formats(question: Question) -> list[str | None]:
    values: list[str | None] = []
    for answer in question.answers:
        values += [answer.text_format, answer.feedback_format]
    values += [pair.left_format for pair in question.pairs]
    return values
