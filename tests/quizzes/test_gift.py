"""GIFT reading: the corpus of example files, Moodle's rules one by one, and the errors."""

import json
from pathlib import Path

import pytest

from lms.quizzes import gift
from lms.quizzes.gift import Answer, GiftSyntaxError, MatchPair, Question, QuizSyntaxError
from lms.quizzes.questions import QTYPES, truefalse_answers

CORPUS = Path(__file__).parent / "gift_corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.gift"))


def expected_questions(path: Path) -> list[Question]:
    """Build the questions a corpus file should parse to from its .expected.json."""
    items = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    questions = []
    for item in items:
        item = dict(item)
        item["answers"] = tuple(Answer(**a) for a in item.get("answers", []))
        item["pairs"] = tuple(MatchPair(**p) for p in item.get("pairs", []))
        questions.append(Question(**item))
    return questions


def only(text: str) -> Question:
    """Parse text that holds exactly one question."""
    questions = gift.parse(text)
    assert len(questions) == 1
    return questions[0]


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_corpus_file_parses_to_its_expected_questions(path):
    expected = expected_questions(path)
    actual = gift.parse(path.read_text(encoding="utf-8"))
    assert actual == expected
    assert [q.line for q in actual] == [q.line for q in expected]


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_corpus_file_has_no_errors(path):
    assert gift.check(path.read_text(encoding="utf-8")) == []


def test_corpus_covers_every_question_type():
    qtypes = {q.qtype for path in CORPUS_FILES for q in gift.parse(path.read_text("utf-8"))}
    assert qtypes == set(QTYPES)


def test_check_lists_every_bad_question_in_a_file():
    path = CORPUS / "errors" / "several_errors.gift"
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert gift.check(path.read_text(encoding="utf-8")) == [tuple(e) for e in expected]


def test_parse_stops_at_the_first_bad_question():
    text = (CORPUS / "errors" / "several_errors.gift").read_text(encoding="utf-8")
    with pytest.raises(GiftSyntaxError) as caught:
        gift.parse(text)
    assert (caught.value.line, caught.value.message) == (
        6,
        "unclosed '{': expected '}' after the answers",
    )


def test_syntax_error_is_a_value_error_that_names_its_line():
    with pytest.raises(ValueError) as caught:
        gift.parse("\n\nWhich city?{=Geneva")
    error = caught.value
    assert isinstance(error, GiftSyntaxError)
    assert isinstance(error, QuizSyntaxError)
    assert error.line == 3
    assert str(error) == f"line 3: {error.message}"


# Moodle's rules, one at a time.


def test_blank_lines_separate_questions_and_whitespace_only_lines_count_as_blank():
    questions = gift.parse("First?{T}\n \t \nSecond?{F}\n\n\n\nThird?{T}")
    assert [q.text for q in questions] == ["First?", "Second?", "Third?"]
    assert [q.line for q in questions] == [1, 3, 7]


def test_windows_and_old_mac_line_endings_and_a_byte_order_mark_are_read():
    text = "\ufeff::a::One\r\nline?{T}\r\n\r\n::b::Two\rlines?{F}"
    questions = gift.parse(text)
    assert [q.id for q in questions] == ["a", "b"]
    assert [q.text for q in questions] == ["One\nline?", "Two\nlines?"]


def test_comment_lines_are_dropped_anywhere_but_a_trailing_comment_is_text():
    question = only("// heading\n::c::Text\n// inside\nmore{T} // not a comment")
    assert question.text == "Text\nmore"
    assert question.text_after == " // not a comment"


def test_lines_are_trimmed_as_moodle_does():
    question = only("   ::t::   Indented question?   {\n\t\t=Yes\n\t\t~No   \n}   ")
    assert question.text == "Indented question?"
    assert [a.text for a in question.answers] == ["Yes", "No"]


def test_category_applies_to_the_questions_after_it():
    questions = gift.parse("Q0{}\n\n$CATEGORY: a/b\n\nQ1{}\n\nQ2{}\n\n$CATEGORY:   c  \n\nQ3{}")
    assert [q.category for q in questions] == [None, "a/b", "a/b", "c"]


