"""Quizzes: banks of questions per locale, learners' attempts and responses.

One polymorphic ``Question`` model holds every question type; ``QUESTION_TYPES`` maps each
``qtype`` to a class that knows how that type is frozen into an attempt, shown as a form
widget, read back from a submitted form and explained in feedback (CTFd's pattern).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, ClassVar

import nh3
import sqlalchemy as sa
from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core import markdown
from lms.core.db import utcnow
from lms.extensions import db
from lms.quizzes import types
from lms.quizzes.scoring import score

KINDS = ("module", "assessment")
PHASES = ("pre", "post")
FEEDBACK_MODES = ("after_submit", "once_passed", "never")
GRADING_MODES = ("highest", "last")
# Longest text a learner may send for one answer; essays get more room.
MAX_ANSWER_LENGTH = 1_000
MAX_ESSAY_LENGTH = 20_000


class QuizError(Exception):
    """A quiz request that cannot be carried out; the message is for the user."""


class InvalidSubmission(QuizError):
    """A submitted form naming a question or choice the attempt does not have (answer 400)."""


class Quiz(db.Model):
    """A module quiz or a course assessment, with its settings; banks live in ``questions``."""

    __tablename__ = "quizzes"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('module', 'assessment')", name="kind"),
        sa.CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark"),
        sa.CheckConstraint("max_attempts >= 0", name="max_attempts"),
        sa.CheckConstraint("questions_per_attempt IS NULL OR questions_per_attempt >= 1", name="draw"),
        sa.CheckConstraint("feedback IN ('after_submit', 'once_passed', 'never')", name="feedback"),
        sa.CheckConstraint("grading IN ('highest', 'last')", name="grading"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    # The xAPI activity IRI, chosen by the caller (courses); one quiz per activity.
    activity_id: Mapped[str] = mapped_column(sa.String(500), unique=True)
    pass_mark: Mapped[int] = mapped_column(default=70)
    max_attempts: Mapped[int] = mapped_column(default=0)  # 0: unlimited
    is_shuffled: Mapped[bool] = mapped_column(default=False)  # the order of the questions
    # The order of each multiple-choice, multiple-response and matching question's choices.
    has_shuffled_choices: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    questions_per_attempt: Mapped[int | None]  # None: every question
    feedback: Mapped[str] = mapped_column(sa.String(16), default="after_submit")
    grading: Mapped[str] = mapped_column(sa.String(16), default="highest")
    default_locale: Mapped[str] = mapped_column(sa.String(8))
    locales: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def settings(self) -> dict[str, Any]:
        """Return the settings as ``replace_bank`` takes them."""
        return {
            "pass_mark": self.pass_mark,
            "max_attempts": self.max_attempts,
            "shuffle": self.is_shuffled,
            "shuffle_choices": self.has_shuffled_choices,
            "questions_per_attempt": self.questions_per_attempt,
            "feedback": self.feedback,
            "grading": self.grading,
        }

    def __repr__(self) -> str:
        return f"<Quiz {self.id} {self.kind} {self.activity_id}>"


class Question(db.Model):
    """One question of a bank in one locale; the same ``qid`` aligns it across locales."""

    __tablename__ = "questions"
    __table_args__ = (sa.UniqueConstraint("quiz_id", "qid", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"))
    qid: Mapped[str] = mapped_column(sa.String(200))
    locale: Mapped[str] = mapped_column(sa.String(8))
    position: Mapped[int]
    qtype: Mapped[str] = mapped_column(sa.String(16))
    # The parsed question (types.Question as a dict), enough to rebuild it exactly.
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # A question dropped from the bank stays for the attempts that used it, never drawn again.
    is_retired: Mapped[bool] = mapped_column(default=False)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")

    @property
    def parsed(self) -> types.Question:
        """Return the question as the pure GIFT engine's dataclass."""
        return question_from_data(self.data)

    @property
    def type_class(self) -> type[QuestionType]:
        """Return the class that shows, reads and explains this question type."""
        return QUESTION_TYPES[self.qtype]


