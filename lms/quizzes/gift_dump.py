"""Write questions as GIFT that ``gift.parse`` (and Moodle) reads back to the same questions."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from lms.quizzes.questions import DEFAULT_FORMAT, Answer, Question

_ESCAPE = str.maketrans(
    {"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{", "}": "\\}", "\n": "\\n"}
)
# Starts of a question line that would be read as something else without a [format] prefix.
_RISKY_STARTS = ("//", "::", "$CATEGORY:")


def dump(questions: Iterable[Question]) -> str:
    """Write questions as GIFT text, with $CATEGORY lines where the category changes."""
    blocks = []
    category: str | None = None
    for question in questions:
        if question.category != category:
            path = question.category
            blocks.append(f"$CATEGORY: {escape(path)}" if path else "$CATEGORY:")
            category = question.category
        blocks.append(dump_question(question))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def dump_question(question: Question) -> str:
    """Write one question as a GIFT block (no trailing blank line)."""
    head = f"::{escape(question.id, colon=True)}::" if question.id is not None else ""
    fmt = question.text_format
    force = question.id is None and question.text.startswith(_RISKY_STARTS)
    text = head + write_text(question.text, fmt, DEFAULT_FORMAT, force=force)
    if question.qtype == "description":
        if question.general_feedback or question.answers or question.pairs:
            raise ValueError("a GIFT description has no answers and no general feedback")
        return text
    start, lines = _BODY[question.qtype](question)
    general = _general_feedback(question)
    if lines:
        # One answer per line, as Moodle exports; the general feedback goes last.
        body = start + "\n" + "".join(f"\t{line}\n" for line in [*lines, general] if line)
    else:
        body = start + general
    space = "" if question.is_missing_word or not question.text else " "
    return f"{text}{space}{{{body}}}{escape(question.text_after)}"


def escape(text: str, *, colon: bool = False) -> str:
    """Escape GIFT's special characters (and ':' where it would end a title)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ESCAPE)
    return text.replace(":", "\\:") if colon else text


def write_text(text: str, fmt: str | None, default: str, *, force: bool = False) -> str:
    """Write a text with a [format] prefix when its format differs from the default."""
    # A text starting with '[' could be mistaken for a prefix, so it always gets one.
    prefix = f"[{fmt}]" if fmt != default or force or text.startswith("[") else ""
    return prefix + escape(text)


def _weight(fraction: float) -> str:
    weight = (Decimal(repr(fraction)) * 100).normalize()
    return f"%{weight:f}%"


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"GIFT cannot write the number {value!r}")
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _feedback(answer: Answer, default: str) -> str:
    if not answer.feedback and answer.feedback_format == default:
        return ""
    return "#" + write_text(answer.feedback, answer.feedback_format, default)


def _general_feedback(question: Question) -> str:
    fmt = question.general_feedback_format
    if not question.general_feedback and fmt == question.text_format:
        return ""
    return "####" + write_text(question.general_feedback, fmt, question.text_format)


def _essay(question: Question) -> tuple[str, list[str]]:
    return "", []


def _truefalse(question: Question) -> tuple[str, list[str]]:
    true, false = question.answers
    correct = question.truefalse_answer
    right, wrong = (true, false) if correct else (false, true)
    fmt = question.text_format
    out = "TRUE" if correct else "FALSE"
    right_fb, wrong_fb = _feedback(right, fmt), _feedback(wrong, fmt)
    if wrong_fb or right_fb:
        out += wrong_fb or "#"
    return out + right_fb, []


def _multichoice(question: Question) -> tuple[str, list[str]]:
    fmt = question.text_format
    single = question.qtype == "multichoice"
    # With no '~' answer at all, Moodle would read the block as short answer.
    all_right = all(a.fraction == 1 for a in question.answers)
    lines = []
    for index, answer in enumerate(question.answers):
        risky = answer.text.startswith("%")
        if single and answer.fraction == 1 and (index == 0 or not all_right):
            marker = "=%100%" if risky else "="
        elif answer.fraction == 0 and not risky:
            marker = "~"
        else:
            marker = "~" + _weight(answer.fraction)
        text = write_text(answer.text, answer.text_format, fmt)
        lines.append(f"{marker}{text}{_feedback(answer, fmt)}")
    return "", lines


def _shortanswer(question: Question) -> tuple[str, list[str]]:
    fmt = question.text_format
    lines = []
    for answer in question.answers:
        if "->" in answer.text or "->" in answer.feedback:
            raise ValueError("GIFT cannot write '->' in a short answer (it means matching)")
        weight = _weight(answer.fraction) if answer.fraction != 1 or answer.text[:1] == "%" else ""
        text = write_text(answer.text, fmt, fmt)
        lines.append(f"={weight}{text}{_feedback(answer, fmt)}")
    return "", lines


def _numerical(question: Question) -> tuple[str, list[str]]:
    fmt = question.text_format
    lines = []
    for index, answer in enumerate(question.answers):
        if answer.value is None:
            if index != len(question.answers) - 1 or answer.fraction != 0:
                raise ValueError("GIFT writes the any-other-number answer last, worth 0%")
            feedback = write_text(answer.feedback, answer.feedback_format, fmt)
            lines.append(f"~#{feedback}")
            continue
        weight = _weight(answer.fraction) if answer.fraction != 1 else ""
        number = _number(answer.value)
        if answer.tolerance:
            number += ":" + _number(abs(answer.tolerance))
        lines.append(f"={weight}{number}{_feedback(answer, fmt)}")
    return "#", lines


def _matching(question: Question) -> tuple[str, list[str]]:
    fmt = question.text_format
    lines = []
    for pair in question.pairs:
        if "->" in pair.left:
            raise ValueError("GIFT cannot write '->' in the left item of a matching pair")
        left = write_text(pair.left, pair.left_format, fmt)
        lines.append(f"={left} -> {escape(pair.right)}")
    return "", lines


_BODY = {
    "essay": _essay,
    "truefalse": _truefalse,
    "multichoice": _multichoice,
    "multiresponse": _multichoice,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
}
