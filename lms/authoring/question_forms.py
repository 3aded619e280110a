"""The question form of the quiz editor, and its bridge to GIFT questions (both ways)."""

from __future__ import annotations

import math

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.quizzes import Answer, MatchPair, Question, parity, truefalse_answers

from .forms import FORMAT_CHOICES, QUESTION_ID, choices


class AnswerForm(Form):
    """One answer row: text (or a number), its percentage of the mark and its feedback."""

    text = StringField(_l("Answer"), validators=[Length(max=2000)])
    percent = IntegerField(_l("Percent of the mark"), validators=[Optional(), NumberRange(-100, 100)])
    feedback = StringField(_l("Feedback for this answer"), validators=[Length(max=2000)])
    tolerance = StringField(_l("Tolerance (±)"), validators=[Length(max=40)])


class PairForm(Form):
    """One matching pair (an empty left side adds a wrong option)."""

    left = StringField(_l("Item"), validators=[Length(max=2000)])
    right = StringField(_l("Matches"), validators=[Length(max=2000)])


class QuestionForm(FlaskForm):
    """One question of any type; the template shows the fields of the type being edited."""

    qid = StringField(
        _l("Question id (the same in every language)"), validators=[DataRequired(), QUESTION_ID]
    )
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=20_000)])
    text_after = StringField(
        _l("Text after the blank (missing-word questions)"), validators=[Length(max=2000)]
    )
    text_format = SelectField(_l("Text format"), choices=choices(FORMAT_CHOICES), default="moodle")
    general_feedback = TextAreaField(_l("General feedback"), validators=[Length(max=5000)])
    answers = FieldList(FormField(AnswerForm))
    pairs = FieldList(FormField(PairForm))
    correct = RadioField(
        _l("The statement is"),
        choices=choices([("true", _l("True")), ("false", _l("False"))]),
        default="true",
    )
    feedback_true = StringField(_l("Feedback for “true”"), validators=[Length(max=2000)])
    feedback_false = StringField(_l("Feedback for “false”"), validators=[Length(max=2000)])
    base = HiddenField()

    def add_rows(self, qtype: str, answers: int = 0, pairs: int = 0, *, fixed: bool = False) -> None:
        """Add empty rows so a trainer can add answers without JavaScript.

        `fixed`: a translation, whose choices and pairs are the source's (only short-answer
        questions may accept more answers in another language).
        """
        if fixed and qtype != "shortanswer":
            return
        if qtype in ("multichoice", "multiresponse", "shortanswer", "numerical"):
            while len(self.answers.entries) < max(answers + 2, 5):
                self.answers.append_entry()
        if qtype == "matching":
            while len(self.pairs.entries) < max(pairs + 2, 5):
                self.pairs.append_entry()

    def fill(self, question: Question, *, fixed: bool = False) -> None:
        """Show an existing question in the form."""
        self.qid.data, self.text.data, self.text_after.data = question.id, question.text, question.text_after
        self.text_format.data, self.general_feedback.data = question.text_format, question.general_feedback
        if question.qtype == "truefalse":
            self.correct.data = "true" if question.truefalse_answer else "false"
            self.feedback_true.data, self.feedback_false.data = (a.feedback for a in question.answers)
        for answer in question.answers if question.qtype != "truefalse" else ():
            self.answers.append_entry()
            row = self.answers.entries[-1].form
            row.percent.data = round(answer.fraction * 100)
            row.feedback.data = answer.feedback
            if question.qtype == "numerical":
                row.text.data = "*" if answer.value is None else _number(answer.value)
                row.tolerance.data = _number(answer.tolerance) if answer.tolerance else ""
            else:
                row.text.data = answer.text
        for pair in question.pairs:
            self.pairs.append_entry()
            self.pairs.entries[-1].form.left.data = pair.left
            self.pairs.entries[-1].form.right.data = pair.right
        self.add_rows(question.qtype, len(question.answers), len(question.pairs), fixed=fixed)

    def question(
        self, qtype: str, category: str | None = None, *, key: Question | None = None
    ) -> Question | None:
        """Build the GIFT question the form describes, or add the reason to form_errors.

        `key`: the source question of a translation; its weights, numbers and tolerances are
        taken, whatever the form says (parity.differences tells what still does not match).
        """
        try:
            built = self._build(qtype, category, checked=key is None)
        except ValueError as error:
            self.form_errors.append(str(error))
            return None
        return built if key is None else parity.adopt_key(key, built)

    def _build(self, qtype: str, category: str | None, *, checked: bool = True) -> Question:
        common = {
            "qtype": qtype,
            "id": self.qid.data.strip(),
            "text": self.text.data.strip(),
            "text_format": self.text_format.data,
            "category": category,
            "general_feedback": (self.general_feedback.data or "").strip(),
        }
        if qtype in ("essay", "description"):
            if qtype == "description" and common["general_feedback"]:
                raise ValueError(_("A description has no feedback."))
            return Question(**common)
        if qtype == "truefalse":
            answers = truefalse_answers(
                self.correct.data == "true",
                feedback_true=(self.feedback_true.data or "").strip(),
                feedback_false=(self.feedback_false.data or "").strip(),
            )
            return Question(**common, answers=answers)
        if qtype == "matching":
            pairs = [
                MatchPair(p.form.left.data.strip(), p.form.right.data.strip())
                for p in self.pairs.entries
                if (p.form.right.data or "").strip()
            ]
            if sum(1 for p in pairs if p.left) < 2:
                raise ValueError(_("A matching question needs at least two items with their matches."))
            return Question(**common, pairs=tuple(pairs))
        rows = [r.form for r in self.answers.entries if (r.form.text.data or "").strip()]
        text_after = (self.text_after.data or "").strip()
        text_after = f" {text_after}" if text_after and qtype in ("multichoice", "shortanswer") else ""
        if qtype == "numerical":
            return Question(**common, answers=tuple(_numerical(rows, checked=checked)))
        default = 100 if qtype == "shortanswer" else 0
        percents = [default if r.percent.data is None else r.percent.data for r in rows]
        answers = [
            Answer(r.text.data.strip(), percent / 100, (r.feedback.data or "").strip())
            for r, percent in zip(rows, percents, strict=True)
        ]
        if not checked:
            pass  # a translation: the source's key is checked against it instead
        elif qtype == "shortanswer":
            if not any(p > 0 for p in percents):
                raise ValueError(_("Give at least one accepted answer with a percentage above 0."))
        elif len(answers) < 2:
            raise ValueError(_("Give at least two answers."))
        elif qtype == "multichoice" and percents.count(100) != 1:
            raise ValueError(_("Exactly one answer gets 100 percent; the others get less."))
        elif qtype == "multiresponse" and sum(p for p in percents if p > 0) != 100:
            raise ValueError(_("The percentages of the right answers must add up to 100."))
        return Question(**common, text_after=text_after, answers=tuple(answers))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _numerical(rows: list[AnswerForm], *, checked: bool = True) -> list[Answer]:
    answers = []
    for row in rows:
        raw, tolerance_raw = row.text.data.strip(), (row.tolerance.data or "").strip()
        percent = 100 if row.percent.data is None else row.percent.data
        feedback = (row.feedback.data or "").strip()
        if raw == "*":
            answers.append(Answer("", percent / 100, feedback, value=None))
            continue
        try:
            value = float(raw.replace(",", "."))
            tolerance = float(tolerance_raw.replace(",", ".")) if tolerance_raw else 0.0
        except ValueError:
            raise ValueError(_("“%(value)s” is not a number.", value=raw))
        if not (math.isfinite(value) and math.isfinite(tolerance)) or tolerance < 0:
            raise ValueError(_("“%(value)s” is not a number.", value=raw))
        answers.append(Answer("", percent / 100, feedback, value=value, tolerance=tolerance))
    if checked and not any(a.fraction > 0 for a in answers):
        raise ValueError(_("Give at least one accepted number with a percentage above 0."))
    return answers
