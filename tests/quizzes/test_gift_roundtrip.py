"""GIFT writing: dump output reads back to the same questions, for generated and corpus files."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.quizzes import gift
from lms.quizzes.gift import Answer, MatchPair, Question
from lms.quizzes.questions import FORMATS

CORPUS_FILES = sorted((Path(__file__).parent / "gift_corpus").glob("*.gift"))
WS = " \t\n\r\0\x0b"
# Every GIFT special character, look-alikes of GIFT syntax, Arabic (with Arabic-Indic digits
# and a right-to-left mark), and odd whitespace that must survive inside a text.
ALPHABET = list("aZ09 ~=#{}:\\[]%*/$->.\n\tTF") + list("سلامعربي٠٩") + ["\u200f", "\xa0", "\u2028"]
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

raw_text = st.text(alphabet=st.sampled_from(ALPHABET), max_size=24)
text = raw_text.map(lambda s: s.strip(WS))
nonempty = text.filter(bool)
no_arrow = text.filter(lambda s: "->" not in s)
nonempty_no_arrow = nonempty.filter(lambda s: "->" not in s)
formats = st.sampled_from(FORMATS)
weights = st.sampled_from([0.0, 0.5, -0.5, 0.25, -1.0, 0.1, 1 / 3, -0.3333333, 0.07])


@st.composite
def frame(draw, qtype: str) -> dict:
    """Draw the parts every question has, in their canonical (parsed) form."""
    fields = {
        "qtype": qtype,
        "id": draw(st.none() | nonempty),
        "category": draw(st.none() | nonempty),
        "text_format": draw(formats),
        "general_feedback": draw(text),
        "general_feedback_format": draw(formats),
    }
    after = draw(st.just("") | raw_text.map(lambda s: s.rstrip(WS)).filter(str.strip))
    if qtype == "description":
        fields |= {"text": draw(nonempty), "general_feedback": "", "general_feedback_format": None}
    elif after.strip(WS):
        # Missing word: the spaces next to the blank are kept.
        fields |= {"text": draw(raw_text).lstrip(WS), "text_after": after}
    else:
        fields["text"] = draw(text)
    return fields


@st.composite
def choice(draw, fraction: float) -> Answer:
    return Answer(
        draw(nonempty),
        fraction,
        draw(text),
        text_format=draw(formats),
        feedback_format=draw(formats),
    )


@st.composite
def multichoice(draw) -> Question:
    rights = draw(st.integers(1, 2))
    others = draw(st.lists(weights, min_size=2 - rights if rights < 2 else 0, max_size=3))
    fractions = draw(st.permutations([1.0] * rights + others))
    answers = tuple(draw(choice(f)) for f in fractions)
    return Question(answers=answers, **draw(frame("multichoice")))


@st.composite
def multiresponse(draw) -> Question:
    right = draw(st.sampled_from([[1.0], [0.5, 0.5], [0.25, 0.25, 0.5], [0.3333333] * 2 + [0.3333334]]))
    wrong = draw(st.lists(st.sampled_from([0.0, -0.5, -1.0, -0.3333333]), max_size=2))
    fractions = draw(st.permutations(right + wrong))
    if len(fractions) < 2:
        fractions = [*fractions, 0.0]
    answers = tuple(draw(choice(f)) for f in fractions)
    return Question(answers=answers, **draw(frame("multiresponse")))


@st.composite
def shortanswer(draw) -> Question:
    answers = draw(
        st.lists(
            st.builds(
                lambda t, f, fb, ff: Answer(t, f, fb, feedback_format=ff),
                nonempty_no_arrow,
                st.sampled_from([1.0, 0.5, 0.0, 0.75, 0.1]),
                no_arrow,
                formats,
            ),
            min_size=1,
            max_size=4,
        )
    )
    return Question(answers=tuple(answers), **draw(frame("shortanswer")))


finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def numerical(draw) -> Question:
    answers = draw(
        st.lists(
            st.builds(
                lambda v, t, f, fb, ff: Answer("", f, fb, feedback_format=ff, value=v, tolerance=t),
                finite,
                st.just(0.0) | st.floats(min_value=0, allow_infinity=False),
                st.sampled_from([1.0, 0.5, 0.0, 0.25]),
                text,
                formats,
            ),
            min_size=1,
            max_size=3,
        )
    )
    if draw(st.booleans()):
        answers.append(Answer("", 0.0, draw(text), feedback_format=draw(formats)))
    return Question(answers=tuple(answers), **draw(frame("numerical")))


@st.composite
def matching(draw) -> Question:
    real = draw(
        st.lists(
            st.builds(
                lambda left, right, fmt: MatchPair(left, right, left_format=fmt),
                nonempty_no_arrow,
                nonempty,
                formats,
            ),
            min_size=2,
            max_size=4,
        )
    )
    extra = draw(st.lists(st.builds(lambda r: MatchPair("", r), nonempty), max_size=2))
    pairs = draw(st.permutations(real + extra))
    return Question(pairs=tuple(pairs), **draw(frame("matching")))


@st.composite
def truefalse(draw) -> Question:
    correct = draw(st.booleans())
    answers = (
        Answer("True", float(correct), draw(text), feedback_format=draw(formats)),
        Answer("False", float(not correct), draw(text), feedback_format=draw(formats)),
    )
    return Question(answers=answers, **draw(frame("truefalse")))


questions = st.one_of(
    st.builds(lambda f: Question(**f), frame("description")),
    st.builds(lambda f: Question(**f), frame("essay")),
    truefalse(),
    multichoice(),
    multiresponse(),
    shortanswer(),
    numerical(),
    matching(),
)


@SETTINGS
@given(st.lists(questions, min_size=1, max_size=4))
def test_generated_questions_survive_dump_and_parse(generated):
    text = gift.dump(generated)
    assert gift.check(text) == []
    assert gift.parse(text) == generated


@SETTINGS
@given(st.lists(questions, max_size=3))
def test_dump_is_stable_after_one_round(generated):
    text = gift.dump(generated)
    assert gift.dump(gift.parse(text)) == text


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_corpus_survives_parse_dump_parse(path):
    parsed = gift.parse(path.read_text(encoding="utf-8"))
    assert gift.parse(gift.dump(parsed)) == parsed


def test_dump_writes_readable_moodle_style_gift():
    questions = gift.parse(
        "$CATEGORY: unit-1\n\n"
        "::q1::Where does the Human Rights Council meet?{=Geneva#Yes. ~New York#No.}\n\n"
        "::q2::The UPR reviews every UN member state.{T####All 193 of them.}\n\n"
        "::q3::How many members has ECOSOC?{#54:1}\n\n"
        "::q4::[markdown]Say *why*.{}"
    )
    assert gift.dump(questions) == (
        "$CATEGORY: unit-1\n\n"
        "::q1::Where does the Human Rights Council meet? {\n"
        "\t=Geneva#Yes.\n"
        "\t~New York#No.\n"
        "}\n\n"
        "::q2::The UPR reviews every UN member state. {TRUE####All 193 of them.}\n\n"
        "::q3::How many members has ECOSOC? {#\n"
        "\t=54:1\n"
        "}\n\n"
        "::q4::[markdown]Say *why*. {}\n"
    )


def test_dump_escapes_specials_and_newlines():
    question = Question(qtype="essay", id="a:b", text="1 + 1 = 2 {#~}\\\nnext")
    assert gift.dump([question]) == "::a\\:b::1 + 1 \\= 2 \\{\\#\\~\\}\\\\\\nnext {}\n"


@pytest.mark.parametrize(
    "text", ["// not a comment", ":: not a title", "$CATEGORY: not a category", "[html] literal"]
)
def test_dump_protects_text_that_would_read_as_syntax(text):
    question = Question(qtype="description", text=text)
    dumped = gift.dump([question])
    assert dumped.startswith("[moodle]")
    assert gift.parse(dumped) == [question]


def test_dump_writes_an_empty_category_to_leave_a_category():
    questions = [
        Question(qtype="essay", text="a", category="x"),
        Question(qtype="essay", text="b"),
    ]
    assert gift.dump(questions) == "$CATEGORY: x\n\na {}\n\n$CATEGORY:\n\nb {}\n"
    assert gift.parse(gift.dump(questions)) == questions


def test_dump_of_nothing_is_empty():
    assert gift.dump([]) == ""


def test_single_answer_choice_with_only_right_answers_stays_multiple_choice():
    question = Question(qtype="multichoice", text="Q", answers=(Answer("a", 1.0), Answer("b", 1.0)))
    assert "~%100%b" in gift.dump([question])
    assert gift.parse(gift.dump([question])) == [question]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (Question(qtype="description", text="d", general_feedback="g"), "no answers"),
        (Question(qtype="shortanswer", text="q", answers=(Answer("a->b", 1.0),)), "'->'"),
        (
            Question(qtype="matching", text="q", pairs=(MatchPair("a->b", "c"), MatchPair("d", "e"))),
            "left item",
        ),
        (
            Question(
                qtype="numerical",
                text="q",
                answers=(Answer("", 0.0, value=None), Answer("", 1.0, value=1.0)),
            ),
            "last",
        ),
        (
            Question(qtype="numerical", text="q", answers=(Answer("", 1.0, value=float("inf")),)),
            "cannot write the number",
        ),
    ],
)
def test_dump_refuses_what_gift_cannot_say(question, message):
    with pytest.raises(ValueError, match=message):
        gift.dump([question])
