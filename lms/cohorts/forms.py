"""Live-session forms (CSRF-protected by Flask-WTF). The roll is read from the request directly."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

# Each language in its own name: a trainer recognises theirs whatever the page's language.
LANGUAGE_NAMES = {"en": "English", "ar": "العربية", "fr": "Français", "es": "Español", "tr": "Türkçe"}


class ConfirmForm(FlaskForm):
    """An empty form: a POST button protected by CSRF."""


class SessionForm(FlaskForm):
    """Create or edit a session; the times are wall-clock times in the chosen zone."""

    day = DateField(_l("Date"), validators=[DataRequired()])
    starts = TimeField(_l("Starts at"), validators=[DataRequired()])
    ends = TimeField(_l("Ends at"), validators=[DataRequired()])
    end_day = DateField(_l("End date, if another day"), validators=[Optional()])
    time_zone = SelectField(_l("Time zone"), choices=[], validate_choice=False)
    language = SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]
    )
    course = SelectField(_l("Course"), coerce=int, choices=[], validate_choice=False)
    module_slug = StringField(_l("Module (its short name, optional)"), validators=[Length(max=64)])
    venue = StringField(_l("Venue"), validators=[Length(max=300)])
    online_url = StringField(
        _l("Online link (shown to registered learners only)"), validators=[Length(max=500)]
    )
    capacity = IntegerField(_l("Capacity (empty: no limit)"), validators=[Optional(), NumberRange(min=1)])
    facilitators = StringField(
        _l("Facilitators' usernames, separated by commas"), validators=[Length(max=500)]
    )
    guests = StringField(
        _l("Guest experts without an account, separated by commas"), validators=[Length(max=500)]
    )
    allows_self_marking = BooleanField(_l("Learners may mark themselves present with a code"))


for _code, _name in LANGUAGE_NAMES.items():
    setattr(
        SessionForm,
        f"title_{_code}",
        StringField(_l("Title (%(language)s)", language=_name), validators=[Length(max=200)]),
    )
    setattr(
        SessionForm,
        f"description_{_code}",
        TextAreaField(_l("Description (%(language)s)", language=_name), validators=[Length(max=5000)]),
    )


class RequirementForm(FlaskForm):
    """A cohort's attendance requirement for one course."""

    course = SelectField(_l("Course"), coerce=int, choices=[], validate_choice=False)
    min_sessions = IntegerField(
        _l("Sessions to attend"), validators=[Optional(), NumberRange(min=1, max=500)]
    )
    min_hours = DecimalField(
        _l("Or live hours"), places=1, validators=[Optional(), NumberRange(min=0.1, max=1000)]
    )


class PreferencesForm(FlaskForm):
    """A learner's time zone and reminders."""

    time_zone = SelectField(_l("My time zone"), choices=[], validate_choice=False)
    wants_reminders = BooleanField(_l("E-mail me a reminder the day before a session I registered for"))


class CodeForm(FlaskForm):
    """A learner types the code the facilitator shows."""

    code = StringField(_l("Attendance code"), validators=[DataRequired(), Length(max=16)])


class ImportForm(FlaskForm):
    """An online tool's attendance report."""

    report = FileField(_l("CSV file: username or e-mail, then minutes attended"), validators=[FileRequired()])
