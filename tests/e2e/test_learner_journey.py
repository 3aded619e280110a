"""A new learner's whole journey in a real browser, in English and in Arabic, with and without JavaScript.

Every page on the way is audited: no request to another host, under 30 KB of HTML, CSS and
JavaScript, fingerprinted static files cached for a year, images lazy and sized, the right
language and direction, and (with JavaScript) no axe-core WCAG 2.1 AA violation.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.learner import COURSE, Learner
from tests.e2e.support import Audit, pdf_to_png

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

NAMES = {"en": "Layla Haddad", "ar": "ليلى حدّاد"}
CERTIFICATE_ROUTES = ("certificates.request_certificate", "certificates.download", "certificates.verify")


def _certificate_routes_missing(server) -> list[str]:
    """Return the certificate routes the journey needs that the app does not have."""
    return [e for e in CERTIFICATE_ROUTES if not server.has_endpoint(e)]


def _journey(page, browser, live_server, audit, locale: str, username: str, *, screenshots: bool):
    """Sign up, switch language, enrol, read, fail then pass, complete, get and verify the certificate."""
    learner = Learner(page, audit, live_server, username)
    audit.take_screenshots = screenshots and locale == "en"
    learner.visit("/", "home")
    learner.sign_up()
    learner.sign_in()
    if locale != "en":
        audit.take_screenshots = screenshots
        learner.switch_language(locale, "my-learning-empty")
    learner.open_course()
    learner.enrol()
    learner.pass_course(screenshots=screenshots)
    expect(page.locator("main .course-complete")).to_have_count(1)
    if screenshots:
        audit.screenshot("course-complete")
    learner.click("header nav a[href='/me/']", "my-learning")
    expect(page.locator(f"main a[href='/courses/{COURSE}/']")).to_have_count(1)

    assert not _certificate_routes_missing(live_server), _certificate_routes_missing(live_server)
    learner.click(f"main a[href='/courses/{COURSE}/']")
    pdf, verify_path = learner.get_certificate(NAMES[locale], locale)
    if screenshots:
        pdf_to_png(pdf, f"{locale}-certificate-pdf")
    # Anyone can check it: a stranger's browser, not signed in.
    stranger = browser.new_context(
        base_url=live_server.url,
        locale="ar" if locale == "ar" else "en-GB",
        java_script_enabled=audit.run_axe,
    )
    try:
        public = stranger.new_page()
        public_audit = Audit(public, live_server, locale, run_axe=audit.run_axe, take_screenshots=screenshots)
        public.goto(verify_path)
        public_audit.check("verify")
        expect(public.locator("main [role=status]")).to_have_count(1)
        expect(public.locator("main dl")).to_contain_text(NAMES[locale])
    finally:
        stranger.close()


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_learner_signs_up_completes_the_course_and_verifies_the_certificate(
    page, browser, live_server, new_audit, locale
):
    audit = new_audit(page, "en")
    _journey(page, browser, live_server, audit, locale, f"learner-{locale}", screenshots=True)


def test_the_whole_learner_journey_works_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        audit = Audit(page, live_server, "en", run_axe=False)
        learner = Learner(page, audit, live_server, "learner-nojs")
        _journey(page, browser, live_server, audit, "ar", learner.username, screenshots=False)
        _discreet_mode_and_quick_exit(learner)
    finally:
        context.close()


def _discreet_mode_and_quick_exit(learner: Learner) -> None:
    """Neutral titles at the press of a button, and a quick exit that ends the session."""
    page = learner.page
    learner.visit(f"/courses/{COURSE}/")
    assert page.url.endswith(f"/courses/{COURSE}/")
    learner.click("footer form[action='/discreet'] button")
    discreet_title = page.title()
    learner.visit("/notes")
    assert discreet_title == page.title()  # the neutral page's own title
    learner.visit(f"/courses/{COURSE}/")
    learner.click("form.quick-exit button")
    assert learner.path() == "/notes"
    learner.visit("/me/")  # only the decoy for a while (tests/e2e/test_safety.py)
    assert learner.path() == "/me/" and page.title() == discreet_title
