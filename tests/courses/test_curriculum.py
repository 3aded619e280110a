"""The shipped curriculum: complete in English, Arabic and French, quizzes passable and aligned.

Every check runs for each locale a course declares in `course.toml`; a separate test asserts that
every shipped course declares English, Arabic and French.
"""

import difflib
import re
from pathlib import Path

import pytest

from lms.courses import package
from lms.quizzes import gift, scoring

ROOT = Path(__file__).resolve().parents[2] / "courses"
GLOSSARY = ROOT / "glossary.md"
MIN_MODULES = {
    "civil-society": 3,
    "lobbying-international-organisations": 4,
    "rights-mechanisms": 5,
    "international-funding": 4,
}
REQUIRED_LOCALES = {"en", "ar", "fr"}
CATALOG_LOCALES = {"en", "ar", "fr", "es", "tr"}
# A knowledge-check item whose question and options match a module-quiz item this closely
# (difflib ratio over the normalised words) is a near-copy of something the learner has already
# seen with its feedback, so the post-test would measure memory of that item, not learning.
NEAR_COPY_RATIO = 0.6
# A Latin x between two numbers in Arabic text: the glossary asks for the multiplication sign x.
LATIN_TIMES = re.compile(r"\d\s*[xX]\s*\d")
GLOSSARY_TERMS = (
    "Universal Periodic Review",
    "Human Rights Council",
    "OHCHR",
    "treaty body",
    "special procedures",
    "mandate holder",
    "communication",
    "individual complaint",
    "shadow report",
    "troika",
    "ECOSOC consultative status",
    "NGO Committee",
    "co-financing",
    "call for proposals",
    "concept note",
    "logical framework",
    "due diligence",
    "reprisals",
    "national human rights institution",
    "civic space",
    "side event",
    "oral statement",
    "written statement",
    "general comment",
    "concluding observations",
    "list of issues",
    "pre-sessional working group",
)
# Arabic and French renderings the courses must use for some of these terms.
GLOSSARY_RENDERINGS = {
    "shadow report": ("تقرير الظل", None),
    "troika": ("المجموعة الثلاثية", "troïka"),
    "co-financing": ("التمويل المشترك", "cofinancement"),
    "Universal Periodic Review": ("الاستعراض الدوري الشامل", "Examen périodique universel"),
    "Human Rights Council": ("مجلس حقوق الإنسان", "Conseil des droits de l'homme"),
    "special procedures": ("الإجراءات الخاصة", "procédures spéciales"),
}


@pytest.fixture(scope="module", params=sorted(MIN_MODULES))
def course(request):
    return package.load(ROOT / request.param)


def _questions(text: str):
    return [q for q in gift.parse(text) if q.qtype != "description"]


def _answer_key(question):
    """What must be identical in every language: type, gap form, options' weights and order, pairs."""
    answers = tuple((a.fraction, a.value, a.tolerance) for a in question.answers)
    if question.qtype == "shortanswer":
        answers = ()  # accepted answers are language-specific; their number may differ
    return (question.id, question.qtype, bool(question.text_after), answers, len(question.pairs))


def _normalised_words(question) -> list[str]:
    parts = [question.text or "", question.text_after or ""]
    parts += sorted(a.text for a in question.answers if a.text)
    parts += sorted(f"{p.left} {p.right}" for p in question.pairs)
    return re.sub(r"[^\w\s]", " ", " ".join(parts).lower()).split()


def test_every_shipped_course_is_there_and_valid():
    assert sorted(p.name for p in ROOT.iterdir() if (p / "course.toml").exists()) == sorted(MIN_MODULES)
    for slug in MIN_MODULES:
        assert package.validate(ROOT / slug) == []


def test_every_shipped_course_is_taught_in_english_arabic_and_french(course):
    assert set(course.locales) >= REQUIRED_LOCALES, (course.slug, course.locales)


def test_structure_and_languages(course):
    locales = set(course.locales)
    assert "en" in locales and locales <= CATALOG_LOCALES
    assert set(course.titles) == set(course.summaries) == CATALOG_LOCALES
    assert course.sources_md and course.sources_md.count("\n- ") >= 5
    for module in course.modules:
        assert 3 <= len(module.lessons) <= 6, module.slug
        assert locales <= set(module.titles), module.slug
        for lesson in module.lessons:
            assert set(lesson.bodies) == locales, (lesson.slug, sorted(lesson.bodies))
            assert set(lesson.word_counts) == locales, lesson.slug
            for locale, words in lesson.word_counts.items():
                assert 500 <= words <= 1500, (lesson.slug, locale, words)


