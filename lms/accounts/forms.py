"""Account forms (CSRF-protected by Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

_PASSWORD = [DataRequired(), Length(max=4096)]


class SignUpForm(FlaskForm):
    """Sign-up: a username and a password, nothing else required."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=_PASSWORD)
    display_name = StringField(
        _l("Display name (optional, shown to trainers)"), validators=[Optional(), Length(max=120)]
    )
    email = EmailField(
        _l("E-mail (optional, only for password resets)"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )


class SignInForm(FlaskForm):
    """Sign-in."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=_PASSWORD)


class ChangePasswordForm(FlaskForm):
    """Change one's own password."""

    current_password = PasswordField(_l("Current password"), validators=_PASSWORD)
    new_password = PasswordField(_l("New password"), validators=_PASSWORD)


class ForgotPasswordForm(FlaskForm):
    """Ask for a reset link by e-mail."""

    email = EmailField(
        _l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )


class ResetPasswordForm(FlaskForm):
    """Choose a new password with a reset link."""

    new_password = PasswordField(_l("New password"), validators=_PASSWORD)


class RecoveryCodeForm(FlaskForm):
    """Choose a new password with a one-time recovery code."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    code = StringField(_l("Recovery code"), validators=[DataRequired(), Length(max=64)])
    new_password = PasswordField(_l("New password"), validators=_PASSWORD)


class ProfileForm(FlaskForm):
    """The learner's own profile."""

    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=120)])
    email = EmailField(
        _l("E-mail (optional, only for password resets)"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )
    locale = SelectField(_l("Preferred language"), choices=[], validate_choice=True)
    is_discreet = BooleanField(
        _l("Discreet mode: a neutral name, icon and page titles, here and in the browser's history")
    )


class EraseForm(FlaskForm):
    """Confirm erasing one's account."""

    password = PasswordField(_l("Password"), validators=_PASSWORD)
    confirm = BooleanField(
        _l("I understand that my account and personal data will be erased"),
        validators=[DataRequired()],
    )


class OrganisationForm(FlaskForm):
    """Create an organisation."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = StringField(_l("Country (two-letter code)"), validators=[DataRequired(), Length(2, 2)])


class MembershipForm(FlaskForm):
    """Join an organisation with the code it gave."""

    code = StringField(_l("Organisation code"), validators=[DataRequired(), Length(max=64)])


class ConfirmForm(FlaskForm):
    """An empty form: a POST button protected by CSRF."""
