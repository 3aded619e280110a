"""Locale selection, text direction and language names."""

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_login import current_user

LOCALE_COOKIE = "tamkeen_lang"
DISCREET_COOKIE = "tamkeen_discreet"

# Endonyms: each language is named in itself so anyone can find their own.
LANGUAGE_NAMES = {
    "en": "English",
    "ar": "العربية",
    "fr": "Français",
    "es": "Español",
    "tr": "Türkçe",
}


def supported_locales() -> tuple[str, ...]:
    """Return the interface languages, default first."""
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """Pick the locale: user preference, then cookie, then Accept-Language, then default."""
    if "forced_locale" in g:
        return g.forced_locale
    if not has_request_context():  # CLI commands and background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = supported_locales()
    preferred = getattr(current_user, "locale", None) if current_user else None
    if preferred in languages:
        return preferred
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction(locale: str) -> str:
    """Return "rtl" or "ltr" for a locale, as Babel's CLDR data says."""
    return Locale.parse(locale).text_direction


def language_name(locale: str) -> str:
    """Return a language's own name for itself."""
    return LANGUAGE_NAMES.get(locale) or Locale.parse(locale).get_display_name(locale)
