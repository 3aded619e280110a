"""The question-type registry: how each type is frozen into an attempt, shown, read and explained.

One polymorphic ``Question`` model holds every question type; ``QUESTION_TYPES`` maps each
``qtype`` to a class that knows how that type is frozen into an attempt, shown as a form
widget, read back from a submitted form and explained in feedback (CTFd's pattern).
"""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from lms.quizzes.errors import InvalidSubmission
from lms.quizzes.question_base import MAX_ESSAY_LENGTH, QuestionType, arrange, single, typed
from lms.quizzes.questions import FALSE_KEY, TRUE_KEY, MatchPair, Question
from lms.quizzes.rendering import render_inline, render_text
from lms.quizzes.scoring import score


def _number(value: float) -> str:
    locale = get_locale()
    # No grouping: answers are often years, and "1,948" would read as a different number.
    return format_decimal(value, format="0.##########", locale=str(locale) if locale else "en")


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
    def _order(cls, question: Question, entry: dict[str, Any]) -> list[str]:
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
    def _key(cls, question: Question, entry: dict[str, Any], value: str, name: str) -> str:
        order = cls._order(question, entry)
        if not value.isdigit() or not 1 <= int(value) <= len(order):
            raise InvalidSubmission(f"{name}: unknown choice")
        return order[int(value) - 1]

    @classmethod
    def read(cls, question, entry, values, name):
        """Return the chosen answer key, or None."""
        value = single(values, name)
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
        return escape(_("True") if key == TRUE_KEY else _("False"))

    @classmethod
    def view(cls, question, entry):
        """Return the two choices; their keys are what they say."""
        return {"choices": tuple((key, cls._label(key)) for key in (TRUE_KEY, FALSE_KEY))}

    @classmethod
    def read(cls, question, entry, values, name):
        """Return "true", "false" or None."""
        value = single(values, name)
        if value is not None and value not in (TRUE_KEY, FALSE_KEY):
            raise InvalidSubmission(f"{name}: unknown choice")
        return value

    @classmethod
    def describe_answer(cls, question, response):
        """Return True or False, translated."""
        return (cls._label(response),) if isinstance(response, str) else ()

    @classmethod
    def describe_correct(cls, question):
        """Return the right one of True and False."""
        return (cls._label(TRUE_KEY if question.truefalse_answer else FALSE_KEY),)


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
        return typed(values, name, MAX_ESSAY_LENGTH)

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
    def _stems(cls, question: Question, entry: dict[str, Any]) -> list[MatchPair]:
        pairs = {pair.key: pair for pair in question.pairs if pair.left}
        return [pairs[key] for key in arrange(entry.get("stems", ()), list(pairs))]

    @classmethod
    def _options(cls, question: Question, entry: dict[str, Any]) -> list[tuple[str, str]]:
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
            value = single(values, f"{name}-{index}")
            if not value:
                continue
            if not value.isdigit() or not 1 <= int(value) <= len(options):
                raise InvalidSubmission(f"{name}-{index}: unknown option")
            response[pair.key] = options[int(value) - 1][0]
        return response or None

    @classmethod
    def _lines(cls, question: Question, chosen: dict[str, str]) -> tuple[Markup, ...]:
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


def is_scored(question: Question) -> bool:
    """Tell whether a question counts towards the score."""
    return score(question, None).weight > 0
