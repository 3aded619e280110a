"""Scoring tables for every question type, as Moodle would mark each response."""

from pathlib import Path

import pytest

from lms.quizzes import gift
from lms.quizzes.scoring import (
    InvalidResponse,
    Score,
    best_response,
    max_fraction,
    parse_number,
    score,
)

CORPUS_FILES = sorted((Path(__file__).parent / "gift_corpus").glob("*.gift"))


def question(text: str) -> gift.Question:
    (parsed,) = gift.parse(text)
    return parsed


SINGLE = question("Q{=right#Yes. ~wrong#No. ~%50%half#Partly. ~%-50%bad#Never.}")


@pytest.mark.parametrize(
    ("response", "fraction", "feedback"),
    [
        ("a1", 1.0, ("Yes.",)),
        ("a2", 0.0, ("No.",)),
        ("a3", 0.5, ("Partly.",)),
        # Moodle allows negative marks on a wrong choice; the question's mark stays >= 0.
        ("a4", 0.0, ("Never.",)),
        (None, 0.0, ()),
    ],
)
def test_multichoice_scores_the_chosen_answer(response, fraction, feedback):
    result = score(SINGLE, response)
    assert (result.fraction, result.feedback, result.is_correct) == (
        fraction,
        feedback,
        fraction == 1.0,
    )
    assert not result.needs_manual


@pytest.mark.parametrize("response", ["a9", "right", 1, ["a1"], {"a1": 1}])
def test_multichoice_rejects_unknown_choices(response):
    with pytest.raises(InvalidResponse):
        score(SINGLE, response)


TF = question("The HRC has 47 members.{TRUE#No, it has 47.#Yes.}")


@pytest.mark.parametrize(
    ("response", "fraction", "feedback"),
    [("true", 1.0, ("Yes.",)), ("false", 0.0, ("No, it has 47.",)), (None, 0.0, ())],
)
def test_truefalse_scores_true_or_false(response, fraction, feedback):
    result = score(TF, response)
    assert (result.fraction, result.feedback) == (fraction, feedback)


@pytest.mark.parametrize("response", ["True", "T", True, "a1", "yes"])
def test_truefalse_accepts_only_true_and_false_keys(response):
    with pytest.raises(InvalidResponse):
        score(TF, response)


MULTI = question("Q{~%50%a#A is right. ~%50%b ~%-100%c#C is wrong. ~%-25%d ~e}")


@pytest.mark.parametrize(
    ("response", "fraction"),
    [
        (["a1", "a2"], 1.0),
        ({"a1", "a2"}, 1.0),
        (("a2", "a1", "a1"), 1.0),
        (["a1"], 0.5),
        (["a1", "a2", "a4"], 0.75),
        (["a1", "a2", "a5"], 1.0),
        # Ticking everything: 0.5 + 0.5 - 1 - 0.25 + 0 = -0.25, floored at 0.
        (["a1", "a2", "a3", "a4", "a5"], 0.0),
        (["a3"], 0.0),
        (["a1", "a4"], 0.25),
        ([], 0.0),
        (None, 0.0),
    ],
)
def test_multiresponse_adds_fractions_floored_at_zero_and_capped_at_one(response, fraction):
    assert score(MULTI, response).fraction == fraction


def test_multiresponse_feedback_is_that_of_each_ticked_choice_in_order():
    assert score(MULTI, ["a3", "a1", "a2"]).feedback == ("A is right.", "C is wrong.")


def test_multiresponse_thirds_add_up_to_a_correct_answer():
    thirds = question("Q{~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-100%d}")
    result = score(thirds, ["a1", "a2", "a3"])
    assert (result.fraction, result.is_correct) == (1.0, True)
    assert score(thirds, ["a1"]).fraction == pytest.approx(1 / 3, abs=1e-6)


@pytest.mark.parametrize("response", ["a1", ["a1", "zz"], [["a1"]], 7, {"a1": True}.values()])
def test_multiresponse_rejects_bad_shapes_and_unknown_keys(response):
    with pytest.raises(InvalidResponse):
        score(MULTI, response)


SHORT = question(
    "Which UN body appoints special rapporteurs?{"
    "=Human Rights Council#Right. =HRC#Right. =%50%*Council#Which council? "
    "=UN \\\\* body#Literal star. =%25%Human*Rights#Nearly.}"
)


