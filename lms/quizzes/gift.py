"""Moodle's GIFT quiz format: ``parse``, ``check`` and ``dump``, with Moodle's semantics.

The reader follows Moodle's qformat_gift: questions are separated by blank lines, ``//``
lines are comments, ``$CATEGORY: path`` sets the category of the questions after it,
``::title::`` becomes ``Question.id``, ``[html]``/``[moodle]``/``[plain]``/``[markdown]``
set the format of the text after them, and ``\\~ \\= \\# \\{ \\} \\: \\\\`` and ``\\n`` are
escapes. The question type comes from the answer block exactly as Moodle decides it: none
is a description, ``{}`` an essay, ``{#...}`` numerical, any ``~`` multiple choice (single
answer when there is an ``=`` answer, else multiple response), ``=`` with ``->`` matching,
``{T}``/``{TRUE}``/``{F}``/``{FALSE}`` true/false, and ``=`` answers short answer. Text after
the closing brace makes a missing-word question (``Question.text_after``).

Where Moodle imports something silently that a trainer almost certainly did not mean, this
reader stops with a ``GiftSyntaxError`` instead:

- an answer without ``=`` or ``~`` in front (Moodle would import ``{Paris}`` as a short
  answer and ``{true}`` as a short answer whose answer is "true");
- a ``%weight%`` that is not a number from -100 to 100 (Moodle would keep it as text), or a
  weight other than ``%100%`` on an ``=`` answer of a multiple-choice question;
- a second ``{...}`` block or a ``{`` inside the answers (Moodle would keep them as text;
  it is nearly always a missing blank line or a missing backslash);
- a numerical value that is not a number (Moodle's check has a bug and lets it through);
- an unclosed or empty ``::title::``, or a question right after ``$CATEGORY`` without a blank
  line (Moodle would make the question part of the category name);
- a matching question with fewer than two pairs that have a left item (distractors written
  ``= -> extra`` are allowed on top); empty answers.

As in Moodle, a multiple-response question's positive weights must add up to 100%.

Smaller differences: a ``//`` line inside a question is dropped (Moodle leaves an empty
line in the text); a question without a title keeps ``id=None`` (Moodle makes a name from
the text); ``[tag:...]`` and ``[id:...]`` in comments are ignored; ``{#min..max}`` is kept
as Moodle stores it, the midpoint with a tolerance (``Answer.minimum``/``maximum``); an empty
``$CATEGORY:`` goes back to no category. ``dump`` writes what ``parse`` reads back equal,
escaping every special character and adding a ``[format]`` prefix where a text could be
misread; it raises ValueError for what GIFT cannot say (``->`` in a short answer or on the
left of a matching pair, a description with feedback, an infinite number).
"""

from __future__ import annotations

from lms.quizzes.gift_blocks import GiftSyntaxError
from lms.quizzes.gift_dump import dump
from lms.quizzes.gift_parse import iter_items
from lms.quizzes.questions import Answer, MatchPair, Question, QuizSyntaxError

__all__ = [
    "Answer",
    "GiftSyntaxError",
    "MatchPair",
    "Question",
    "QuizSyntaxError",
    "check",
    "dump",
    "parse",
]


def parse(text: str) -> list[Question]:
    """Read GIFT text into questions; raise GiftSyntaxError at the first error."""
    questions = []
    for item in iter_items(text):
        if isinstance(item, GiftSyntaxError):
            raise item
        questions.append(item)
    return questions


def check(text: str) -> list[tuple[int, str]]:
    """Return (line, message) for the first error of every bad question; [] when valid."""
    return [(item.line, item.message) for item in iter_items(text) if isinstance(item, GiftSyntaxError)]
