"""Certificate forms (CSRF-protected by Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

# Long enough that an over-long name reaches the service, which says how long it may be.
_NAME = [DataRequired(), Length(max=2000)]


class CertificateRequestForm(FlaskForm):
    """Ask for a certificate: the name to print and its language, then confirm them."""

    name = StringField(_l("Your name as it should be printed on the certificate"), validators=_NAME)
    locale = SelectField(_l("Language of the certificate"), choices=[], validate_choice=True)
    step = HiddenField(default="preview")


class RevokeForm(FlaskForm):
    """Revoke a certificate, saying why."""

    reason = TextAreaField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=500)])


class ReissueForm(FlaskForm):
    """Render a certificate again, with a corrected name or language if needed."""

    name = StringField(_l("Name printed on the certificate"), validators=_NAME)
    locale = SelectField(_l("Language of the certificate"), choices=[], validate_choice=True)