@pytest.mark.parametrize(
    ("response", "fraction", "feedback"),
    [
        ("Human Rights Council", 1.0, ("Right.",)),
        ("  human   rights COUNCIL ", 1.0, ("Right.",)),
        ("hrc", 1.0, ("Right.",)),
        ("Security Council", 0.5, ("Which council?",)),
        ("council", 0.5, ("Which council?",)),
        ("UN * body", 1.0, ("Literal star.",)),
        ("UN big body", 0.0, ()),
        ("Human and Rights", 0.25, ("Nearly.",)),
        ("Human Rights", 0.25, ("Nearly.",)),
        ("Rights Council of Europe", 0.0, ()),
        ("", 0.0, ()),
        ("   ", 0.0, ()),
        (None, 0.0, ()),
    ],
)
def test_shortanswer_first_matching_answer_case_and_space_insensitive(response, fraction, feedback):
    result = score(SHORT, response)
    assert (result.fraction, result.feedback) == (fraction, feedback)


def test_shortanswer_compares_arabic_in_normal_form():
    arabic = question("Q{=الاستعراض الدوري الشامل}")
    assert score(arabic, " الاستعراض  الدوري الشامل ").fraction == 1.0
    # The same letter written as a base letter plus combining hamza, then composed (NFC).
    composed = question("Q{=\u0623}")
    assert score(composed, "\u0627\u0654").fraction == 1.0


def test_shortanswer_wildcards_do_not_backtrack_on_long_responses():
    starry = question("Q{=*a*a*a*a*a*a*a*a*a*a*b}")
    assert score(starry, "a" * 20000).fraction == 0.0
    assert score(starry, "a" * 20000 + "b").fraction == 1.0


def test_shortanswer_rejects_non_text():
    with pytest.raises(InvalidResponse):
        score(SHORT, ["Human Rights Council"])


NUMERIC = question("Year?{#=1948#Exact. =%50%1948:2#Close. ~#Far off.}")


@pytest.mark.parametrize(
    ("response", "fraction", "feedback"),
    [
        ("1948", 1.0, ("Exact.",)),
        ("1948.0", 1.0, ("Exact.",)),
        (" 1948 ", 1.0, ("Exact.",)),
        ("١٩٤٨", 1.0, ("Exact.",)),
        ("۱۹۴۸", 1.0, ("Exact.",)),
        ("\u200f١٩٤٨\u200f", 1.0, ("Exact.",)),
        ("1949", 0.5, ("Close.",)),
        ("1950", 0.5, ("Close.",)),
        ("1946,5", 0.5, ("Close.",)),
        ("1.96e3", 0.0, ("Far off.",)),
        ("1.95e3", 0.5, ("Close.",)),
        ("2000", 0.0, ("Far off.",)),
    ],
)
def test_numerical_first_answer_whose_range_holds_the_number(response, fraction, feedback):
    result = score(NUMERIC, response)
    assert (result.fraction, result.feedback, result.is_not_a_number) == (fraction, feedback, False)


@pytest.mark.parametrize(
    "response",
    [
        "abc",
        "nineteen",
        "1948a",
        "1 948",
        "1948..1950",
        "__import__('os')",
        "2*974",
        "0x7AC",
        "nan",
        "inf",
        "1e999",
        "1,948.0",
    ],
)
def test_numerical_flags_what_is_not_a_number_and_never_evaluates_it(response):
    result = score(NUMERIC, response)
    assert (result.fraction, result.is_not_a_number, result.feedback) == (0.0, True, ())


def test_numerical_empty_response_is_unanswered_not_a_bad_number():
    assert score(NUMERIC, "  ") == Score(0.0, False)
    assert score(NUMERIC, None) == Score(0.0, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,5", 3.5),
        ("٣٫٥", 3.5),
        ("-2.5", -2.5),
        ("\u22122.5", -2.5),
        ("+7", 7.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("１２", 12.0),
        ("1,000", 1.0),
        ("١٬٠٠٠", 1000.0),
        ("1..2", None),
        ("", None),
        ("-", None),
    ],
)
def test_parse_number_reads_decimal_commas_and_arabic_indic_digits(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        ("en", "1,000", 1000.0),
        ("en", "12,345,678.5", 12345678.5),
        ("en", "+1,000", 1000.0),
        ("en", "-1,000", -1000.0),
        ("en", "3,5", 3.5),  # not a grouping: a decimal comma, as without a locale
        ("ar", "1,000", 1000.0),
        ("fr", "1,000", 1.0),
        ("fr", "1 000,5", 1000.5),
        ("fr", "4 2", None),
        ("tr", "1.000", 1000.0),
        ("tr", "2.5", 2.5),
        ("es", "1.000,5", 1000.5),
        ("xx", "1,000", 1.0),  # an unknown locale: read as without one
    ],
)
def test_parse_number_reads_digit_groups_as_the_locale_writes_them(locale, text, expected):
    assert parse_number(text, locale) == expected


def test_a_numerical_score_reads_the_response_in_its_locale():
    thousand = question("How many?{#1000}")
    assert score(thousand, "1,000", "en").is_correct
    assert not score(thousand, "1,000", "fr").is_correct
    assert not score(thousand, "1,000").is_correct


