"""Trainer Markdown renders to safe HTML whatever the input."""

import re
import urllib.parse
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.core.markdown import render, title_of, word_count

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")


def media_url(name):
    return f"/courses/c/media/{name}"


class Collector(HTMLParser):
    """Collect every start tag with its (already entity-decoded) attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def tags_of(html):
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector.tags


def is_dangerous(url):
    # What a browser would see: entities are decoded by the parser; strip the whitespace and
    # control characters it ignores, and also look through percent-encoding.
    for candidate in (url, urllib.parse.unquote(url)):
        squeezed = re.sub(r"[\x00-\x20\x7f]", "", candidate).lower()
        if squeezed.startswith(DANGEROUS_SCHEMES):
            return True
    return False


# Pieces that attacks are built from: Hypothesis combines them with arbitrary text.
FRAGMENTS = [
    "<script>alert(1)</script>", "<SCRIPT SRC=//evil/x.js>", "<scr<script>ipt>", "<img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>", "<svg onload=alert(1)>", "<iframe src=//evil>", "<style>",
    "javascript:", "JaVaScRiPt:", "java\tscript:", "java\nscript:", " javascript:", "\x00javascript:",
    "&#106;avascript:", "&#x6A;avascript:", "&#0000106;", "jav&#x09;ascript:", "java&Tab;script:",
    "&colon;", "javascript&colon;", "%6Aavascript:", "data:text/html;base64,PHNjcmlwdD4=",
    "data:image/png;base64,AAAA", "DATA:", "vbscript:msgbox(1)", "VBScript:", "alert(1)",
    "[x](", "](", ")", "![a](", "[ref]: ", "\n[ref]: ", "[x][ref]", "<", ">", "<http://a>",
    "<javascript:alert(1)>", '"', "'", " onerror=", " onmouseover=alert(1) ", "\"onclick=\"x",
    "`", "```", "\n", "\n\n", "    ", "| a | b |\n|---|---|\n", "# ", "**", "_", "\\", "&", "&amp;",
    "media/", "media/x.png", "../", "//evil.example/x.png", "http://", "https://a.example/", "mailto:",
    # Whole payloads too, so that the search does not have to assemble them by chance.
    "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](&#106;avascript:alert(1))",
    "[x](java%0Ascript:alert(1))", "[x](<java\tscript:alert(1)>)", "[x](vbscript:msgbox(1))",
    "[x](data:image/png;base64,AAAA)", "![x](data:image/gif;base64,R0lGOD)", "[x]: data:image/png;base64,A\n",
    "![x](javascript:alert(1))", "![x](media/x.png\" onerror=\"alert(1))",
]  # fmt: skip
markdown_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=25).map("".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_text)
def test_no_input_yields_script_event_handlers_or_dangerous_urls(text):
    html = render(text, media_url=media_url)
    assert "<script" not in html.lower()
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, html
        for name, value in attrs:
            assert not name.lower().startswith("on"), html
            if name in ("href", "src"):
                assert not is_dangerous(value or ""), html
            if tag == "img" and name == "src":
                assert value.startswith("/courses/c/media/"), html


@given(st.text())
def test_titles_and_word_counts_never_fail(text):
    title = title_of(text)
    assert title is None or (title and "\n" not in title)
    # Every word counted holds a letter or digit that the text holds.
    assert word_count(text) <= sum(ch.isalnum() for ch in text)


@given(st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), max_size=30))
def test_plain_words_are_each_counted(words):
    assert word_count(" ".join(words)) == len(words)


def test_basic_markdown_renders():
    html = render("# Title\n\nSome *emphasis*, **strong** and ~~struck~~ text.\n\n- one\n- two\n")
    assert html == (
        "<h1>Title</h1>\n<p>Some <em>emphasis</em>, <strong>strong</strong> and <s>struck</s> text.</p>\n"
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
    )


def test_tables_render_with_alignment_classes_not_inline_styles():
    html = render("| a | b |\n|:--|--:|\n| 1 | 2 |\n")
    assert '<th class="align-left">a</th>' in html
    assert '<td class="align-right">2</td>' in html
    assert "style" not in html


def test_raw_html_is_shown_as_text():
    html = render('<script>alert("x")</script>\n\nHi <b onclick="x()">there</b>')
    assert "&lt;script&gt;" in html
    assert "<b" not in html


def test_media_images_go_through_media_url_and_load_lazily():
    html = render('![A map of "the" UN](media/un-map.png "The UN")', media_url=media_url)
    assert html == (
        '<p><img src="/courses/c/media/un-map.png" alt="A map of &quot;the&quot; UN" '
        'title="The UN" loading="lazy"></p>\n'
    )


def test_media_images_stay_relative_without_media_url():
    assert (
        render("![map](media/un-map.png)") == '<p><img src="media/un-map.png" alt="map" loading="lazy"></p>\n'
    )


@pytest.mark.parametrize(
    "src",
    [
        "https://tracker.example/pixel.png",
        "//tracker.example/pixel.png",
        "http://127.0.0.1/x.png",
        "media/../secret.png",
        "media/sub/x.png",
        "other/x.png",
        "/media/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_images_outside_media_are_dropped_but_alt_text_is_kept(src):
    html = render(f"Look: ![the *alt* text]({src})", media_url=media_url)
    assert html == "<p>Look: the alt text</p>\n"


def test_external_links_get_rel_and_others_do_not():
    html = render("[a](https://un.org) [b](http://x.example) [c](../02-next/) [d](mailto:a@b.example)")
    assert '<a href="https://un.org" rel="noopener noreferrer nofollow">a</a>' in html
    assert '<a href="http://x.example" rel="noopener noreferrer nofollow">b</a>' in html
    assert '<a href="../02-next/">c</a>' in html
    assert '<a href="mailto:a@b.example">d</a>' in html


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "&#106;avascript:alert(1)",
        "java%09script:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,hi",
        "ftp://files.example/x",
        "tel:+100",
        "file:///etc/passwd",
    ],
)
def test_links_with_other_schemes_lose_their_link_but_keep_their_text(href):
    html = render(f"[click me]({href}) after")
    assert "<a" not in html
    assert "click me" in html


def test_link_titles_cannot_break_out_of_the_attribute():
    html = render('[x](https://a.example "t\\" onmouseover=\\"alert(1)")')
    assert tags_of(html) == [
        ("p", []),
        (
            "a",
            [
                ("href", "https://a.example"),
                ("title", 't" onmouseover="alert(1)'),
                ("rel", "noopener noreferrer nofollow"),
            ],
        ),
    ]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("# The Human Rights Council\n\nBody", "The Human Rights Council"),
        ("Intro line\n# Late title\n# Second", "Late title"),
        ("# مجلس حقوق الإنسان #\n", "مجلس حقوق الإنسان"),
        ("## Not a level one heading\n", None),
        ("#No space\n", None),
        ("# \n", None),
        ("", None),
    ],
)
def test_title_is_the_first_line_starting_with_hash_space(text, title):
    assert title_of(text) == title


def test_word_count_counts_what_a_reader_sees():
    text = (
        "# Title here\n\nOne [two](https://a.example/very/long/url) ![alt text](media/x.png) "
        "`three` - **four**\n\n```\nfive six\n```\n"
    )
    assert word_count(text) == 8


def test_word_count_keeps_arabic_words_with_diacritics_whole():
    assert word_count("مُحَمَّدٌ يَكْتُبُ الدَّرْسَ") == 3
