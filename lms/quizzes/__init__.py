"""Quizzes: GIFT/Aiken banks, attempts, marking and results; knows nothing of courses.

The package exports the pure question data other packages build and write (the parsers are
the public modules ``lms.quizzes.gift``, ``lms.quizzes.aiken`` and ``lms.quizzes.parity``);
everything that touches the database goes through ``lms.quizzes.services``.
"""

from lms.quizzes.gift_dump import dump_question
from lms.quizzes.questions import Answer, MatchPair, Question, QuizSyntaxError, truefalse_answers

__all__ = ["Answer", "MatchPair", "Question", "QuizSyntaxError", "dump_question", "truefalse_answers"]