def test_module_quizzes_align_and_can_be_passed(course):
    locales = set(course.locales)
    types_used = set()
    for module in course.modules:
        assert set(module.quiz) == locales, (module.slug, sorted(module.quiz))
        by_locale = {locale: _questions(text) for locale, text in module.quiz.items()}
        ids = {locale: [q.id for q in qs] for locale, qs in by_locale.items()}
        for locale in locales:
            assert ids[locale] == ids["en"], (module.slug, locale)
            assert [_answer_key(q) for q in by_locale[locale]] == [_answer_key(q) for q in by_locale["en"]], (
                module.slug,
                locale,
            )
        assert 8 <= len(ids["en"]) <= 15, module.slug
        for questions in by_locale.values():
            for question in questions:
                response = scoring.best_response(question)
                assert scoring.score(question, response).fraction == 1.0, (module.slug, question.id)
                types_used.add("missingword" if question.text_after else question.qtype)
                assert question.general_feedback or any(a.feedback for a in question.answers), question.id
    assert len(types_used) >= 5, types_used


def test_assessment_is_a_pre_and_post_test(course):
    locales = set(course.locales)
    assert set(course.assessment) == locales
    by_locale = {locale: _questions(course.assessment[locale]) for locale in locales}
    for locale in locales:
        assert [q.id for q in by_locale[locale]] == [q.id for q in by_locale["en"]], locale
        assert [_answer_key(q) for q in by_locale[locale]] == [_answer_key(q) for q in by_locale["en"]], (
            locale
        )
    assert 10 <= len(by_locale["en"]) <= 15
    for questions in by_locale.values():
        for question in questions:
            assert scoring.score(question, scoring.best_response(question)).fraction == 1.0, question.id


def test_knowledge_check_does_not_repeat_module_quizzes(course):
    module_items = [
        (module.slug, question) for module in course.modules for question in _questions(module.quiz["en"])
    ]
    for item in _questions(course.assessment["en"]):
        words = _normalised_words(item)
        for slug, question in module_items:
            ratio = difflib.SequenceMatcher(None, words, _normalised_words(question), autojunk=False).ratio()
            assert ratio < NEAR_COPY_RATIO, (course.slug, item.id, slug, question.id, round(ratio, 2))


def test_arabic_text_uses_the_multiplication_sign(course):
    arabic = [name for name in course.files if name.endswith((".ar.md", ".ar.gift"))]
    assert arabic
    for name in arabic:
        text = course.files[name].decode("utf-8-sig")
        for number, line in enumerate(text.splitlines(), start=1):
            assert not LATIN_TIMES.search(line), (course.slug, name, number, line.strip()[:80])


def test_glossary_lists_the_terms_in_three_languages():
    assert GLOSSARY.is_file()
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in GLOSSARY.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith("|")
    ]
    header, rule, *rows = rows
    assert [cell.lower() for cell in header] == ["english", "arabic", "french", "un source"]
    assert set("".join(rule)) <= set("-: ")
    assert all(len(row) == 4 and all(row) for row in rows), [
        row for row in rows if len(row) != 4 or not all(row)
    ]
    by_term = {}
    for english, arabic, french, _source in rows:
        # "troika (UPR)" and "OHCHR (Office of ...)" are found by the term before the bracket.
        by_term[english.split(" (")[0].strip().lower()] = (arabic, french)
    missing = [term for term in GLOSSARY_TERMS if term.lower() not in by_term]
    assert not missing, missing
    for term, (arabic, french) in GLOSSARY_RENDERINGS.items():
        row_arabic, row_french = by_term[term.lower()]
        assert arabic in row_arabic, (term, row_arabic)
        assert french is None or french in row_french, (term, row_french)
    text = GLOSSARY.read_text(encoding="utf-8")
    # The note on the two Arabic names that are easily confused.
    assert "لجنة حقوق الإنسان" in text and "اللجنة المعنية بحقوق الإنسان" in text
