"""Page chrome (header and footer) rendered once per kind of visitor, filled in per request.

Every page carries the same header and footer for everyone who sees it in the same language,
with the same role, in the same mode; only the CSRF token and the page's own path differ. So each
part (templates/chrome/<part>.html) is rendered once per process and per key, with markers where
those two values go, and every page after that joins the cached pieces with its own values,
escaped as the template would have escaped them. Rendering the chrome was most of the cost of a
page's template (a dozen URLs, twenty translated strings, four forms).

A chrome template may use only the names in CONTEXT (the key), csrf_token() and current_path;
tests/core/test_chrome.py checks the templates against that list and the cached output against a
fresh render.
"""

import re

from flask import current_app, request
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup, escape

from lms.core.caches import caches

# The template context names the chrome depends on: together they are the cache key.
CONTEXT = ("current_locale", "text_dir", "languages", "discreet", "db_unavailable", "viewer")
_CSRF = "tamkeen-chrome-csrf-token"
_PATH = "tamkeen-chrome-current-path"
_HOLE = re.compile(f"({_CSRF}|{_PATH})")
_MAX_ENTRIES = 512  # parts x languages x roles x modes is far fewer; a bound all the same


def _key(context, part: str) -> tuple:
    return (part, request.script_root, *(context[name] for name in CONTEXT))


def _pieces(context, part: str) -> list[str]:
    """Render a chrome part with markers and split it: text at even indexes, markers at odd ones."""
    template = current_app.jinja_env.get_template(f"chrome/{part}.html")
    names = {name: context[name] for name in CONTEXT}
    # The translations the page's context carries (lms.core.templating); url_for is a global.
    names.update({key: value for key, value in context.items() if key.startswith("_tamkeen")})
    html = template.render(names, csrf_token=lambda: _CSRF, current_path=_PATH)
    return _HOLE.split(html)


@pass_context
def page_chrome(context, part: str) -> Markup:
    """Return a chrome part ("header", "footer") for this page, from the process's cache."""
    cache = caches(current_app).chrome
    key = _key(context, part)
    pieces = cache.get(key)
    if pieces is None:
        pieces = _pieces(context, part)
        if len(cache) >= _MAX_ENTRIES:
            cache.clear()
        cache[key] = pieces
    values = {}
    out = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            out.append(piece)
            continue
        if piece not in values:
            values[piece] = escape(generate_csrf() if piece == _CSRF else context["current_path"])
        out.append(values[piece])
    # The pieces are the chrome template's own autoescaped output; the values were escaped above.
    return Markup("".join(out))  # noqa: S704
