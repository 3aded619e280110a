"""Template globals: language, direction, the language switcher, fingerprinted static URLs."""

import hashlib
import re
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import numbers as babel_numbers
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_number,
    format_percent,
    format_time,
    get_locale,
    get_translations,
)
from flask_login import current_user
from jinja2 import pass_context

from lms.core.chrome import page_chrome
from lms.core.i18n import language_name, supported_locales, text_direction
from lms.core.safety import discreet_requested

# The request's translations, resolved once per render instead of once per string.
_TRANSLATIONS = "_tamkeen_translations"
IMMUTABLE = "public, max-age=31536000, immutable"
# style.css -> style.0123456789ab.css: the name changes whenever the content does.
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")


@cache
def _fingerprint(static_folder: str, filename: str) -> str:
    data = (Path(static_folder) / filename).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def static_url(filename: str) -> str:
    """Return the URL of a static file with its content hash in the name, so it can be cached for good."""
    fingerprint = _fingerprint(current_app.static_folder, filename)
    stem, dot, ext = filename.rpartition(".")
    name = f"{stem}.{fingerprint}.{ext}" if dot else f"{filename}.{fingerprint}"
    return url_for("static", filename=name)


def _split_fingerprint(static_folder: str, filename: str) -> tuple[str, bool]:
    """Return the real file name behind a static URL and whether its hash is the current one."""
    match = _FINGERPRINTED.match(filename)
    if match is None:
        return filename, False
    real = match["stem"] + match["ext"]
    path = Path(static_folder) / real
    if not path.is_file() or (Path(static_folder) / filename).is_file():
        return filename, False
    return real, _fingerprint(static_folder, real) == match["hash"]


def _serve_fingerprinted_static(app: Flask):
    """Let the static endpoint answer fingerprinted names with the file they stand for."""
    serve = app.view_functions["static"]

    def static(filename):
        real, is_current = _split_fingerprint(app.static_folder, filename)
        response = serve(filename=real)
        # An old hash (a page cached before a deploy) still gets the file, but not for keeps.
        g.static_is_immutable = is_current
        return response

    app.view_functions["static"] = static

    @app.after_request
    def _static_cache(response):
        # Registered before the app's own header hook, so this runs after it and has the last word.
        if request.endpoint == "static" and response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE if g.get("static_is_immutable") else "no-cache"
        return response


def format_score(percent: float) -> str:
    """Format a score out of 100 in the locale's percent pattern (85,5 % or %85,5), one decimal at most."""
    share = Decimal(str(round(float(percent), 1))) / 100
    return babel_numbers.format_percent(share, locale=get_locale(), decimal_quantization=False)


def _signed_in_user():
    if not has_request_context() or g.get("db_unavailable"):
        return None
    user = current_user
    return user if user and user.is_authenticated else None


def _translations(context):
    found = context.get(_TRANSLATIONS)
    return found if found is not None else get_translations()  # e.g. a macro imported without context


def _install_gettext(app: Flask) -> None:
    """Have templates translate through the translations their context carries (Flask-Babel's, faster)."""
    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda context, s: _translations(context).ugettext(s)),
        ngettext=pass_context(lambda context, s, p, n: _translations(context).ungettext(s, p, n)),
        pgettext=pass_context(lambda context, c, s: _translations(context).upgettext(c, s)),
        npgettext=pass_context(lambda context, c, s, p, n: _translations(context).unpgettext(c, s, p, n)),
        newstyle=True,
    )


@cache
def _languages(codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((code, language_name(code)) for code in codes)


def _template_context():
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    user = _signed_in_user()
    return {
        _TRANSLATIONS: get_translations(),
        "current_locale": locale,
        "text_dir": text_direction(locale),
        "languages": _languages(supported_locales()),
        "db_unavailable": g.get("db_unavailable", False),
        "discreet": discreet_requested(user),
        "viewer": user.role.value if user is not None else None,  # the role the page chrome shows
        "current_path": request.full_path.rstrip("?") if has_request_context() else "/",
    }


def init_templating(app: Flask) -> None:
    """Register template globals and settings."""
    app.jinja_env.globals.update(
        static_url=static_url,
        page_chrome=page_chrome,
        language_name=language_name,
        format_number=format_number,
        format_decimal=format_decimal,
        format_percent=format_percent,
        format_score=format_score,
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(_template_context)
    _install_gettext(app)
    if app.has_static_folder:
        _serve_fingerprinted_static(app)