def test_title_is_optional_and_may_hold_escaped_colons():
    assert only("Untitled?{T}").id is None
    assert only("::Q\\:1::Titled?{T}").id == "Q:1"
    assert only(":: spaced title ::Text{}").id == "spaced title"


def test_a_question_without_braces_is_a_description():
    question = only("::d::Read this first.")
    assert (question.qtype, question.text, question.answers) == ("description", "Read this first.", ())


def test_empty_braces_make_an_essay_and_may_hold_general_feedback():
    assert only("Discuss.{}").qtype == "essay"
    question = only("Discuss.{####Look at both sides.}")
    assert (question.qtype, question.general_feedback) == ("essay", "Look at both sides.")


def test_format_prefix_applies_to_its_own_text_and_is_the_default_for_the_rest():
    question = only("[html]<p>Q</p>{=[plain]<a>#[markdown]*b* ~c#d ####e}")
    assert question.text_format == "html"
    assert [(a.text_format, a.feedback_format) for a in question.answers] == [
        ("plain", "markdown"),
        ("html", "html"),
    ]
    assert question.general_feedback_format == "html"


def test_escaped_specials_are_plain_characters():
    question = only("a \\~ b \\= c \\# d \\{ e \\} f \\: g \\\\ h \\n i {T}")
    assert question.text == "a ~ b = c # d { e } f : g \\ h \n i"
    assert question.qtype == "truefalse"


def test_an_escaped_backslash_does_not_escape_what_follows():
    question = only("Path C:\\\\{T}")
    assert (question.text, question.qtype) == ("Path C:\\", "truefalse")


def test_truefalse_accepts_t_true_f_false_and_nothing_in_lower_case():
    for mark, correct in (("T", True), ("TRUE", True), ("F", False), ("FALSE", False)):
        question = only(f"Statement.{{{mark}}}")
        assert question.qtype == "truefalse"
        assert question.truefalse_answer is correct
        assert [a.key for a in question.answers] == ["true", "false"]
    with pytest.raises(GiftSyntaxError, match="true/false answers are T, TRUE, F or FALSE"):
        gift.parse("Statement.{true}")


def test_truefalse_answers_builds_the_pair_a_parse_would():
    answers = truefalse_answers(False, feedback_true="no", feedback_false="yes")
    assert Question(qtype="truefalse", text="x", answers=answers) == only("x{F#no#yes}")


def test_truefalse_feedback_follows_moodles_order_wrong_then_right():
    question = only("Statement.{F#you chose true, which is wrong#you chose false, right}")
    true, false = question.answers
    assert (true.fraction, true.feedback) == (0.0, "you chose true, which is wrong")
    assert (false.fraction, false.feedback) == (1.0, "you chose false, right")


def test_one_equals_answer_makes_single_answer_multiple_choice():
    question = only("Pick.{=a ~b ~%50%c ~%-50%d}")
    assert question.qtype == "multichoice"
    assert [(a.key, a.fraction) for a in question.answers] == [
        ("a1", 1.0),
        ("a2", 0.0),
        ("a3", 0.5),
        ("a4", -0.5),
    ]


def test_no_equals_answer_makes_multiple_response():
    question = only("Pick all.{~%50%a ~%50%b ~%-100%c ~d}")
    assert question.qtype == "multiresponse"
    assert [a.fraction for a in question.answers] == [0.5, 0.5, -1.0, 0.0]


def test_multiple_response_weights_may_round_to_one_hundred_percent():
    question = only("Pick.{~%33.3333%a ~%33.3333%b ~%33.3333%c}")
    assert question.qtype == "multiresponse"


def test_feedback_may_hold_hashes_after_the_first():
    question = only("Q{=a#one # two ~b}")
    assert question.answers[0].feedback == "one # two"


def test_general_feedback_is_after_the_last_four_hashes():
    question = only("Q{=a#x ~b####general #### feedback}")
    assert question.general_feedback == "feedback"
    question = only("Q{=a#x ~b####general}")
    assert question.general_feedback == "general"


