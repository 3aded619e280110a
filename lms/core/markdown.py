"""Trainer Markdown to safe HTML, lesson titles and word counts.

Two layers keep lesson HTML safe: markdown-it-py never emits raw HTML and drops dangerous
links, then nh3 cleans the result against an explicit allowlist, so a bug in one layer is
still caught by the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["render", "title_of", "word_count"]

# Only a single path component inside the course's own media/ folder may be an image source:
# anything else would make the learner's browser fetch from a third-party host.
_MEDIA_SRC = re.compile(r"^media/([A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)+)$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# Browsers drop these from URLs before looking for a scheme ("java\tscript:" is javascript:).
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")
_EXTERNAL_SCHEMES = frozenset({"http", "https"})
_LINK_SCHEMES = _EXTERNAL_SCHEMES | {"mailto"}
_EXTERNAL_REL = "noopener noreferrer nofollow"
_ALIGN_CLASS = {
    "text-align:left": "align-left",
    "text-align:center": "align-center",
    "text-align:right": "align-right",
}

_TAGS = frozenset(
    {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "code", "pre"}
    | {"blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td"}
)
# width and height come only from the stored image (Markdown cannot set them): the page keeps
# its layout while a lazy image loads.
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "ol": {"start"}}
_ATTRIBUTE_VALUES = {"a": {"rel": {_EXTERNAL_REL}}, "img": {"loading": {"lazy"}}}
_CLASSES = {tag: set(_ALIGN_CLASS.values()) for tag in ("th", "td")}

_CLOSING_HASHES = re.compile(r"(?:^|\s+)#+\s*$")


@cache
def _parser() -> MarkdownIt:
    # js-default keeps raw HTML off; tables are enabled explicitly so a preset change cannot
    # silently drop them.
    return MarkdownIt("js-default").enable("table")


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(_TAGS),
        attributes=_ATTRIBUTES,
        tag_attribute_values=_ATTRIBUTE_VALUES,
        allowed_classes=_CLASSES,
        url_schemes=set(_LINK_SCHEMES),
        # rel is set by us on external links only; nh3 would put it on every link.
        link_rel=None,
        strip_comments=True,
    )


def _link_allowed(url: str) -> tuple[bool, bool]:
    """Return whether a link URL may stay, and whether it is external."""
    schemes = set()
    # Percent-decoding as well catches "java%09script:" in case some client decodes it.
    for candidate in (url, unquote(url)):
        match = _SCHEME.match(_URL_IGNORED.sub("", candidate))
        schemes.add(match.group(1).lower() if match else None)
    schemes.discard(None)
    if not schemes <= _LINK_SCHEMES:
        return False, False
    return True, bool(schemes & _EXTERNAL_SCHEMES)


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _rewrite_inline(
    children: list[Token],
    md: MarkdownIt,
    media_url: Callable[[str], str] | None,
    media_size: Callable[[str], tuple[int, int] | None] | None,
) -> list[Token]:
    out: list[Token] = []
    dropped_link = False
    for token in children:
        if token.type == "image":
            alt = md.renderer.renderInlineAsText(token.children or [], md.options, {})
            match = _MEDIA_SRC.match(str(token.attrGet("src") or ""))
            if match is None or ".." in match.group(1):
                out.append(_text(alt))
                continue
            name = match.group(1)
            token.attrSet("src", media_url(name) if media_url else f"media/{name}")
            token.attrSet("loading", "lazy")
            size = media_size(name) if media_size else None
            if size:
                token.attrSet("width", str(int(size[0])))
                token.attrSet("height", str(int(size[1])))
        elif token.type == "link_open":
            allowed, external = _link_allowed(str(token.attrGet("href") or ""))
            if not allowed:
                # Links cannot nest in CommonMark, so the next link_close is this link's.
                dropped_link = True
                continue
            if external:
                token.attrSet("rel", _EXTERNAL_REL)
        elif token.type == "link_close" and dropped_link:
            dropped_link = False
            continue
        out.append(token)
    return out


def render(
    text: str,
    *,
    media_url: Callable[[str], str] | None = None,
    media_size: Callable[[str], tuple[int, int] | None] | None = None,
) -> str:
    """Render trainer Markdown to sanitised HTML, with images only from the course's media/.

    `media_size(name)` returns an image's (width, height) in pixels, or None when unknown.
    """
    md = _parser()
    tokens = md.parse(text)
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = _rewrite_inline(token.children, md, media_url, media_size)
        elif token.type in ("th_open", "td_open"):
            # Inline styles would need a weaker CSP; a class carries the same alignment.
            align = _ALIGN_CLASS.get(str(token.attrGet("style") or ""))
            token.attrs = {"class": align} if align else {}
    html = md.renderer.render(tokens, md.options, {})
    return _cleaner().clean(html)


def title_of(markdown: str) -> str | None:
    """Return the text of the first line starting with '# ', or None when there is none."""
    for line in markdown.splitlines():
        if line.startswith("# "):
            return _CLOSING_HASHES.sub("", line[2:]).strip() or None
    return None


def _visible_text(tokens: Iterable[Token]) -> Iterable[str]:
    for token in tokens:
        if token.type == "inline":
            for child in token.children or []:
                # An image's alt text is not read on the page, so it is not counted.
                if child.type in ("text", "code_inline"):
                    yield child.content
                elif child.type in ("softbreak", "hardbreak"):
                    yield " "
            yield " "
        elif token.type in ("fence", "code_block"):
            yield token.content
            yield " "


def word_count(markdown: str) -> int:
    """Count the words a reader sees (text and code, not URLs or image alt text)."""
    text = "".join(_visible_text(_parser().parse(markdown)))
    return sum(1 for word in text.split() if any(ch.isalnum() for ch in word))
