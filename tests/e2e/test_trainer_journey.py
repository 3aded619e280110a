"""A trainer creates a course with a module, a lesson and a quiz in the web editor and publishes it."""

import pytest
from playwright.sync_api import expect

from tests.e2e.learner import Learner

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROUTES = (
    "authoring.index",
    "authoring.new_course",
    "authoring.add_module",
    "authoring.add_lesson",
    "authoring.lesson",
    "authoring.quiz_source",
    "authoring.publish",
)
LESSON = """# Writing to a treaty body

A shadow report answers the State's own report, article by article.

1. Read the State report.
2. Check the committee's last concluding observations.
3. Write what is missing, with evidence.
"""
QUIZ = """::shadow-report::A shadow report answers {=the State's report ~a newspaper article ~a donor's call}

::concluding-observations::Committees publish concluding observations after each review. {T}
"""


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_trainer_creates_a_module_with_a_lesson_and_a_quiz_and_publishes_it(
    page, live_server, new_audit, locale
):
    missing = [e for e in ROUTES if not live_server.has_endpoint(e)]
    assert not missing, f"the course editor's routes are missing: {', '.join(missing)}"
    slug = f"e2e-treaty-bodies-{locale}"
    audit = new_audit(page, "en")
    trainer = Learner(page, audit, live_server, "trainer")
    trainer.sign_in_staff()
    if locale != "en":
        trainer.switch_language(locale)

    trainer.click("header nav a[href='/author/']", "author-index")
    page.fill("#slug", slug)
    page.fill("#title", "Writing to the treaty bodies")
    page.fill("#summary", "Shadow reports, step by step.")
    page.select_option("#default_locale", "en")
    trainer.click("main form[action='/author/new'] button[type=submit]", "author-course")
    assert trainer.path() == f"/author/{slug}/"

    page.fill("#module-slug", "shadow-reports")
    page.fill("#module-title", "Shadow reports")
    trainer.click(f"main form[action='/author/{slug}/modules'] button[type=submit]", "author-module")
    assert trainer.path() == f"/author/{slug}/modules/shadow-reports/"

    lesson_form = f"main form[action='/author/{slug}/modules/shadow-reports/lessons']"
    page.fill(f"{lesson_form} input[name$=slug]", "writing-a-shadow-report")
    page.fill(f"{lesson_form} input[name$=title]", "Writing to a treaty body")
    trainer.click(f"{lesson_form} button[type=submit]")
    assert trainer.path() == f"/author/{slug}/modules/shadow-reports/lessons/writing-a-shadow-report/en"
    page.fill("main textarea[name=body]", LESSON)
    trainer.click("main button[name=action][value=preview]", "author-lesson-preview")
    expect(page.locator("main article.lesson h1")).to_have_count(1)
    trainer.click("main button[name=action][value=save]")

    trainer.visit(f"/author/{slug}/modules/shadow-reports/quiz/en/source", "author-quiz-source")
    page.fill("main textarea[name=text]", QUIZ)
    trainer.click("main form button[type=submit]", "author-quiz")

    trainer.click(f"main nav a[href='/author/{slug}/publish']", "author-publish")
    trainer.click("main form button[type=submit]")

    # What learners now see.
    trainer.visit(f"/courses/{slug}/", "published-course")
    expect(page.locator("main section.module")).to_have_count(1)
    expect(
        page.locator(f"main a[href='/courses/{slug}/shadow-reports/writing-a-shadow-report']")
    ).to_have_count(1)
    expect(page.locator(f"main a[href='/courses/{slug}/shadow-reports/quiz']")).to_have_count(1)
