"""What users change about their own account: profile, language, discreet mode."""

from flask import Flask, current_app

from lms.accounts.models import User
from lms.accounts.validation import clean_text
from lms.core.security import canonical_key
from lms.core.views import discreet_mode_chosen, language_chosen
from lms.extensions import db


def update_profile(
    user: User, *, display_name: str, email: str | None, locale: str | None, is_discreet: bool = False
) -> None:
    """Save the learner's own profile choices."""
    user.is_discreet = bool(is_discreet)
    user.display_name = clean_text(display_name, 120)
    email = (email or "").strip() or None
    user.email = email
    user.email_key = canonical_key(email) or None
    user.locale = locale if locale in current_app.config["LANGUAGES"] else None
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    """Remember the interface language a signed-in user chose."""
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale
        db.session.flush()


def set_discreet(user: User, on: bool) -> None:
    """Remember whether a signed-in user wants discreet mode on every device."""
    user.is_discreet = bool(on)
    db.session.flush()


def follow_chrome_choices(app: Flask) -> None:
    """Keep on the account the language and discreet mode a signed-in user picks in the page chrome."""
    language_chosen.connect(_on_language, sender=app, weak=False)
    discreet_mode_chosen.connect(_on_discreet, sender=app, weak=False)


def _on_language(_app: Flask, *, user: User, locale: str) -> None:
    set_locale(user, locale)


def _on_discreet(_app: Flask, *, user: User, on: bool) -> None:
    set_discreet(user, on)
