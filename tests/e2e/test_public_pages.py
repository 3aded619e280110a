"""The pages anyone sees before signing in, in English and Arabic: audited, with form errors shown."""

import pytest
from playwright.sync_api import expect

from tests.e2e.learner import COURSE, Learner
from tests.e2e.support import IMMUTABLE, Audit

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

IMAGE_LESSON = "/courses/sample-course/council-and-upr/universal-periodic-review"


@pytest.fixture(params=["en", "ar"])
def visitor(request, browser, live_server):
    """A browser whose language is English or Arabic, not signed in."""
    locale = request.param
    context = browser.new_context(
        base_url=live_server.url,
        locale="ar" if locale == "ar" else "en-GB",
        viewport={"width": 1000, "height": 900},
    )
    page = context.new_page()
    yield page, Audit(page, live_server, locale)
    context.close()


def test_public_pages_pass_the_audit_in_each_language(visitor, live_server):
    page, audit = visitor
    page.goto("/")
    audit.check("home")
    page.goto("/courses/")
    audit.check("catalog-anonymous")
    page.goto(f"/courses/{COURSE}/")
    audit.check("course-anonymous")
    page.goto("/login")
    audit.check("login")
    page.goto("/notes")
    audit.check("neutral")
    page.goto("/no-such-page")
    audit.check("not-found")
    assert live_server.has_endpoint("certificates.verify_form")
    page.goto("/verify?code=not-a-code")
    audit.check("verify-not-found")


def test_sign_up_errors_are_summarised_announced_and_tied_to_their_fields(visitor):
    page, audit = visitor
    page.goto("/register")
    audit.check("register")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    audit.check("register-errors")
    summary = page.locator("main .form-errors[role=alert]")
    expect(summary).to_have_count(1)
    expect(summary.locator("a[href='#username']")).to_have_count(1)
    for field in ("username", "password"):
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        described = page.locator(f"#{field}").get_attribute("aria-describedby").split()
        assert f"{field}-error" in described
        expect(page.locator(f"#{field}-error")).not_to_be_empty()
    expect(page.locator("#display_name")).not_to_have_attribute("aria-invalid", "true")


def test_a_lesson_image_is_lazy_loaded_and_carries_its_size(visitor):
    page, audit = visitor
    page.goto(IMAGE_LESSON)
    image = page.locator("main article.lesson img")
    expect(image).to_have_count(1)
    audit.check("lesson-with-image")


def test_the_language_switcher_works_without_an_account(visitor):
    page, audit = visitor
    other = "en" if audit.locale == "ar" else "ar"
    page.goto("/courses/")
    audit.check()
    audit.locale = other
    with page.expect_navigation():
        page.click(f"header form.language-switcher button[value={other}]")
    audit.check()
    assert page.url.endswith("/courses/")


def test_static_files_are_the_same_public_answer_for_a_signed_in_learner(page, live_server, new_audit):
    """A year-long public cache entry must not carry the learner's session cookie."""
    admin = Learner(page, new_audit(page, "en", run_axe=False), live_server, "admin")
    admin.sign_in_staff()
    for url in page.eval_on_selector_all("link[href^='/static/']", "els => els.map(e => e.href)"):
        response = page.context.request.get(url)
        assert response.headers.get("cache-control") == IMMUTABLE, url
        assert "set-cookie" not in response.headers, f"{url} sets a cookie: a shared cache would keep it"
        assert "cookie" not in response.headers.get("vary", "").lower(), url
