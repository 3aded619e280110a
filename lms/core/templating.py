"""Template globals: language, direction, the language switcher, fingerprinted static URLs."""

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, current_app, g, request, url_for
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_number,
    format_percent,
    get_locale,
)
from flask_login import current_user

from lms.core.i18n import DISCREET_COOKIE, language_name, supported_locales, text_direction


@cache
def _fingerprint(static_folder: str, filename: str) -> str:
    data = (Path(static_folder) / filename).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def static_url(filename: str) -> str:
    """Return the URL of a static file with a content fingerprint, so it can be cached for long."""
    fingerprint = _fingerprint(current_app.static_folder, filename)
    return url_for("static", filename=filename, v=fingerprint)


def _discreet() -> bool:
    if request.cookies.get(DISCREET_COOKIE) == "1":
        return True
    if g.get("db_unavailable"):
        return False
    user = current_user
    return bool(getattr(user, "is_discreet", False)) if user and user.is_authenticated else False


def _template_context():
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return {
        "current_locale": locale,
        "text_dir": text_direction(locale),
        "languages": [(code, language_name(code)) for code in supported_locales()],
        "db_unavailable": g.get("db_unavailable", False),
        "discreet": _discreet(),
        "current_path": request.full_path.rstrip("?") if request else "/",
    }


def init_templating(app: Flask) -> None:
    """Register template globals and settings."""
    app.jinja_env.globals.update(
        static_url=static_url,
        language_name=language_name,
        format_number=format_number,
        format_decimal=format_decimal,
        format_percent=format_percent,
        format_date=format_date,
        format_datetime=format_datetime,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(_template_context)