def test_numerical_ranges_include_their_ends_with_moodles_tiny_slack():
    ranged = question("Q{#2008..2011}")
    assert [score(ranged, r).fraction for r in ("2007.99", "2008", "2011", "2011.01")] == [
        0.0,
        1.0,
        1.0,
        0.0,
    ]
    tenth = question("Q{#0.3}")
    assert score(tenth, repr(0.1 + 0.2)).fraction == 1.0


def test_numerical_earlier_answer_wins_even_if_a_later_one_is_worth_more():
    shadowed = question("Q{#=%50%0..10 =5}")
    assert score(shadowed, "5").fraction == 0.5


def test_numerical_rejects_non_text():
    with pytest.raises(InvalidResponse):
        score(NUMERIC, 1948)


MATCH = question("Q{=Banjul -> Africa =Strasbourg -> Europe =Geneva -> UN =New York -> UN = -> Asia}")


@pytest.mark.parametrize(
    ("response", "fraction"),
    [
        ({"m1": "r1", "m2": "r2", "m3": "r3", "m4": "r3"}, 1.0),
        ({"m1": "r1", "m2": "r2", "m3": "r3", "m4": "r4"}, 0.75),
        ({"m1": "r1", "m2": "r1"}, 0.25),
        ({"m1": "r2", "m2": "r1", "m3": None}, 0.0),
        ({}, 0.0),
        (None, 0.0),
    ],
)
def test_matching_scores_the_share_of_right_pairs(response, fraction):
    result = score(MATCH, response)
    assert (result.fraction, result.is_correct) == (fraction, fraction == 1.0)


@pytest.mark.parametrize(
    "response", [{"m5": "r4"}, {"m9": "r1"}, {"m1": "r9"}, {"m1": ["r1"]}, [("m1", "r1")], "m1"]
)
def test_matching_rejects_unknown_items_and_the_distractor_as_a_left_item(response):
    with pytest.raises(InvalidResponse):
        score(MATCH, response)


def test_essay_needs_a_person_to_mark_it():
    essay = question("Describe your advocacy plan.{}")
    assert score(essay, "My plan...") == Score(0.0, False, needs_manual=True)
    assert score(essay, None).needs_manual
    with pytest.raises(InvalidResponse):
        score(essay, 3)


def test_description_is_not_scored():
    description = question("Read the case study below.")
    assert score(description, "anything") == Score(0.0, False, weight=0.0)
    assert max_fraction(description) == 0.0
    assert best_response(description) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q{=a ~b}", 1.0),
        ("Q{~%50%a ~%50%b ~%-50%c}", 1.0),
        ("Q{=%50%a =%25%b}", 0.5),
        ("Q{#=%80%3 ~#no}", 0.8),
        ("Q{T}", 1.0),
        ("Q{=a -> 1 =b -> 2}", 1.0),
        ("Q{}", 1.0),
    ],
)
def test_max_fraction(text, expected):
    assert max_fraction(question(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q{~a =b ~c}", "a2"),
        ("Q{F}", "false"),
        ("Q{~%50%a ~%-50%b ~%50%c}", ["a1", "a3"]),
        ("Q{=%50%near =exact}", "exact"),
        ("Q{=*shadow report*}", "shadow report"),
        ("Q{=*}", "x"),
        ("Q{=a * b}", "a x b"),
        ("Q{=UN \\\\* body}", "UN * body"),
        ("Q{#=%50%1:1 =10:0.5}", "10.0"),
        ("Q{#=%50%0..10 =10:5}", "15.0"),
        ("Q{=a -> 1 =b -> 2 = -> 3}", {"m1": "r1", "m2": "r2"}),
        ("Q{}", ""),
    ],
)
def test_best_response_reaches_the_best_mark(text, expected):
    parsed = question(text)
    response = best_response(parsed)
    assert response == expected
    if parsed.qtype != "essay":
        assert score(parsed, response).fraction == max_fraction(parsed)


def test_best_response_shows_when_an_earlier_answer_hides_the_full_mark():
    # "Finland" matches the 50% pattern first, so no response can get 100%.
    shadowed = question("Q{=%50%*land* =Finland}")
    assert max_fraction(shadowed) == 1.0
    assert score(shadowed, best_response(shadowed)).fraction == 0.5


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_every_corpus_question_can_be_answered_in_full(path):
    for parsed in gift.parse(path.read_text(encoding="utf-8")):
        if parsed.qtype in ("essay", "description"):
            continue
        result = score(parsed, best_response(parsed))
        assert result.is_correct, parsed.id


def test_invalid_response_is_a_value_error():
    assert issubclass(InvalidResponse, ValueError)
