"""Answer-key parity: a translation scores exactly as the default locale, or it is refused."""

import shutil
from pathlib import Path

import pytest

from lms.courses import package
from lms.quizzes import gift, parity, services
from lms.quizzes.scoring import score

SAMPLE = Path(__file__).resolve().parents[1] / "courses" / "fixtures" / "sample-course"
SHIPPED = Path(__file__).resolve().parents[2] / "courses"


def one(text: str):
    """Parse a one-question GIFT text."""
    (question,) = gift.parse(text)
    return question


PAIRS = {
    "same multiple choice": ("::q:: A? {=yes ~no ~maybe}", "::q:: ؟ {=نعم ~لا ~ربما}", []),
    "another right choice": (
        "::q:: A? {=yes ~no}",
        "::q:: ؟ {~نعم =لا}",
        ["question q: choice 1 is worth 0% here but 100% in en", "question q: choice 2 is worth 100% here"],
    ),
    "a choice fewer": ("::q:: A? {=yes ~no ~maybe}", "::q:: ؟ {=نعم ~لا}", ["2 choices here but 3 in en"]),
    "50/50 made 100/0": (
        "::q:: A? {~%50%a ~%50%b ~%-100%c}",
        "::q:: ؟ {~%100%a ~%0%b ~%-100%c}",
        ["choice 1 is worth 100% here but 50% in en", "choice 2 is worth 0% here but 50% in en"],
    ),
    "true made false": ("::q:: A {TRUE}", "::q:: ب {FALSE}", ["the answer is false here but true in en"]),
    "another number": ("::q:: N? {#47:0}", "::q:: ن؟ {#48:0}", ["answer 1 is 48 ± 0 here but 47 ± 0 in en"]),
    "another tolerance": ("::q:: N? {#47:1}", "::q:: ن؟ {#47:2}", ["answer 1 is 47 ± 2 here but 47 ± 1"]),
    "same number": ("::q:: N? {#47:1}", "::q:: ن؟ {#47:1}", []),
    "short answer: other words, same weights": (
        "::q:: Where? {=Geneva =%50%Switzerland}",
        "::q:: أين؟ {=جنيف =جنيفا =%50%سويسرا}",
        [],
    ),
    "short answer: another weight": (
        "::q:: Where? {=Geneva =%50%Switzerland}",
        "::q:: أين؟ {=جنيف =سويسرا}",
        ["accepted answers are worth 100% here but 50%, 100% in en"],
    ),
    "matching: a pair fewer": (
        "::q:: M {=a -> 1 =b -> 2 =c -> 3}",
        "::q:: م {=أ -> ١ =ب -> ٢}",
        ["2 matching pairs here but 3 in en"],
    ),
    "matching: same pairs": ("::q:: M {=a -> 1 =b -> 2 = -> 3}", "::q:: م {=أ -> ١ =ب -> ٢ = -> ٣}", []),
    "matching: a distractor moved": (
        "::q:: M {=a -> 1 =b -> 2 = -> 3}",
        "::q:: م {= -> ١ =ب -> ٢ =ج -> ٣}",
        ["the pairs do not match the same items"],
    ),
    "another type": ("::q:: A {TRUE}", "::q:: ب {=نعم ~لا}", ["it is multichoice here but truefalse in en"]),
}


@pytest.mark.parametrize("name", list(PAIRS))
def test_a_translation_must_keep_the_answer_key(name):
    source, translation, expected = PAIRS[name]
    found = parity.differences(one(source), one(translation), "en")
    assert len(found) == len(expected), found
    for message, fragment in zip(found, expected, strict=True):
        assert message.startswith("question q:") and fragment in message


def test_adopting_the_key_makes_a_translation_score_as_its_source():
    source = one("::q:: A? {~%33.33333%a ~%33.33333%b ~%33.33334%c ~%-100%d}")
    translation = parity.adopt_key(source, one("::q:: ؟ {~%33%أ ~%33%ب ~%34%ج ~%-100%د}"))
    assert parity.differences(source, translation, "en") == []
    for response in (["a1", "a2"], ["a1", "a2", "a3"], ["a4"]):
        assert score(translation, response).fraction == score(source, response).fraction
    numbers = parity.adopt_key(one("::q:: N? {#47:1 =%50%40:0}"), one("::q:: ن؟ {#1:0 =%100%2:0}"))
    assert [(a.value, a.tolerance, a.fraction) for a in numbers.answers] == [(47, 1, 1.0), (40, 0, 0.5)]


def test_validate_refuses_a_translation_with_another_answer_key_naming_file_line_and_question(tmp_path):
    folder = tmp_path / "sample-course"
    shutil.copytree(SAMPLE, folder)
    quiz = folder / "01-council-and-upr" / "quiz.ar.gift"
    text = quiz.read_text("utf-8")
    quiz.write_text(text.replace("=47 #", "~47 #").replace("~15\n", "=15\n"), "utf-8")
    problems = [str(p) for p in package.validate(folder)]
    assert problems == [
        "01-council-and-upr/quiz.ar.gift:1: question m1-q01: choice 1 is worth 0% here "
        "but 100% in 01-council-and-upr/quiz.en.gift",
        "01-council-and-upr/quiz.ar.gift:1: question m1-q01: choice 2 is worth 100% here "
        "but 0% in 01-council-and-upr/quiz.en.gift",
    ]


def test_the_validate_command_prints_parity_problems_and_fails(tmp_path, runner):
    folder = tmp_path / "sample-course"
    shutil.copytree(SAMPLE, folder)
    assessment = folder / "assessment.ar.gift"
    assessment.write_text(assessment.read_text("utf-8").replace("{TRUE}", "{FALSE}"), "utf-8")
    result = runner.invoke(args=["courses", "validate", str(folder)])
    assert result.exit_code == 1
    assert (
        "assessment.ar.gift:7: question a-q02: the answer is false here but true in assessment.en.gift"
        in (result.output)
    )


def test_the_shipped_courses_have_the_same_answer_key_in_every_language():
    courses = sorted(path for path in SHIPPED.iterdir() if (path / "course.toml").is_file())
    assert courses
    for folder in courses:
        assert [str(p) for p in package.validate(folder)] == [], folder.name


def test_a_bank_with_another_answer_key_is_not_loaded(db):
    banks = {"en": "::q:: A? {=yes ~no}\n", "ar": "::q:: ؟ {~نعم =لا}\n"}
    with pytest.raises(services.BankError) as caught:
        services.replace_bank(
            None, kind="module", activity_id="https://x.test/q", settings={}, banks=banks, default_locale="en"
        )
    assert "ar: line 1: question q: choice 1 is worth 0% here but 100% in en" in str(caught.value)
    assert services.quiz_for_activity("https://x.test/q") is None