def test_short_answer_is_all_equals_answers_with_optional_partial_credit():
    question = only("Q{=one =%50%two#half =%0%*#anything else}")
    assert question.qtype == "shortanswer"
    assert [(a.text, a.fraction, a.feedback) for a in question.answers] == [
        ("one", 1.0, ""),
        ("two", 0.5, "half"),
        ("*", 0.0, "anything else"),
    ]


def test_matching_needs_equals_and_arrows_and_allows_distractors():
    question = only("Q{=a -> 1 =b -> 2 = -> 3}")
    assert question.qtype == "matching"
    assert [(p.key, p.left, p.right, p.right_key) for p in question.pairs] == [
        ("m1", "a", "1", "r1"),
        ("m2", "b", "2", "r2"),
        ("m3", "", "3", "r3"),
    ]
    assert question.right_items == (("r1", "1"), ("r2", "2"), ("r3", "3"))


def test_matching_right_items_with_the_same_text_share_a_key():
    question = only("Q{=a -> same =b -> same =c -> other}")
    assert [p.right_key for p in question.pairs] == ["r1", "r1", "r2"]
    assert question.right_items == (("r1", "same"), ("r2", "other"))


def test_matching_keeps_a_hash_as_text():
    question = only("Q{=a#1 -> b#2 =c -> d}")
    assert (question.pairs[0].left, question.pairs[0].right) == ("a#1", "b#2")


def test_missing_word_keeps_the_spaces_next_to_the_blank():
    question = only("Human{=ity} is one.")
    assert (question.text, question.text_after) == ("Human", " is one.")
    assert question.is_missing_word
    question = only("  Ends here   {=x}   ")
    assert (question.text, question.text_after, question.is_missing_word) == (
        "Ends here",
        "",
        False,
    )


@pytest.mark.parametrize(
    ("block", "value", "tolerance"),
    [
        ("{#42}", 42.0, 0.0),
        ("{#42:2}", 42.0, 2.0),
        ("{#42:-2}", 42.0, 2.0),
        ("{#40..44}", 42.0, 2.0),
        ("{#-5..-1}", -3.0, 2.0),
        ("{#44..40}", 42.0, 2.0),
        ("{#.5}", 0.5, 0.0),
        ("{#1e3:1.5E1}", 1000.0, 15.0),
        ("{# = 7 : 0.5 }", 7.0, 0.5),
    ],
)
def test_numerical_forms(block, value, tolerance):
    question = only("N?" + block)
    (answer,) = question.answers
    assert question.qtype == "numerical"
    assert (answer.value, answer.tolerance, answer.fraction) == (value, tolerance, 1.0)
    assert (answer.minimum, answer.maximum) == (value - tolerance, value + tolerance)


def test_numerical_several_graded_answers_and_a_catch_all():
    question = only("N?{#=%100%10:0#exact =%50%10:2#close ~#far off}")
    assert [(a.value, a.tolerance, a.fraction, a.feedback) for a in question.answers] == [
        (10.0, 0.0, 1.0, "exact"),
        (10.0, 2.0, 0.5, "close"),
        (None, 0.0, 0.0, "far off"),
    ]


def test_keys_are_positional_and_stable():
    question = only("Q{~x ~y =z}")
    assert [a.key for a in question.answers] == ["a1", "a2", "a3"]
    assert question.answer_by_key("a3").text == "z"
    assert question.answer_by_key("a9") is None


def test_question_line_is_where_the_question_itself_starts():
    questions = gift.parse("// c\n// c\n::a::Q{T}\n\n\n// comment\n\n// c\n::b::\nQ2{F}")
    assert [q.line for q in questions] == [3, 9]


def test_line_is_not_part_of_equality():
    assert gift.parse("Q{T}") == gift.parse("\n\n\nQ{T}")


def test_question_rejects_unknown_types_and_formats():
    with pytest.raises(ValueError, match="unknown question type"):
        Question(qtype="cloze", text="x")
    with pytest.raises(ValueError, match="unknown text format"):
        Question(qtype="essay", text="x", text_format="rtf")
    with pytest.raises(ValueError, match="unknown text format"):
        Question(qtype="multichoice", text="x", answers=(Answer("a", text_format="doc"),))
    with pytest.raises(ValueError, match="two answers"):
        Question(qtype="truefalse", text="x")


