"""Read Moodle's Aiken format: single-answer multiple choice, one question after another.

    Which body reviews every UN member state's human rights record?
    A. The Security Council
    B) The Universal Periodic Review working group
    ANSWER: B

As in Moodle (qformat_aiken), the question text is one line, each option is a capital letter,
``.`` or ``)`` and a space, and ``ANSWER: X`` ends the question; texts are plain text. Moodle
maps the ANSWER letter to the option's position whatever its label, so this reader insists
on labels A, B, C... in order, and it reports (rather than skips) an answer letter with no
option, a question without options or without an ANSWER line. Aiken has no titles, so the
questions get ids ``aiken-1``, ``aiken-2``... in file order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lms.quizzes.questions import Answer, Question, QuizSyntaxError

_WS = " \t\n\r\0\x0b"
_OPTION_RE = re.compile(r"([A-Z])[.)][ \t]+(.*)")
_ANSWER_RE = re.compile(r"ANSWER:(.*)")


class AikenSyntaxError(QuizSyntaxError):
    """An Aiken file that cannot be read; ``line`` is 1-based, ``message`` says what was expected."""


def parse(text: str) -> list[Question]:
    """Read Aiken text into multiple-choice questions; raise AikenSyntaxError at the first error."""
    questions = []
    for item in _iter_items(text):
        if isinstance(item, AikenSyntaxError):
            raise item
        questions.append(item)
    return questions


def check(text: str) -> list[tuple[int, str]]:
    """Return (line, message) for every bad question; [] when the file is valid."""
    return [(i.line, i.message) for i in _iter_items(text) if isinstance(i, AikenSyntaxError)]


class _Open:
    """A question being read: its first line, text and options so far."""

    def __init__(self, line: int, text: str) -> None:
        self.line, self.text = line, text
        self.options: list[str] = []
        self.failed = False


def _iter_items(text: str) -> Iterator[Question | AikenSyntaxError]:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    current: _Open | None = None
    count = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(_WS)
        if not line:
            continue
        option, answer = _OPTION_RE.fullmatch(line), _ANSWER_RE.fullmatch(line)
        if option or answer:
            if current is None:
                yield AikenSyntaxError(number, "expected a question text before the options")
                current = _Open(number, "")
                current.failed = True
            if current.failed:
                if answer:
                    current = None
                continue
        if option:
            assert current is not None
            expected = chr(ord("A") + len(current.options))
            if option.group(1) != expected or not option.group(2).strip(_WS):
                current.failed = True
                yield AikenSyntaxError(number, f"expected option {expected}. followed by its text")
                continue
            current.options.append(option.group(2).strip(_WS))
        elif answer:
            assert current is not None
            letter = answer.group(1).strip(_WS)
            error = _answer_error(letter, len(current.options))
            if error:
                yield AikenSyntaxError(number, error)
            else:
                count += 1
                yield _question(current, ord(letter) - ord("A"), count)
            current = None
        else:
            if current is not None and not current.failed:
                yield AikenSyntaxError(
                    current.line, "question without an ANSWER: line (question text is one line)"
                )
            current = _Open(number, line)
    if current is not None and not current.failed:
        yield AikenSyntaxError(current.line, "question without an ANSWER: line at the end")


def _answer_error(letter: str, options: int) -> str:
    last = chr(ord("A") + options - 1)
    if options < 2:
        return "expected at least two options (A. and B.) before the ANSWER: line"
    if len(letter) != 1 or not "A" <= letter <= last:
        return f"expected ANSWER: followed by one of the option letters A to {last}"
    return ""


def _question(current: _Open, correct: int, count: int) -> Question:
    answers = tuple(
        Answer(option, 1.0 if index == correct else 0.0) for index, option in enumerate(current.options)
    )
    return Question(
        id=f"aiken-{count}",
        qtype="multichoice",
        text=current.text,
        text_format="plain",
        answers=answers,
        line=current.line,
    )
