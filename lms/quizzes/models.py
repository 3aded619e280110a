"""Quizzes: banks of questions per locale, learners' attempts and responses (the tables).

One polymorphic ``Question`` model holds every question type, stored as the pure parser's
dataclass (``lms.quizzes.questions``); how each type is shown, read and explained lives in
``lms.quizzes.question_types``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import utcnow
from lms.extensions import db
from lms.quizzes.questions import Answer, MatchPair
from lms.quizzes.questions import Question as QuestionData

KINDS = ("module", "assessment")
PHASES = ("pre", "post")
FEEDBACK_MODES = ("after_submit", "once_passed", "never")
GRADING_MODES = ("highest", "last")


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
    # The parsed question (``questions.Question`` as a dict), enough to rebuild it exactly.
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # A question dropped from the bank stays for the attempts that used it, never drawn again.
    is_retired: Mapped[bool] = mapped_column(default=False)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")

    @property
    def parsed(self) -> QuestionData:
        """Return the question as the pure GIFT engine's dataclass."""
        return question_from_data(self.data)


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


def question_to_data(question: QuestionData) -> dict[str, Any]:
    """Return a question as JSON-ready data (``question_from_data`` reads it back)."""
    data = asdict(question)
    data.pop("line", None)
    return data


def question_from_data(data: dict[str, Any]) -> QuestionData:
    """Rebuild a question stored by ``question_to_data``."""
    fields = dict(data)
    fields["answers"] = tuple(Answer(**answer) for answer in fields.get("answers", ()))
    fields["pairs"] = tuple(MatchPair(**pair) for pair in fields.get("pairs", ()))
    return QuestionData(**fields)