def test_truefalse_answer_is_only_for_truefalse_questions():
    with pytest.raises(ValueError):
        _ = only("Q{=a ~b}").truefalse_answer


# Errors: each names the line of the bad question or token and what was expected.

ERRORS = [
    ("Q{=a ~b", 1, "unclosed '{': expected '}' after the answers"),
    ("Q\n{=a\n~b", 2, "unclosed '{'"),
    ("Q =a ~b}", 1, "'}' without an opening '{'"),
    ("Q\n} text {=a}", 2, "'}' without an opening '{'"),
    ("Q{=a\n{~b}", 2, "unexpected '{' inside the answers"),
    ("Q{=a ~b}\nQ2{T}", 2, "only one {...} answer block per question"),
    ("::title without end Q{T}", 1, "expected '::' to close the ::title::"),
    ("::::Q{T}", 1, "empty ::title::"),
    ("::t::", 1, "expected question text after the ::title::"),
    ("$CATEGORY: x\nQ{T}", 2, "expected a blank line after the $CATEGORY line"),
    ("Q{\n=a -> b\n}", 1, "matching needs at least two pairs (=item -> match), found 1"),
    ("Q{=a -> b = -> c}", 1, "matching needs at least two pairs (=item -> match), found 1"),
    ("Q{\n=a -> b\n=c\n}", 3, "matching pair without '->'"),
    ("Q{=a -> b =c -> }", 1, "matching pair with nothing after '->'"),
    ("Q{\n~%abc%x\n=y}", 2, "bad weight '%abc%': expected %number%, e.g. %50%"),
    ("Q{=x ~%50 y}", 1, "bad weight '%50 y'"),
    ("Q{=x ~%150%y}", 1, "bad weight '%150%': weights run from -100% to 100%"),
    ("Q{=%50%x ~y}", 1, "an '=' answer is worth 100%"),
    ("Q{=%120%x}", 1, "weights run from -100% to 100%"),
    ("Q{#abc}", 1, "numerical value 'abc' is not a number"),
    ("Q{#\n=1:x}", 2, "numerical value 'x' is not a number"),
    ("Q{#1..}", 1, "numerical value '' is not a number"),
    ("Q{#1e999}", 1, "numerical value '1e999' is too large"),
    ("Q{#}", 1, "numerical question without an answer"),
    ("Q{#=1 =}", 1, "empty numerical answer after '='"),
    ("Q{#=1 ~feedback}", 1, "expected #feedback after '~' in a numerical question"),
    ("Q{Paris}", 1, "answer 'Paris' without '=' or '~' in front of it"),
    ("Q{Paris =Lyon}", 1, "answer 'Paris' without '=' or '~'"),
    ("Q{\nmaybe ~a =b}", 2, "answer 'maybe' without '=' or '~'"),
    ("Q{=only}", None, None),
    ("Q{~only}", 1, "multiple choice needs at least two answers"),
    ("Q{=a ~ #fb}", 1, "empty answer after '~'"),
    ("Q{= #fb}", 1, "empty answer after '='"),
    ("Q{~%50%a ~%20%b}", 1, "must add up to 100%, not 70%"),
    ("Q{~a ~b}", 1, "must add up to 100%, not 0%"),
]


@pytest.mark.parametrize(("text", "line", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_names_its_line_and_what_was_expected(text, line, message):
    if line is None:
        gift.parse(text)  # The control case: valid.
        return
    with pytest.raises(GiftSyntaxError) as caught:
        gift.parse(text)
    assert caught.value.line == line
    assert message in caught.value.message
    assert gift.check(text) == [(caught.value.line, caught.value.message)]


def test_error_lines_count_from_the_start_of_the_file():
    text = "// header\n\nGood{T}\n\n::bad::Which?\n{\n  =a\n  ~%x%b\n}\n"
    assert gift.check(text) == [(8, "bad weight '%x%': expected %number%, e.g. %50%")]


def test_check_returns_an_empty_list_for_valid_and_empty_files():
    assert gift.check("") == []
    assert gift.check("// only comments\n\n// here") == []
    assert gift.parse("") == []
