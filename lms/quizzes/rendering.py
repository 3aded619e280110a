"""Trainer text (questions, answers, feedback) in its GIFT format, rendered to safe HTML."""

from __future__ import annotations

import nh3
from markupsafe import Markup, escape

from lms.core import markdown

# Quiz texts may carry HTML (Moodle's html and moodle formats); keep a small allowlist and no
# images, since an <img> pointing elsewhere would make the learner's browser call a third party.
_TAGS = {"p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "sub", "sup"}
_TAGS |= {"code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"}


def render_text(text: str, fmt: str) -> Markup:
    """Render a question, answer or feedback text in its GIFT format to safe HTML."""
    if not text:
        return Markup("")
    if fmt == "markdown":
        return Markup(markdown.render(text))  # noqa: S704 - sanitised by lms.core.markdown
    if fmt == "plain":
        return Markup("<br>\n").join(escape(line) for line in text.split("\n"))
    # Moodle's auto-format keeps the author's line breaks; html leaves layout to the tags.
    html = text.replace("\n", "<br>\n") if fmt == "moodle" else text
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def render_inline(text: str, fmt: str) -> Markup:
    """Render a short text (a choice, an item) for use inside a label: no wrapping paragraph."""
    html = render_text(text, fmt).rstrip()
    if fmt == "markdown" and html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return Markup(html[3:-4])  # noqa: S704 - safe HTML without its outer <p>
    return html
