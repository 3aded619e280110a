"""What every question type does, and the helpers that read its answer from a submitted form.

``QuestionType`` is the interface of the registry in ``question_types``: freeze a question into
an attempt, show it as a form widget without telling the answer, read the submitted values
back (refusing what the attempt did not show), and explain answers in feedback.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from markupsafe import Markup, escape

from lms.quizzes.errors import InvalidSubmission
from lms.quizzes.questions import Question

# Longest text a learner may send for one answer; essays get more room.
MAX_ANSWER_LENGTH = 1_000
MAX_ESSAY_LENGTH = 20_000

Values = Callable[[str], list[str]]


def arrange(frozen: Sequence[str], current: Sequence[str]) -> list[str]:
    """Return the keys in the frozen order, dropping gone ones and appending new ones.

    A bank edited during an open attempt may add or remove answers; the attempt keeps the
    order it showed for what is still there.
    """
    present = set(current)
    kept = [key for key in frozen if key in present]
    return kept + [key for key in current if key not in set(kept)]


def single(values: Values, name: str) -> str | None:
    """Return the one value given for a field (None if none); refuse several."""
    given = values(name)
    if len(given) > 1:
        raise InvalidSubmission(f"{name}: one value expected")
    return given[0] if given else None


def typed(values: Values, name: str, limit: int) -> str | None:
    """Return a typed answer (None if blank); refuse one longer than ``limit``."""
    text = single(values, name)
    if text is None or not text.strip():
        return None
    if len(text) > limit:
        raise InvalidSubmission(f"{name}: answer too long")
    return text


class QuestionType:
    """How a question type is frozen, shown, read back from a form and explained."""

    qtype: ClassVar[str]
    # The form control: "radio", "checkbox", "text", "decimal", "select" (matching),
    # "textarea" or None (nothing to answer).
    widget: ClassVar[str | None] = "text"

    @classmethod
    def freeze(cls, question: Question, rng: random.Random, shuffle: bool) -> dict[str, Any]:
        """Return what the attempt must remember about this question besides its qid."""
        return {}

    @classmethod
    def field_names(cls, question: Question, entry: dict[str, Any], name: str) -> set[str]:
        """Return the form field names this question uses."""
        return {name}

    @classmethod
    def view(cls, question: Question, entry: dict[str, Any]) -> dict[str, Any]:
        """Return the widget's data: choices, stems and options, nothing that tells the answer."""
        return {}

    @classmethod
    def read(cls, question: Question, entry: dict[str, Any], values: Values, name: str) -> object:
        """Turn the submitted values into a scoring response; raise InvalidSubmission."""
        return typed(values, name, MAX_ANSWER_LENGTH)

    @classmethod
    def describe_answer(cls, question: Question, response: object) -> tuple[Markup, ...]:
        """Return the learner's answer as HTML lines for the result page."""
        return (escape(response),) if isinstance(response, str) else ()

    @classmethod
    def describe_correct(cls, question: Question) -> tuple[Markup, ...]:
        """Return the correct answer as HTML lines, for feedback."""
        return ()
