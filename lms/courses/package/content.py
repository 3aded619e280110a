"""Checks of what is inside files: lesson Markdown, media images and GIFT quizzes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from lms.core.images import MAX_PIXELS, MAX_TOTAL_PIXELS, pixel_problem
from lms.quizzes import Question, gift, parity

from .model import MEDIA_MAX_BYTES, Problem

MEDIA_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp")
_MEDIA_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*\.(?:png|jpg|jpeg|gif|webp)$")
_MEDIA_REF = re.compile(r"^media/([^/]+)$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_LINK_SCHEMES = ("http", "https", "mailto")
_CLOSING_HASHES = re.compile(r"(?:^|\s+)#+\s*$")


@cache
def _parser() -> MarkdownIt:
    # The same parser settings as lms.core.markdown.render, so what is checked is what renders.
    return MarkdownIt("js-default").enable("table")


def title_of(markdown: str) -> str | None:
    """Return the text of the first line starting with '# ', or None when there is none."""
    for line in markdown.splitlines():
        if line.startswith("# "):
            return _CLOSING_HASHES.sub("", line[2:]).strip() or None
    return None


def word_count(markdown: str) -> int:
    """Count the words a reader sees, by the same rule as lms.core.markdown.word_count."""
    parts: list[str] = []
    for token in _parser().parse(markdown):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            parts.append(" ")
        elif token.type in ("fence", "code_block"):
            parts += [token.content, " "]
    return sum(1 for word in "".join(parts).split() if any(ch.isalnum() for ch in word))


def _references(markdown: str) -> Iterator[tuple[str, str, int]]:
    """Yield (kind, url, line) for every image and link, kind being 'image' or 'link'."""
    for token in _parser().parse(markdown):
        if token.type != "inline" or not token.map:
            continue
        line = token.map[0] + 1
        for child in _walk(token.children or []):
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "image":
                yield "image", str(child.attrGet("src") or ""), line
            elif child.type == "link_open":
                yield "link", str(child.attrGet("href") or ""), line


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        # A link inside an image's alt text is text, not a link, so image children are skipped.
        if token.children and token.type != "image":
            yield from _walk(token.children)


def check_references(path: str, markdown: str, media: set[str]) -> list[Problem]:
    """Report images outside media/, remote images, missing media files and unsafe links."""
    problems = []
    for kind, url, line in _references(markdown):
        ref = _MEDIA_REF.match(url)
        if kind == "image":
            if ref and ref.group(1) in media:
                continue
            if ref:
                message = f"image {url} does not exist in media/"
            elif _SCHEME.match(url) or url.startswith("//"):
                message = (
                    f"remote image {url}: images must be files in the course's media/ folder, "
                    "so that pages never load anything from another site"
                )
            else:
                message = f"image {url} must point into media/, e.g. media/diagram.png"
            problems.append(Problem(path, line, message))
        elif url.startswith("media/"):
            if not (ref and ref.group(1) in media):
                problems.append(Problem(path, line, f"link to {url}, which is not in media/"))
        else:
            scheme = _SCHEME.match(url)
            if scheme and scheme.group(1).lower() not in _LINK_SCHEMES:
                problems.append(
                    Problem(path, line, f"link {url}: only http, https, mailto and relative links")
                )
    return problems


def sniff_image(data: bytes) -> str | None:
    """Return 'png', 'jpeg', 'gif' or 'webp' from the file's magic bytes, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_media(path: str, name: str, data: bytes) -> list[Problem]:
    """Report a media file with a bad name, too many bytes or content that is not its image type."""
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension.lower() not in MEDIA_EXTENSIONS:
        return [Problem(path, 0, "media/ may only hold png, jpeg, gif and webp images")]
    problems = []
    if not _MEDIA_NAME.match(name):
        problems.append(
            Problem(
                path,
                0,
                "media file names use lowercase letters, digits, '-', '_' and '.', "
                "and end in .png, .jpg, .jpeg, .gif or .webp",
            )
        )
    if len(data) > MEDIA_MAX_BYTES:
        problems.append(Problem(path, 0, f"the file has {len(data)} bytes; the limit is {MEDIA_MAX_BYTES}"))
    kind = sniff_image(data)
    expected = "jpeg" if extension.lower() in ("jpg", "jpeg") else extension.lower()
    if kind is None:
        problems.append(Problem(path, 0, "the content is not a png, jpeg, gif or webp image"))
    elif kind != expected:
        problems.append(Problem(path, 0, f"the content is a {kind} image, not {expected}"))
    elif len(data) <= MEDIA_MAX_BYTES and pixel_problem(data) == "too-many-pixels":
        problems.append(
            Problem(
                path,
                0,
                f"the image has more than {MAX_PIXELS} pixels in a frame or {MAX_TOTAL_PIXELS} in all frames",
            )
        )
    return problems


def check_quizzes(
    sources: dict[str, tuple[str, str]], reference: str
) -> tuple[dict[str, int], list[Problem]]:
    """Check GIFT files of one quiz (locale -> (path, text)); return question counts and problems.

    Every question needs an id, ids are unique in a file, and each locale has the same ids with
    the same question types and the same answer key as the reference (default) locale.
    """
    problems: list[Problem] = []
    counts: dict[str, int] = {}
    found: dict[str, dict[str, tuple[str, int]]] = {}  # locale -> id -> (qtype, line)
    parsed: dict[str, dict[str, Question]] = {}  # locale -> id -> question
    for locale, (path, text) in sources.items():
        errors = gift.check(text)
        if errors:
            problems += [Problem(path, line, message) for line, message in errors]
            continue
        try:
            questions = gift.parse(text)
        except gift.GiftSyntaxError as exc:
            problems.append(Problem(path, exc.line, exc.message))
            continue
        if not questions:
            problems.append(Problem(path, 0, "the file has no questions"))
            continue
        counts[locale] = len(questions)
        ids: dict[str, tuple[str, int]] = {}
        for number, question in enumerate(questions, 1):
            line = getattr(question, "line", 0) or 0
            if not question.id:
                problems.append(Problem(path, line, f"question {number} has no id: give it one as ::id::"))
            elif question.id in ids:
                problems.append(Problem(path, line, f"question id {question.id} is used twice"))
            else:
                ids[question.id] = (str(question.qtype), line)
                parsed.setdefault(locale, {})[question.id] = question
        found[locale] = ids

    if reference not in found:
        return counts, problems
    reference_path, _ = sources[reference]
    expected = found[reference]
    for locale, ids in found.items():
        if locale == reference:
            continue
        path, _ = sources[locale]
        missing = [qid for qid in expected if qid not in ids]
        if missing:
            problems.append(
                Problem(
                    path,
                    0,
                    f"the {locale} file lacks question ids that {reference_path} has: " + ", ".join(missing),
                )
            )
        for qid, (qtype, line) in ids.items():
            if qid not in expected:
                problems.append(Problem(path, line, f"question id {qid} is not in {reference_path}"))
            elif qtype != expected[qid][0]:
                problems.append(
                    Problem(
                        path,
                        line,
                        f"question {qid} is {qtype} here but {expected[qid][0]} in {reference_path}",
                    )
                )
            else:
                source = parsed[reference][qid]
                for message in parity.differences(source, parsed[locale][qid], reference_path):
                    problems.append(Problem(path, line, message))
    return counts, problems
