"""Aiken reading: single-answer multiple choice with generated ids, errors by line."""

import pytest

from lms.quizzes import aiken, gift
from lms.quizzes.aiken import AikenSyntaxError
from lms.quizzes.gift import Answer, Question, QuizSyntaxError
from lms.quizzes.scoring import best_response, score

TWO_QUESTIONS = """\
Which body reviews the human rights record of every UN member state?
A. The Security Council
B. The Universal Periodic Review working group
C. The International Court of Justice
ANSWER: B

أين يقع مقر مجلس حقوق الإنسان؟
A) نيويورك
B) جنيف
ANSWER: B
"""


def test_aiken_questions_are_single_answer_multiple_choice_with_generated_ids():
    first, second = aiken.parse(TWO_QUESTIONS)
    assert first == Question(
        id="aiken-1",
        qtype="multichoice",
        text="Which body reviews the human rights record of every UN member state?",
        text_format="plain",
        answers=(
            Answer("The Security Council", 0.0),
            Answer("The Universal Periodic Review working group", 1.0),
            Answer("The International Court of Justice", 0.0),
        ),
    )
    assert [a.key for a in first.answers] == ["a1", "a2", "a3"]
    assert (second.id, second.text, second.line) == ("aiken-2", "أين يقع مقر مجلس حقوق الإنسان؟", 7)
    assert [(a.text, a.fraction) for a in second.answers] == [("نيويورك", 0.0), ("جنيف", 1.0)]
    assert first.line == 1


def test_aiken_questions_need_no_blank_lines_and_tolerate_spacing_and_crlf():
    text = "Q1?\r\n  A.   one  \r\nB.\ttwo\r\nANSWER:A\r\nQ2?\nA) x\nB) y\nANSWER:   B   \n"
    questions = aiken.parse(text)
    assert [(q.id, q.text) for q in questions] == [("aiken-1", "Q1?"), ("aiken-2", "Q2?")]
    assert [a.text for a in questions[0].answers] == ["one", "two"]
    assert questions[0].answers[0].fraction == 1.0


def test_aiken_text_keeps_gift_special_characters_as_plain_text():
    (question,) = aiken.parse("Is 1 + 1 = 2 {#}?\nA. Yes ~ sure\nB. No\nANSWER: A\n")
    assert question.text == "Is 1 + 1 = 2 {#}?"
    assert gift.parse(gift.dump([question])) == [question]


def test_aiken_best_response_scores_full_marks():
    for question in aiken.parse(TWO_QUESTIONS):
        assert score(question, best_response(question)).is_correct


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("A. orphan option\nB. two\nANSWER: A", 1, "expected a question text before the options"),
        ("ANSWER: A", 1, "expected a question text before the options"),
        ("Q?\nA. one\nC. two\nANSWER: A", 3, "expected option B. followed by its text"),
        ("Q?\nB. one\nANSWER: A", 2, "expected option A. followed by its text"),
        ("Q?\nA. one\nANSWER: A", 3, "expected at least two options (A. and B.)"),
        ("Q?\nA. one\nB. two\nANSWER: C", 4, "one of the option letters A to B"),
        ("Q?\nA. one\nB. two\nANSWER: b", 4, "one of the option letters A to B"),
        ("Q?\nA. one\nB. two\nANSWER: AB", 4, "one of the option letters A to B"),
        ("Q?\nA. one\nB. two\nANSWER:", 4, "one of the option letters A to B"),
        ("Q?\nA. one\nB. two", 1, "question without an ANSWER: line at the end"),
        ("Q1?\nsecond line\nA. one\nB. two\nANSWER: A", 1, "question without an ANSWER: line"),
    ],
)
def test_aiken_errors_name_the_line(text, line, message):
    with pytest.raises(AikenSyntaxError) as caught:
        aiken.parse(text)
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value) == f"line {line}: {caught.value.message}"
    assert isinstance(caught.value, QuizSyntaxError)
    assert isinstance(caught.value, ValueError)


def test_aiken_check_lists_every_bad_question_and_carries_on():
    text = (
        "Good?\nA. a\nB. b\nANSWER: A\n\n"
        "Bad option?\nA. a\nC. c\nANSWER: A\n\n"
        "No answer line?\nA. a\nB. b\n\n"
        "Good again?\nA. a\nB. b\nANSWER: B\n\n"
        "Bad letter?\nA. a\nB. b\nANSWER: E\n"
    )
    assert aiken.check(text) == [
        (8, "expected option B. followed by its text"),
        (11, "question without an ANSWER: line (question text is one line)"),
        (23, "expected ANSWER: followed by one of the option letters A to B"),
    ]


def test_aiken_check_of_a_valid_file_is_empty():
    assert aiken.check(TWO_QUESTIONS) == []
    assert aiken.parse("") == []
