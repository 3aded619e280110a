"""Report forms (CSRF-protected by Flask-WTF). The dashboard filter is a GET form in the template."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from lms.reports.models import AGE_BANDS, GENDERS

GENDER_LABELS = {"female": _l("Woman"), "male": _l("Man"), "other": _l("Another gender")}
AGE_BAND_LABELS = {
    "under_18": _l("Under 18"),
    "18_24": _l("18 to 24"),
    "25_34": _l("25 to 34"),
    "35_44": _l("35 to 44"),
    "45_54": _l("45 to 54"),
    "55_64": _l("55 to 64"),
    "65_plus": _l("65 or over"),
}


class ConfirmForm(FlaskForm):
    """An empty form: a POST button protected by CSRF."""


class StatementsForm(FlaskForm):
    """The date range of an xAPI export."""

    since = DateField(_l("From"), validators=[DataRequired()])
    until = DateField(_l("To (inclusive)"), validators=[DataRequired()])


class CohortForm(FlaskForm):
    """Create a cohort."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    courses = SelectMultipleField(_l("Courses"), coerce=int, choices=[], validators=[DataRequired()])
    organisations = SelectMultipleField(_l("Organisations"), coerce=int, choices=[])
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])


class RosterForm(FlaskForm):
    """Upload a CSV of usernames or e-mails."""

    roster = FileField(
        _l("CSV file: one username or e-mail per line, in the first column"), validators=[FileRequired()]
    )


class JoinForm(FlaskForm):
    """Join a cohort with its code; the second step confirms and may pick an organisation."""

    code = StringField(_l("Cohort code"), validators=[DataRequired(), Length(max=32)])
    organisation = SelectField(_l("Your organisation"), coerce=int, choices=[], validate_choice=False)
    confirm = BooleanField(_l("Join this cohort and share my progress in its courses with its managers"))


class GrantForm(FlaskForm):
    """Let a manager see an organisation, or the whole programme."""

    manager = SelectField(_l("Manager"), coerce=int, choices=[], validate_choice=True)
    organisation = SelectField(_l("Sees"), choices=[], validate_choice=True)


class RevokeForm(FlaskForm):
    """Take back an organisation or the whole programme from a manager."""

    organisation = StringField(validators=[DataRequired(), Length(max=12)])


class DemographicsForm(FlaskForm):
    """The learner's optional gender and age band."""

    gender = SelectField(
        _l("Gender"),
        choices=[SelectChoice("", _l("Prefer not to say"))]
        + [SelectChoice(g, GENDER_LABELS[g]) for g in GENDERS],
        validate_choice=True,
    )
    age_band = SelectField(
        _l("Age"),
        choices=[SelectChoice("", _l("Prefer not to say"))]
        + [SelectChoice(a, AGE_BAND_LABELS[a]) for a in AGE_BANDS],
        validate_choice=True,
    )
    is_shared = BooleanField(
        _l("Include these answers in the reports of my organisations' programme managers")
    )
