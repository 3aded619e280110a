"""The shipped curriculum: complete in English and Arabic, quizzes passable and aligned."""

from pathlib import Path

import pytest

from lms.courses import package
from lms.quizzes import gift, scoring

ROOT = Path(__file__).resolve().parents[2] / "courses"
MIN_MODULES = {
    "civil-society": 3,
    "lobbying-international-organisations": 4,
    "rights-mechanisms": 5,
    "international-funding": 4,
}


@pytest.fixture(scope="module", params=sorted(MIN_MODULES))
def course(request):
    return package.load(ROOT / request.param)


def test_every_shipped_course_is_there_and_valid():
    assert sorted(p.name for p in ROOT.iterdir() if (p / "course.toml").exists()) == sorted(MIN_MODULES)
    for slug in MIN_MODULES:
        assert package.validate(ROOT / slug) == []


def test_structure_and_languages(course):
    assert len(course.modules) >= MIN_MODULES[course.slug]
    assert set(course.locales) == {"en", "ar"}
    assert set(course.titles) == set(course.summaries) == {"en", "ar", "fr", "es", "tr"}
    assert course.sources_md and course.sources_md.count("\n- ") >= 5
    for module in course.modules:
        assert 3 <= len(module.lessons) <= 6, module.slug
        assert {"en", "ar"} <= set(module.titles)
        for lesson in module.lessons:
            assert set(lesson.bodies) == {"en", "ar"}, lesson.slug
            for locale, words in lesson.word_counts.items():
                assert 500 <= words <= 1500, (lesson.slug, locale, words)


def _questions(text: str):
    return [q for q in gift.parse(text) if q.qtype != "description"]


def test_module_quizzes_align_and_can_be_passed(course):
    types_used = set()
    for module in course.modules:
        assert set(module.quiz) == {"en", "ar"}, module.slug
        by_locale = {locale: _questions(text) for locale, text in module.quiz.items()}
        ids = {locale: [q.id for q in qs] for locale, qs in by_locale.items()}
        assert ids["en"] == ids["ar"], module.slug
        assert 8 <= len(ids["en"]) <= 15, module.slug
        for questions in by_locale.values():
            for question in questions:
                response = scoring.best_response(question)
                assert scoring.score(question, response).fraction == 1.0, (module.slug, question.id)
                types_used.add("missingword" if question.text_after else question.qtype)
                assert question.general_feedback or any(a.feedback for a in question.answers), question.id
    assert len(types_used) >= 5, types_used


def test_assessment_is_a_pre_and_post_test(course):
    assert set(course.assessment) == {"en", "ar"}
    en, ar = (_questions(course.assessment[locale]) for locale in ("en", "ar"))
    assert [q.id for q in en] == [q.id for q in ar]
    assert 10 <= len(en) <= 15
    for question in en + ar:
        assert scoring.score(question, scoring.best_response(question)).fraction == 1.0