class Attempt(db.Model):
    """One learner's attempt at a quiz, with the questions and choice order frozen at start."""

    __tablename__ = "attempts"
    __table_args__ = (
        # Numbers are handed out max + 1, so this constraint is what stops two attempts
        # started at once from both being counted as within max_attempts.
        sa.UniqueConstraint("user_id", "quiz_id", "number"),
        sa.CheckConstraint("number >= 1", name="number"),
        sa.CheckConstraint("phase IS NULL OR phase IN ('pre', 'post')", name="phase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    locale: Mapped[str] = mapped_column(sa.String(8))
    phase: Mapped[str | None] = mapped_column(sa.String(8))
    # [{"qid": ..., "choices": [answer keys]} or {"qid", "stems", "options"} for matching].
    layout: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    # Set when the grade is final: at submission, or when the last essay is marked.
    graded_at: Mapped[datetime | None]
    score: Mapped[float | None]  # percent of the maximum
    is_passed: Mapped[bool] = mapped_column(default=False)
    needs_marking: Mapped[bool] = mapped_column(default=False)

    quiz: Mapped[Quiz] = relationship()
    responses: Mapped[list[Response]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", passive_deletes=True, order_by="Response.id"
    )

    @property
    def is_submitted(self) -> bool:
        """Tell whether the learner has handed the attempt in."""
        return self.submitted_at is not None

    @property
    def is_graded(self) -> bool:
        """Tell whether the grade is final."""
        return self.graded_at is not None


class Response(db.Model):
    """A learner's answer to one question of an attempt, scored (essays once marked)."""

    __tablename__ = "responses"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "qid"),
        sa.CheckConstraint("fraction IS NULL OR (fraction >= 0 AND fraction <= 1)", name="fraction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    qid: Mapped[str] = mapped_column(sa.String(200))
    # The response in scoring's shape (answer keys, typed text, left -> right keys); null: none.
    answer: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    fraction: Mapped[float | None]  # None: an essay waiting for a marker
    # The per-answer feedback texts the learner's answer earned, as shown on the result page.
    feedback: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime | None]
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    attempt: Mapped[Attempt] = relationship(back_populates="responses")


def question_to_data(question: types.Question) -> dict[str, Any]:
    """Return a question as JSON-ready data (``question_from_data`` reads it back)."""
    data = asdict(question)
    data.pop("line", None)
    return data


def question_from_data(data: dict[str, Any]) -> types.Question:
    """Rebuild a question stored by ``question_to_data``."""
    fields = dict(data)
    fields["answers"] = tuple(types.Answer(**answer) for answer in fields.get("answers", ()))
    fields["pairs"] = tuple(types.MatchPair(**pair) for pair in fields.get("pairs", ()))
    return types.Question(**fields)


# Rendering trainer text -----------------------------------------------------------------------

# Quiz texts may carry HTML (Moodle's html and moodle formats); keep a small allowlist and no
# images, since an <img> pointing elsewhere would make the learner's browser call a third party.
_TAGS = {"p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "sub", "sup"}
_TAGS |= {"code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"}


def render_text(text: str, fmt: str) -> Markup:
    """Render a question, answer or feedback text in its GIFT format to safe HTML."""
    if not text:
        return Markup("")
    if fmt == "markdown":
        return Markup(markdown.render(text))  # noqa: S704 - sanitised by lms.core.markdown
    if fmt == "plain":
        return Markup("<br>\n").join(escape(line) for line in text.split("\n"))
    # Moodle's auto-format keeps the author's line breaks; html leaves layout to the tags.
    html = text.replace("\n", "<br>\n") if fmt == "moodle" else text
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def render_inline(text: str, fmt: str) -> Markup:
    """Render a short text (a choice, an item) for use inside a label: no wrapping paragraph."""
    html = render_text(text, fmt).rstrip()
    if fmt == "markdown" and html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return Markup(html[3:-4])  # noqa: S704 - safe HTML without its outer <p>
    return html


def _number(value: float) -> str:
    locale = get_locale()
    # No grouping: answers are often years, and "1,948" would read as a different number.
    return format_decimal(value, format="0.##########", locale=str(locale) if locale else "en")


# The question-type registry -------------------------------------------------------------------

Values = Callable[[str], list[str]]


def arrange(frozen: Sequence[str], current: Sequence[str]) -> list[str]:
    """Return the keys in the frozen order, dropping gone ones and appending new ones.

    A bank edited during an open attempt may add or remove answers; the attempt keeps the
    order it showed for what is still there.
    """
    present = set(current)
    kept = [key for key in frozen if key in present]
    return kept + [key for key in current if key not in set(kept)]


def _single(values: Values, name: str) -> str | None:
    given = values(name)
    if len(given) > 1:
        raise InvalidSubmission(f"{name}: one value expected")
    return given[0] if given else None


def _typed(values: Values, name: str, limit: int) -> str | None:
    text = _single(values, name)
    if text is None or not text.strip():
        return None
    if len(text) > limit:
        raise InvalidSubmission(f"{name}: answer too long")
    return text


class QuestionType:
    """How a question type is frozen, shown, read back from a form and explained."""

    qtype: ClassVar[str]
    # The form control: "radio", "checkbox", "text", "decimal", "select" (matching),
    # "textarea" or None (nothing to answer).
    widget: ClassVar[str | None] = "text"

    @classmethod
    def freeze(cls, question: types.Question, rng: random.Random, shuffle: bool) -> dict[str, Any]:
        """Return what the attempt must remember about this question besides its qid."""
        return {}

    @classmethod
    def field_names(cls, question: types.Question, entry: dict[str, Any], name: str) -> set[str]:
        """Return the form field names this question uses."""
        return {name}

    @classmethod
    def view(cls, question: types.Question, entry: dict[str, Any]) -> dict[str, Any]:
        """Return the widget's data: choices, stems and options, nothing that tells the answer."""
        return {}

    @classmethod
    def read(cls, question: types.Question, entry: dict[str, Any], values: Values, name: str) -> object:
        """Turn the submitted values into a scoring response; raise InvalidSubmission."""
        return _typed(values, name, MAX_ANSWER_LENGTH)

    @classmethod
    def describe_answer(cls, question: types.Question, response: object) -> tuple[Markup, ...]:
        """Return the learner's answer as HTML lines for the result page."""
        return (escape(response),) if isinstance(response, str) else ()

    @classmethod
    def describe_correct(cls, question: types.Question) -> tuple[Markup, ...]:
        """Return the correct answer as HTML lines, for feedback."""
        return ()


class DescriptionType(QuestionType):
    """Text between questions; nothing to answer, not scored."""

    qtype = "description"
    widget = None

    @classmethod
    def field_names(cls, question, entry, name):
        """Return no field names: a description has no input."""
        return set()

    @classmethod
    def read(cls, question, entry, values, name):
        """Return no response."""
        return None


class ChoiceType(QuestionType):
    """Choices shown in a frozen, possibly shuffled order; the form names them 1, 2, 3..."""

    qtype = "multichoice"
    widget = "radio"

    @classmethod
    def freeze(cls, question, rng, shuffle):
        """Remember the order the choices are shown in."""
        keys = [answer.key for answer in question.answers]
        if shuffle:
            rng.shuffle(keys)
        return {"choices": keys}

    @classmethod
    def _order(cls, question: types.Question, entry: dict[str, Any]) -> list[str]:
        return arrange(entry.get("choices", ()), [a.key for a in question.answers])

    @classmethod
    def view(cls, question, entry):
        """Return the choices as (form value, HTML) in the frozen order."""
        # Answer keys are positions in the trainer's file, where the right answer is often
        # first: the form names a choice by where it is shown instead.
        choices = []
        for index, key in enumerate(cls._order(question, entry), start=1):
            answer = question.answer_by_key(key)
            assert answer is not None
            choices.append((str(index), render_inline(answer.text, answer.text_format or "moodle")))
        return {"choices": tuple(choices)}

    @classmethod
    def _key(cls, question: types.Question, entry: dict[str, Any], value: str, name: str) -> str:
        order = cls._order(question, entry)
        if not value.isdigit() or not 1 <= int(value) <= len(order):
            raise InvalidSubmission(f"{name}: unknown choice")
        return order[int(value) - 1]

    @classmethod
    def read(cls, question, entry, values, name):
        """Return the chosen answer key, or None."""
        value = _single(values, name)
        return None if value is None else cls._key(question, entry, value, name)

    @classmethod
    def _texts(cls, answers) -> tuple[Markup, ...]:
        return tuple(render_inline(a.text, a.text_format or "moodle") for a in answers)

    @classmethod
    def describe_answer(cls, question, response):
        """Return the text of the chosen answer."""
        answer = question.answer_by_key(response) if isinstance(response, str) else None
        return cls._texts([answer]) if answer else ()

    @classmethod
    def describe_correct(cls, question):
        """Return the text of the best answer."""
        best = max((a.fraction for a in question.answers), default=0)
        return cls._texts([a for a in question.answers if a.fraction == best][:1]) if best > 0 else ()


class MultiResponseType(ChoiceType):
    """Several answers may be ticked; their weights add up."""

    qtype = "multiresponse"
    widget = "checkbox"

    @classmethod
    def read(cls, question, entry, values, name):
        """Return the ticked answer keys (in the question's order), or None."""
        keys = {cls._key(question, entry, value, name) for value in values(name)}
        return [a.key for a in question.answers if a.key in keys] or None

    @classmethod
    def describe_answer(cls, question, response):
        """Return the texts of the ticked answers."""
        chosen = set(response) if isinstance(response, list) else set()
        return cls._texts([a for a in question.answers if a.key in chosen])

    @classmethod
    def describe_correct(cls, question):
        """Return the texts of the answers with a positive weight."""
        return cls._texts([a for a in question.answers if a.fraction > 0])


class TrueFalseType(QuestionType):
    """True or false."""

    qtype = "truefalse"
    widget = "radio"

    @classmethod
    def _label(cls, key: str) -> Markup:
        return escape(_("True") if key == types.TRUE_KEY else _("False"))

    @classmethod
    def view(cls, question, entry):
        """Return the two choices; their keys are what they say."""
        return {"choices": tuple((key, cls._label(key)) for key in (types.TRUE_KEY, types.FALSE_KEY))}

    @classmethod
    def read(cls, question, entry, values, name):
        """Return "true", "false" or None."""
        value = _single(values, name)
        if value is not None and value not in (types.TRUE_KEY, types.FALSE_KEY):
            raise InvalidSubmission(f"{name}: unknown choice")
        return value

    @classmethod
    def describe_answer(cls, question, response):
        """Return True or False, translated."""
        return (cls._label(response),) if isinstance(response, str) else ()

    @classmethod
    def describe_correct(cls, question):
        """Return the right one of True and False."""
        return (cls._label(types.TRUE_KEY if question.truefalse_answer else types.FALSE_KEY),)


class ShortAnswerType(QuestionType):
    """A typed word or phrase."""

    qtype = "shortanswer"

    @classmethod
    def describe_correct(cls, question):
        """Return the first fully right answer (wildcards as written)."""
        best = max((a.fraction for a in question.answers), default=0)
        return tuple(escape(a.text) for a in question.answers if a.fraction == best and best > 0)[:1]


class NumericalType(QuestionType):
    """A typed number; read as a number by scoring, never evaluated."""

    qtype = "numerical"
    widget = "decimal"

    @classmethod
    def describe_correct(cls, question):
        """Return the best answer's value, with its accepted range."""
        answers = [a for a in question.answers if a.value is not None]
        if not answers:
            return ()
        best = max(answers, key=lambda a: a.fraction)
        assert best.value is not None and best.minimum is not None and best.maximum is not None
        if not best.tolerance:
            return (escape(_number(best.value)),)
        text = _(
            "%(value)s (from %(low)s to %(high)s)",
            value=_number(best.value),
            low=_number(best.minimum),
            high=_number(best.maximum),
        )
        return (escape(text),)


class EssayType(QuestionType):
    """A written answer, kept for a trainer to mark."""

    qtype = "essay"
    widget = "textarea"

    @classmethod
    def read(cls, question, entry, values, name):
        """Return the text, or None."""
        return _typed(values, name, MAX_ESSAY_LENGTH)

    @classmethod
    def describe_answer(cls, question, response):
        """Return the essay with its line breaks."""
        return (render_text(response, "plain"),) if isinstance(response, str) else ()


class MatchingType(QuestionType):
    """Items to match with options from one list; the option order is always shuffled."""

    qtype = "matching"
    widget = "select"

    @classmethod
    def freeze(cls, question, rng, shuffle):
        """Remember the order of the items and of the options."""
        stems = [pair.key for pair in question.pairs if pair.left]
        if shuffle:
            rng.shuffle(stems)
        # Options in file order would line up with the items: always shuffle them.
        options = [key for key, _text in question.right_items]
        rng.shuffle(options)
        return {"stems": stems, "options": options}

    @classmethod
    def _stems(cls, question: types.Question, entry: dict[str, Any]) -> list[types.MatchPair]:
        pairs = {pair.key: pair for pair in question.pairs if pair.left}
        return [pairs[key] for key in arrange(entry.get("stems", ()), list(pairs))]

    @classmethod
    def _options(cls, question: types.Question, entry: dict[str, Any]) -> list[tuple[str, str]]:
        texts = dict(question.right_items)
        return [(key, texts[key]) for key in arrange(entry.get("options", ()), list(texts))]

    @classmethod
    def field_names(cls, question, entry, name):
        """Return one field per item: name-1, name-2..."""
        return {f"{name}-{index}" for index in range(1, len(cls._stems(question, entry)) + 1)}

    @classmethod
    def view(cls, question, entry):
        """Return the items (field suffix, HTML) and the options (form value, text)."""
        stems = tuple(
            (str(index), render_inline(pair.left, pair.left_format or "moodle"))
            for index, pair in enumerate(cls._stems(question, entry), start=1)
        )
        options = tuple(
            (str(index), text) for index, (_key, text) in enumerate(cls._options(question, entry), start=1)
        )
        return {"stems": stems, "options": options}

    @classmethod
    def read(cls, question, entry, values, name):
        """Return {item key: option key} for the items answered, or None."""
        options = cls._options(question, entry)
        response: dict[str, str] = {}
        for index, pair in enumerate(cls._stems(question, entry), start=1):
            value = _single(values, f"{name}-{index}")
            if not value:
                continue
            if not value.isdigit() or not 1 <= int(value) <= len(options):
                raise InvalidSubmission(f"{name}-{index}: unknown option")
            response[pair.key] = options[int(value) - 1][0]
        return response or None

    @classmethod
    def _lines(cls, question: types.Question, chosen: dict[str, str]) -> tuple[Markup, ...]:
        texts = dict(question.right_items)
        lines = []
        for pair in question.pairs:
            if pair.left and pair.key in chosen:
                left = render_inline(pair.left, pair.left_format or "moodle")
                lines.append(Markup("{} → {}").format(left, texts.get(chosen[pair.key], "")))
        return tuple(lines)

    @classmethod
    def describe_answer(cls, question, response):
        """Return "item → option" for each item answered."""
        return cls._lines(question, response) if isinstance(response, dict) else ()

    @classmethod
    def describe_correct(cls, question):
        """Return "item → option" for every item."""
        return cls._lines(question, {p.key: p.right_key for p in question.pairs if p.left})


QUESTION_TYPES: dict[str, type[QuestionType]] = {
    cls.qtype: cls
    for cls in (
        DescriptionType,
        EssayType,
        TrueFalseType,
        ChoiceType,
        MultiResponseType,
        ShortAnswerType,
        MatchingType,
        NumericalType,
    )
}


def is_scored(question: types.Question) -> bool:
    """Tell whether a question counts towards the score."""
    return score(question, None).weight > 0
