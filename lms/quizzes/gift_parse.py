"""Read Moodle's GIFT format with Moodle's meaning (qformat_gift), reporting errors by line.

Where Moodle silently imports something a trainer almost certainly did not mean (an answer
without ``=`` or ``~``, a malformed ``%weight%``, a second ``{...}`` block because a blank
line is missing), this reader reports an error instead; see ``lms.quizzes.gift``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from decimal import Decimal

from lms.quizzes.gift_blocks import WS, Block, GiftSyntaxError, iter_blocks
from lms.quizzes.questions import Answer, MatchPair, Question

CATEGORY = "$CATEGORY:"
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
WEIGHT_RE = re.compile(r"%(-?[0-9]+(?:\.[0-9]*)?)%")


def iter_items(text: str) -> Iterator[Question | GiftSyntaxError]:
    """Yield each question of the file, or the first error in each bad question."""
    category: str | None = None
    for block in iter_blocks(text):
        start, end = block.strip(0, len(block.text))
        if start == end:
            continue
        try:
            if block.text.startswith(CATEGORY, start) and block.live[start + len(CATEGORY) - 1]:
                category = _category(block, start + len(CATEGORY), end)
                continue
            yield _question(block, start, end, category)
        except GiftSyntaxError as error:
            yield error


def _category(block: Block, start: int, end: int) -> str | None:
    newline = block.text.find("\n", start, end)
    if newline != -1:
        raise block.error(newline + 1, "expected a blank line after the $CATEGORY line, before the question")
    # An empty "$CATEGORY:" goes back to the importer's default category.
    return block.unescape(*block.strip(start, end)).strip(WS) or None


def _question(block: Block, start: int, end: int, category: str | None) -> Question:
    line = block.line_at(start)
    qid = None
    if block.text.startswith("::", start) and all(block.live[start : start + 2]):
        close = block.find("::", start + 2, end)
        if close == -1:
            raise block.error(start, "expected '::' to close the ::title::")
        qid = block.unescape(start + 2, close).strip(WS)
        if not qid:
            raise block.error(start, "empty ::title::; write a title or leave out the '::::'")
        start, end = block.strip(close + 2, end)
    common = {"id": qid, "category": category, "line": line}

    opening, closing = block.find("{", start, end), block.find("}", start, end)
    if opening == -1 and closing == -1:
        fmt, text, _ = block.formatted(start, end, "moodle")
        if not text:
            raise block.error(start, "expected question text after the ::title::")
        return Question(qtype="description", text=text, text_format=fmt, **common)
    if opening == -1 or (closing != -1 and closing < opening):
        raise block.error(closing, "'}' without an opening '{'")
    if closing == -1:
        raise block.error(opening, "unclosed '{': expected '}' after the answers")
    nested = block.find("{", opening + 1, closing)
    if nested != -1:
        raise block.error(nested, "unexpected '{' inside the answers (write \\{ for a brace)")
    extra = min((p for p in (block.find(c, closing + 1, end) for c in "{}") if p != -1), default=-1)
    if extra != -1:
        raise block.error(extra, "only one {...} answer block per question: is a blank line missing?")

    after = block.unescape(closing + 1, end).rstrip(WS)
    fmt, text, text_start = block.formatted(start, opening, "moodle")
    if after.strip(WS):
        # Missing word: keep the spaces next to the blank ("word{...}s" has none).
        text = block.unescape(text_start, opening).lstrip(WS)
    else:
        after = ""
    common |= {"text": text, "text_after": after, "text_format": fmt}

    a_start, a_end = block.strip(opening + 1, closing)
    general = block.rfind("####", a_start, a_end)
    gf_format, gf_text = fmt, ""
    if general != -1:
        gf_format, gf_text, _ = block.formatted(general + 4, a_end, fmt)
        a_start, a_end = block.strip(a_start, general)
    common |= {"general_feedback": gf_text, "general_feedback_format": gf_format}

    body = _Answers(block, a_start, a_end, opening, fmt)
    if a_start == a_end:
        return Question(qtype="essay", **common)
    if block.text[a_start] == "#" and block.live[a_start]:
        return Question(qtype="numerical", answers=body.numerical(), **common)
    if block.find("~", a_start, a_end) != -1:
        qtype, answers = body.multichoice()
        return Question(qtype=qtype, answers=answers, **common)
    if block.find("=", a_start, a_end) != -1 and "->" in block.raw(a_start, a_end):
        return Question(qtype="matching", pairs=body.matching(), **common)
    hash_pos = block.find("#", a_start, a_end)
    head = block.raw(*block.strip(a_start, a_end if hash_pos == -1 else hash_pos))
    if head in TRUE_FALSE:
        return Question(qtype="truefalse", answers=body.truefalse(TRUE_FALSE[head]), **common)
    return Question(qtype="shortanswer", answers=body.shortanswer(), **common)


class _Answers:
    """Readers for the answer block of each question type."""

    def __init__(self, block: Block, start: int, end: int, opening: int, fmt: str) -> None:
        self.block, self.start, self.end, self.opening, self.fmt = block, start, end, opening, fmt

    def _parts(self, markers: str, hint: str = "") -> list[tuple[str, int, int]]:
        parts = self.block.split(markers, self.start, self.end)
        _, begin, finish = parts[0]
        begin, finish = self.block.strip(begin, finish)
        if begin != finish:
            snippet = self.block.raw(begin, finish)[:40]
            raise self.block.error(begin, f"answer {snippet!r} without '=' or '~' in front of it{hint}")
        return parts[1:]

    def _weight(self, begin: int, finish: int) -> tuple[Decimal | None, int]:
        if not self.block.text.startswith("%", begin, finish):
            return None, begin
        match = WEIGHT_RE.match(self.block.text, begin, finish)
        if not match:
            close = self.block.text.find("%", begin + 1, finish)
            snippet = self.block.raw(begin, close + 1 if close != -1 else min(finish, begin + 20))
            raise self.block.error(begin, f"bad weight {snippet!r}: expected %number%, e.g. %50%")
        weight = Decimal(match.group(1))
        if not -100 <= weight <= 100:
            raise self.block.error(begin, f"bad weight '%{match.group(1)}%': weights run from -100% to 100%")
        return weight, match.end()

    def _feedback(self, begin: int, finish: int) -> tuple[int, str, str]:
        """Split 'text#feedback': return (end of text, feedback format, feedback)."""
        hash_pos = self.block.find("#", begin, finish)
        if hash_pos == -1:
            return finish, self.fmt, ""
        fb_format, feedback, _ = self.block.formatted(hash_pos + 1, finish, self.fmt)
        return hash_pos, fb_format, feedback

    def multichoice(self) -> tuple[str, tuple[Answer, ...]]:
        answers, weights = [], []
        for marker, begin, finish in self._parts("~="):
            begin, finish = self.block.strip(begin, finish)
            weight, begin = self._weight(begin, finish)
            if marker == "=":
                if weight is not None and weight != 100:
                    raise self.block.error(
                        begin, "an '=' answer is worth 100%: write partial credit as ~%50%"
                    )
                weight = Decimal(100)
            weights.append(weight or Decimal(0))
            text_end, fb_format, feedback = self._feedback(begin, finish)
            fmt, text, _ = self.block.formatted(begin, text_end, self.fmt)
            if not text:
                raise self.block.error(begin, f"empty answer after '{marker}'")
            answers.append(
                Answer(
                    text,
                    _fraction(weight or Decimal(0)),
                    feedback,
                    text_format=fmt,
                    feedback_format=fb_format,
                )
            )
        if len(answers) < 2:
            raise self.block.error(self.opening, "multiple choice needs at least two answers")
        # Moodle's rule: an '=' answer makes it single-answer; only '~' answers, multi-answer.
        if self.block.find("=", self.start, self.end) != -1:
            return "multichoice", tuple(answers)
        total = sum((w for w in weights if w > 0), Decimal(0)) / 100
        if round(total, 2) != 1:
            raise self.block.error(
                self.opening,
                f"the positive weights of a multiple-response question must add up to 100%, "
                f"not {(total * 100).normalize():f}% (or mark the single right answer with '=')",
            )
        return "multiresponse", tuple(answers)

    def shortanswer(self) -> tuple[Answer, ...]:
        answers = []
        hint = " (true/false answers are T, TRUE, F or FALSE)"
        for _, begin, finish in self._parts("=", hint):
            begin, finish = self.block.strip(begin, finish)
            weight, begin = self._weight(begin, finish)
            text_end, fb_format, feedback = self._feedback(begin, finish)
            _, text, _ = self.block.formatted(begin, text_end, self.fmt)
            if not text:
                raise self.block.error(begin, "empty answer after '='")
            fraction = 1.0 if weight is None else _fraction(weight)
            answers.append(Answer(text, fraction, feedback, feedback_format=fb_format))
        return tuple(answers)

    def truefalse(self, correct: bool) -> tuple[Answer, ...]:
        parts = []
        for _ in range(2):
            hash_pos = self.block.find("#", parts[-1] + 1 if parts else self.start, self.end)
            if hash_pos == -1:
                break
            parts.append(hash_pos)
        bounds = [*parts, self.end]
        wrong = right = (self.fmt, "")
        if len(parts) >= 1:
            wrong = self.block.formatted(parts[0] + 1, bounds[1], self.fmt)[:2]
        if len(parts) == 2:
            right = self.block.formatted(parts[1] + 1, self.end, self.fmt)[:2]
        # Moodle's order is {T#feedback for a wrong answer#feedback for a right answer}.
        on_true, on_false = (right, wrong) if correct else (wrong, right)
        return (
            Answer("True", float(correct), on_true[1], feedback_format=on_true[0]),
            Answer("False", float(not correct), on_false[1], feedback_format=on_false[0]),
        )

    def matching(self) -> tuple[MatchPair, ...]:
        pairs = []
        for _, begin, finish in self._parts("="):
            begin, finish = self.block.strip(begin, finish)
            arrow = self.block.text.find("->", begin, finish)
            if arrow == -1:
                raise self.block.error(begin, "matching pair without '->': expected =item -> its match")
            fmt, left, _ = self.block.formatted(begin, arrow, self.fmt)
            right = self.block.unescape(arrow + 2, finish).strip(WS)
            if not right:
                raise self.block.error(begin, "matching pair with nothing after '->'")
            pairs.append(MatchPair(left, right, left_format=fmt))
        real = sum(1 for pair in pairs if pair.left)
        if real < 2:
            raise self.block.error(
                self.opening, f"matching needs at least two pairs (=item -> match), found {real}"
            )
        return tuple(pairs)

    def numerical(self) -> tuple[Answer, ...]:
        start, end = self.start + 1, self.end
        catch_all = None
        tilde = self.block.find("~", start, end)
        if tilde != -1:
            begin, finish = self.block.strip(tilde + 1, end)
            if begin != finish and not (self.block.text[begin] == "#" and self.block.live[begin]):
                raise self.block.error(tilde, "expected #feedback after '~' in a numerical question")
            fb_format, feedback = self.fmt, ""
            if begin != finish:
                fb_format, feedback, _ = self.block.formatted(begin + 1, finish, self.fmt)
            catch_all = Answer("", 0.0, feedback, feedback_format=fb_format)
            end = tilde
        parts = self.block.split("=", start, end)
        answers = []
        for index, (_, begin, finish) in enumerate(parts):
            begin, finish = self.block.strip(begin, finish)
            if begin == finish:
                if index == 0:
                    continue
                raise self.block.error(begin, "empty numerical answer after '='")
            answers.append(self._number(begin, finish))
        if not answers:
            raise self.block.error(
                self.opening,
                "numerical question without an answer: expected {#42}, {#42:2} or {#40..44}",
            )
        return (*answers, catch_all) if catch_all else tuple(answers)

    def _number(self, begin: int, finish: int) -> Answer:
        weight, begin = self._weight(begin, finish)
        text_end, fb_format, feedback = self._feedback(begin, finish)
        begin, text_end = self.block.strip(begin, text_end)
        raw = self.block.raw(begin, text_end)
        colon = self.block.find(":", begin, text_end)
        if raw.find("..") > 0:
            low, high = (_decimal(self.block, begin, s.strip(WS)) for s in raw.split("..", 1))
            middle = (low + high) / 2
            value, tolerance = middle, abs(high - middle)
        elif colon > begin:
            value = _decimal(self.block, begin, self.block.raw(begin, colon).strip(WS))
            tolerance = abs(_decimal(self.block, begin, self.block.raw(colon + 1, text_end)))
        else:
            value, tolerance = _decimal(self.block, begin, raw), Decimal(0)
        fraction = 1.0 if weight is None else _fraction(weight)
        return Answer(
            "",
            fraction,
            feedback,
            feedback_format=fb_format,
            value=float(value),
            tolerance=float(tolerance),
        )


def _decimal(block: Block, pos: int, text: str) -> Decimal:
    text = text.strip(WS)
    if not NUMBER_RE.fullmatch(text):
        raise block.error(pos, f"numerical value {text!r} is not a number: expected 42, 42:2 or 40..44")
    number = Decimal(text)
    if not math.isfinite(float(number)):
        raise block.error(pos, f"numerical value {text!r} is too large")
    return number


def _fraction(weight: Decimal) -> float:
    return float(weight / 100)
