"""Editor forms (CSRF-protected by Flask-WTF); the question form is in `question_forms`."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from lms.core.i18n import LANGUAGE_NAMES
from lms.courses.package import LOCALES

SLUG = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use lowercase letters, digits and single hyphens."))
QUESTION_ID = Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", message=_l("Use letters, digits, '.', '_' and '-' (at most 64).")
)


def choices(pairs) -> list[SelectChoice]:
    """Return (value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


LOCALE_CHOICES = [(code, LANGUAGE_NAMES[code]) for code in LOCALES]
TEXT_MAX = 200_000
QTYPE_NAMES = {
    "multichoice": _l("Multiple choice (one answer)"),
    "multiresponse": _l("Multiple response (several answers)"),
    "truefalse": _l("True or false"),
    "shortanswer": _l("Short answer"),
    "numerical": _l("Numerical"),
    "matching": _l("Matching"),
    "essay": _l("Essay (marked by a trainer)"),
    "description": _l("Description (no answer)"),
}
FORMAT_CHOICES = [
    ("moodle", _l("Text (line breaks kept)")),
    ("markdown", _l("Markdown")),
    ("plain", _l("Plain text")),
    ("html", _l("HTML (cleaned)")),
]


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewCourseForm(FlaskForm):
    """Start a new course."""

    slug = StringField(
        _l("Short name in web addresses (slug)"), validators=[DataRequired(), Length(max=64), SLUG]
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = StringField(_l("Summary"), validators=[DataRequired(), Length(max=500)])
    default_locale = SelectField(_l("Main language"), choices=choices(LOCALE_CHOICES), default="en")
    locales = MultiCheckboxField(_l("Languages taught"), choices=choices(LOCALE_CHOICES), default=["en"])


class UploadForm(FlaskForm):
    """Upload one file (a course .zip or an image)."""

    file = FileField(_l("File"), validators=[DataRequired()])


def settings_form(locales: list[str]) -> type[FlaskForm]:
    """Build the course settings form with a title and summary field per supported locale."""

    class SettingsForm(FlaskForm):
        """The course's settings, as course.toml holds them."""

        locales = MultiCheckboxField(_l("Languages taught"), choices=choices(LOCALE_CHOICES))
        default_locale = SelectField(_l("Main language"), choices=choices(LOCALE_CHOICES))
        topic = StringField(_l("Topic (optional)"), validators=[Optional(), Length(max=64), SLUG])
        estimated_minutes = IntegerField(
            _l("Estimated minutes (empty: from the reading time)"),
            validators=[Optional(), NumberRange(min=1)],
        )
        pass_mark = IntegerField(_l("Pass mark (percent)"), validators=[InputRequired(), NumberRange(0, 100)])
        certificate = BooleanField(_l("Completing the course gives a certificate"))
        certificate_valid_years = IntegerField(
            _l("Certificate valid for (years, 0 = forever)"), validators=[InputRequired(), NumberRange(min=0)]
        )

        def validate(self, extra_validators=None) -> bool:
            """Check that the main language is taught and every taught language has texts."""
            ok = super().validate(extra_validators)
            if self.default_locale.data not in (self.locales.data or []):
                self.locales.errors = [*self.locales.errors, _("The main language must be one of them.")]
                ok = False
            for code in self.locales.data or []:
                for kind in ("title", "summary"):
                    field = self[f"{kind}_{code}"]
                    if not (field.data or "").strip():
                        field.errors = [*field.errors, _("Required for every language taught.")]
                        ok = False
            return ok

    for code in LOCALES:
        name = LANGUAGE_NAMES[code]
        setattr(
            SettingsForm,
            f"title_{code}",
            StringField(_l("Title (%(language)s)", language=name), validators=[Length(max=200)]),
        )
        setattr(
            SettingsForm,
            f"summary_{code}",
            TextAreaField(_l("Summary (%(language)s)", language=name), validators=[Length(max=1000)]),
        )
    return SettingsForm


class AddForm(FlaskForm):
    """Add a module or a lesson: its slug and its title in the main language."""

    slug = StringField(
        _l("Short name in web addresses (slug)"), validators=[DataRequired(), Length(max=64), SLUG]
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])


def module_form() -> type[FlaskForm]:
    """Build the module form with a title field per supported locale."""

    class ModuleForm(FlaskForm):
        """A module's titles, lock and quiz settings."""

        requires_previous = BooleanField(_l("Locked until the previous module is complete"))
        quiz_pass_mark = IntegerField(
            _l("Quiz pass mark (percent; empty: the course's)"), validators=[Optional(), NumberRange(0, 100)]
        )
        quiz_max_attempts = IntegerField(
            _l("Attempts allowed (0 = unlimited)"),
            default=0,
            validators=[InputRequired(), NumberRange(min=0)],
        )
        quiz_shuffle = BooleanField(_l("Shuffle the order of the questions"))
        quiz_shuffle_choices = BooleanField(
            _l("Shuffle the choices of each question (the course's knowledge check always does)"),
            default=True,
        )
        quiz_questions_per_attempt = IntegerField(
            _l("Questions per attempt (empty: all)"), validators=[Optional(), NumberRange(min=1)]
        )
        quiz_feedback = SelectField(
            _l("Show right answers"),
            choices=choices(
                [
                    ("after_submit", _l("After each attempt")),
                    ("once_passed", _l("Once the learner has passed")),
                    ("never", _l("Never: the score only")),
                ]
            ),
        )
        quiz_grading = SelectField(
            _l("Which attempt counts"),
            choices=choices([("highest", _l("The best")), ("last", _l("The latest"))]),
        )

    for code in LOCALES:
        setattr(
            ModuleForm,
            f"title_{code}",
            StringField(
                _l("Title (%(language)s)", language=LANGUAGE_NAMES[code]), validators=[Length(max=200)]
            ),
        )
    return ModuleForm


class LessonForm(FlaskForm):
    """A lesson's Markdown in one language; `base` is the hash of the text the editor loaded."""

    body = TextAreaField(_l("Lesson text (Markdown)"), validators=[Length(max=TEXT_MAX)])
    base = HiddenField()


class ConfirmForm(FlaskForm):
    """A POST button protected by CSRF; deleting also needs the box ticked."""

    confirm = BooleanField(_l("Yes, delete it"))


class PublishForm(FlaskForm):
    """Publish the draft; stale or missing translations need the box ticked."""

    accept_translations = BooleanField(
        _l(
            "Publish anyway: learners see a note on stale lessons, and the main language where a translation is missing"
        )
    )


class OwnerForm(FlaskForm):
    """Add a co-trainer by username."""

    username = StringField(_l("Trainer's username"), validators=[DataRequired(), Length(max=64)])


class SourceForm(FlaskForm):
    """Paste or upload GIFT or Aiken questions."""

    kind = RadioField(_l("Format"), choices=choices([("gift", "GIFT"), ("aiken", "Aiken")]), default="gift")
    mode = RadioField(
        _l("What to do"),
        choices=choices(
            [
                ("append", _l("Add to the questions already there")),
                ("replace", _l("Replace every question")),
            ]
        ),
        default="append",
    )
    text = TextAreaField(_l("Questions"), validators=[Length(max=TEXT_MAX)])
    file = FileField(_l("Or upload a file"))


class EssayMarkForm(FlaskForm):
    """A mark for one essay: a percentage and a comment for the learner."""

    mark = IntegerField(_l("Mark (percent)"), validators=[InputRequired(), NumberRange(0, 100)])
    comment = TextAreaField(_l("Comment for the learner"), validators=[Optional(), Length(max=5000)])
