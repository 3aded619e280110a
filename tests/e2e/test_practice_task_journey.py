"""A practice task in a real browser, in English and in Arabic: draft, submit, a mentor asks for a
revision with rubric comments, the learner revises, the mentor approves, the module completes.

Saves the learner's feedback page and the mentor's review page as screenshots
(test-artifacts/screenshots/<locale>-task-feedback.png and <locale>-task-review.png).
"""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from lms.accounts import services as account_services
from lms.accounts.models import User
from lms.authoring.models import CourseOwner
from lms.courses import services as course_services
from lms.extensions import db
from tests.e2e.learner import Learner

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

COURSE = "rights-mechanisms"
MODULE = "universal-periodic-review"
TASK = f"/courses/{COURSE}/{MODULE}/task"
FIRST = {
    "en": [
        "Freedom of association. In 2022 the State supported recommendation 123.45 (Norway) to amend Law No. 12 on associations.",
        "1. Since 2023, 14 associations were refused registration (source: our monitoring log, January 2026).",
        "Amend the law on associations.",
    ],
    "ar": [
        "حرية تكوين الجمعيات. في عام 2022 أيّدت الدولة التوصية 123.45 (النرويج) بتعديل القانون رقم 12 بشأن الجمعيات.",
        "1. منذ عام 2023 رُفض تسجيل 14 جمعية (المصدر: سجل الرصد لدينا، كانون الثاني/يناير 2026).",
        "تعديل قانون الجمعيات.",
    ],
}
REVISED = {
    "en": "Amend Law No. 12 on associations by 31 December 2027 to replace prior authorisation with notification.",
    "ar": "تعديل القانون رقم 12 بشأن الجمعيات قبل 31 كانون الأول/ديسمبر 2027 للاستعاضة عن الترخيص المسبق بالإخطار.",
}
COMMENT = {
    "en": "Add a deadline and say what the amendment must change.",
    "ar": "أضف موعداً نهائياً وحدّد ما يجب أن يغيّره التعديل.",
}


def _make_mentor(live_server, username: str) -> None:
    """Make the trainer account an owner (so a mentor) of the course."""
    with live_server.app.app_context():
        try:
            user = account_services.find_user(username)
            exists = db.session.scalar(
                sa.select(CourseOwner.id).where(
                    CourseOwner.course_slug == COURSE, CourseOwner.user_id == user.id
                )
            )
            if not exists:
                db.session.add(CourseOwner(course_slug=COURSE, user_id=user.id, added_by_id=user.id))
                db.session.commit()
        finally:
            db.session.remove()


def _reset_language(live_server, username: str) -> None:
    """Give a shared account its default language back, so later journeys start in English."""
    with live_server.app.app_context():
        try:
            db.session.execute(sa.update(User).where(User.username == username).values(locale=None))
            db.session.commit()
        finally:
            db.session.remove()


def _module_complete(live_server, username: str) -> bool:
    with live_server.app.app_context():
        try:
            user = account_services.find_user(username)
            course = course_services.get_published_course(COURSE)
            modules = course_services.load_outline(course)
            states = course_services.module_states(
                modules,
                course_services.done_slugs(user, course),
                course_services.quiz_status(user, modules),
                course_services.task_status(user, modules),
            )
            return next(s for s in states if s.module.slug == MODULE).is_complete
        finally:
            db.session.remove()


def _review(mentor: Learner, locale: str, *, approve: bool, screenshot: str | None) -> None:
    mentor.visit("/author/")
    mentor.click("main p.reviews-waiting a")
    mentor.click(f"main table a[href*='/author/{COURSE}/reviews/']")
    for criterion in ("last-cycle", "evidence", "smart", "format"):
        levels = mentor.page.locator(f"main input[name='level-{criterion}']")
        chosen = levels.count() - 1 if approve or criterion != "smart" else 1
        levels.nth(chosen).check()
    if not approve:
        mentor.page.fill("#comment-smart", COMMENT[locale])
        mentor.page.fill("#comment", "OK" if locale == "en" else "جيد")
    if screenshot:
        mentor.audit.screenshot(screenshot)
    mentor.click(f"main button[name=decision][value={'approved' if approve else 'revise'}]")
    assert mentor.path() == "/author/reviews"


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_learner_drafts_submits_revises_and_a_mentor_approves(
    page, browser, live_server, new_audit, locale
):
    audit = new_audit(page, "en")
    learner = Learner(page, audit, live_server, f"task-learner-{locale}")
    learner.sign_up()
    learner.sign_in()
    if locale != "en":
        learner.switch_language(locale)
    learner.visit(f"/courses/{COURSE}/")
    learner.enrol(COURSE)
    learner.read_module(COURSE, MODULE)
    learner.take_quiz(COURSE, MODULE, right=True)
    assert not _module_complete(live_server, learner.username)

    # Draft: saved without JavaScript, kept; then submitted.
    learner.visit(TASK, "task")
    for n, text in enumerate(FIRST[locale], 1):
        page.fill(f"#s{n}", text)
    learner.click("main button[name=action][value=save]")
    expect(page.locator("#s3")).to_have_value(FIRST[locale][2])
    learner.click("main button[name=action][value=submit]")
    expect(page.locator("main textarea")).to_have_count(0)

    # The mentor, in another browser, asks for a revision with a comment on the weak criterion.
    _make_mentor(live_server, "trainer")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1000, "height": 900}, locale="en-GB"
    )
    try:
        mentor = Learner(context.new_page(), new_audit(context.pages[0], "en"), live_server, "trainer")
        mentor.sign_in_staff()
        if locale != "en":
            mentor.switch_language(locale)
        _review(mentor, locale, approve=False, screenshot="task-review")

        # The learner reads the rubric feedback and revises.
        learner.visit(TASK, "task-feedback")
        expect(page.locator("main .task-review")).to_have_count(1)
        expect(page.locator("main .task-review")).to_contain_text(COMMENT[locale])
        page.fill("#s3", REVISED[locale])
        learner.click("main button[name=action][value=submit]")
        expect(page.locator("main details.task-changes")).to_have_count(1)
        assert not _module_complete(live_server, learner.username)

        # The mentor sees what changed and approves.
        mentor.visit("/author/")
        mentor.click("main p.reviews-waiting a")
        mentor.click(f"main table a[href*='/author/{COURSE}/reviews/']")
        expect(mentor.page.locator("main details.task-changes")).to_have_count(1)
        _review(mentor, locale, approve=True, screenshot=None)
    finally:
        context.close()
        _reset_language(live_server, "trainer")  # switching language is remembered on the account

    learner.visit(TASK, "task-approved")
    expect(page.locator("main .decision.approved")).to_have_count(1)
    assert _module_complete(live_server, learner.username)
    learner.visit(f"/courses/{COURSE}/")
    expect(page.locator(f"#module-{MODULE} .module-task")).to_have_count(1)
