"""GIFT text as question blocks: blank-line separation, ``//`` comments, escapes and line numbers.

The lexical layer under ``gift_parse``: it knows where a question's text is, which
characters are escaped (and so never act as syntax), and the file line of any position.
"""

from __future__ import annotations

from collections.abc import Iterator

from lms.quizzes.questions import FORMATS, QuizSyntaxError

# PHP's trim() set: Moodle trims lines and texts with it, not with Unicode whitespace.
WS = " \t\n\r\0\x0b"
ESCAPES = {"\\": "\\", "~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "n": "\n"}


class GiftSyntaxError(QuizSyntaxError):
    """A GIFT file that cannot be read; ``line`` is 1-based, ``message`` says what was expected."""


class Block:
    """The text of one blank-line-separated question, with escapes located once."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.text = "\n".join(line for _, line in lines)
        self.numbers = [number for number, _ in lines]
        # live[i] is False for a backslash that escapes the next character and for that
        # character: such characters never act as GIFT syntax.
        self.live = [True] * len(self.text)
        i = 0
        while i < len(self.text):
            if self.text[i] == "\\" and self.text[i + 1 : i + 2] in ESCAPES:
                self.live[i] = self.live[i + 1] = False
                i += 2
            else:
                i += 1

    def line_at(self, pos: int) -> int:
        return self.numbers[self.text.count("\n", 0, pos)]

    def error(self, pos: int, message: str) -> GiftSyntaxError:
        return GiftSyntaxError(self.line_at(pos), message)

    def find(self, token: str, start: int, end: int) -> int:
        pos = self.text.find(token, start, end)
        while pos != -1 and not all(self.live[pos : pos + len(token)]):
            pos = self.text.find(token, pos + 1, end)
        return pos

    def rfind(self, token: str, start: int, end: int) -> int:
        pos = self.text.rfind(token, start, end)
        while pos != -1 and not all(self.live[pos : pos + len(token)]):
            pos = self.text.rfind(token, start, pos + len(token) - 1)
        return pos

    def strip(self, start: int, end: int) -> tuple[int, int]:
        while start < end and self.text[start] in WS:
            start += 1
        while end > start and self.text[end - 1] in WS:
            end -= 1
        return start, end

    def raw(self, start: int, end: int) -> str:
        return self.text[start:end]

    def unescape(self, start: int, end: int) -> str:
        out = []
        i = start
        while i < end:
            if not self.live[i] and self.text[i] == "\\":
                out.append(ESCAPES[self.text[i + 1]])
                i += 2
            else:
                out.append(self.text[i])
                i += 1
        return "".join(out)

    def split(self, markers: str, start: int, end: int) -> list[tuple[str, int, int]]:
        """Split at every live marker character: (marker, start, end), first marker ''."""
        parts: list[tuple[str, int, int]] = []
        marker, begin = "", start
        for pos in range(start, end):
            if self.text[pos] in markers and self.live[pos]:
                parts.append((marker, begin, pos))
                marker, begin = self.text[pos], pos + 1
        parts.append((marker, begin, end))
        return parts

    def formatted(self, start: int, end: int, default: str) -> tuple[str, str, int]:
        """Return (format, unescaped text, start of text) honouring a [format] prefix."""
        start, end = self.strip(start, end)
        fmt = default
        if self.text.startswith("[", start, end):
            close = self.text.find("]", start, end)
            if close != -1 and self.text[start + 1 : close] in FORMATS:
                fmt, start = self.text[start + 1 : close], close + 1
        return fmt, self.unescape(start, end).strip(WS), start


def iter_blocks(text: str) -> Iterator[Block]:
    """Yield the question blocks of a GIFT file, without comment lines."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(WS)
        if not line:
            if lines:
                yield Block(lines)
            lines = []
        elif not line.startswith("//"):
            lines.append((number, line))
    if lines:
        yield Block(lines)
