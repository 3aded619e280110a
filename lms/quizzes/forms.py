"""Quiz forms. The answers of an attempt are not WTForms fields: their names come from the
attempt's frozen layout and ``services.submit_attempt`` reads and checks them; these forms
carry the CSRF token and the trainer's essay mark.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.quizzes.marking import MAX_COMMENT_LENGTH


class AttemptForm(FlaskForm):
    """Start or submit an attempt (CSRF only; pass ``request.form`` to submit_attempt)."""


class MarkEssayForm(FlaskForm):
    """A trainer's mark for one essay: a percentage and a comment for the learner."""

    mark = DecimalField(
        _l("Mark (percent)"), places=None, validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    comment = TextAreaField(
        _l("Comment for the learner"), validators=[Optional(), Length(max=MAX_COMMENT_LENGTH)]
    )

    @property
    def fraction(self) -> float:
        """Return the mark as mark_essay takes it (0 to 1)."""
        return float(self.mark.data) / 100
