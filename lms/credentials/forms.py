"""Credential forms (CSRF-protected by Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, TextAreaField


class DownloadForm(FlaskForm):
    """Download a certificate as an Open Badge; the printed name only if ticked."""

    with_name = BooleanField(_l("Include my name as printed on the certificate"))


class VerifyForm(FlaskForm):
    """Check a credential: paste it, or upload it or its baked badge image."""

    pasted = TextAreaField(_l("Paste the credential (the text of its .json or .jwt file)"))
    upload = FileField(_l("Or upload the credential file or the badge image (PNG)"))
