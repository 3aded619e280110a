"""Safety for learners at risk in a real browser (issue 18), with JavaScript on and off.

A quick exit, then Back, shows only the decoy; Escape three times exits; discreet mode leaves no
brand, tagline or site icon on any page of the learner journey, in English and Arabic; the
sessions page ends another browser's session. Screenshots of a lesson in normal and discreet mode,
in both languages, go to test-artifacts/safety/ (committed).
"""

import itertools
import time

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from lms.accounts import services as account_services
from lms.core.safety import ADDRESS_KEY_COOKIE, seal
from lms.extensions import db
from tests.conftest import PASSWORD
from tests.e2e.learner import COURSE, Learner
from tests.e2e.support import ROOT, Audit

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ARTIFACTS = ROOT / "test-artifacts" / "safety"
BRANDS = ("Tamkeen", "تمكين")
TAGLINE = "Tamkeen: free learning for civil society. No trackers, no third-party requests."
_numbers = itertools.count(1)


def _translated(server, text: str, locale: str) -> str:
    with server.app.test_request_context(), force_locale(locale):
        return gettext(text)


def _account(server, prefix: str) -> str:
    """Make a learner account (no recovery codes to take) and return its username."""
    username = f"{prefix}-{next(_numbers)}-{int(time.time() * 1000) % 100000}"
    with server.app.app_context():
        try:
            user = account_services.register(username, PASSWORD)
            user.has_pending_recovery_codes = False
            db.session.commit()
        finally:
            db.session.remove()
    return username


@pytest.fixture
def open_browser(browser, live_server):
    """Factory: open_browser(locale, js) -> (page, audit), a fresh browser window."""
    contexts = []

    def _open(locale: str = "en", js: bool = True):
        context = browser.new_context(
            base_url=live_server.url,
            locale="ar" if locale == "ar" else "en-GB",
            viewport={"width": 1000, "height": 900},
            java_script_enabled=js,
        )
        contexts.append(context)
        page = context.new_page()
        return page, Audit(page, live_server, locale, run_axe=js)

    yield _open
    for context in contexts:
        context.close()


def _signed_in(open_browser, live_server, locale: str, js: bool, prefix: str) -> Learner:
    page, audit = open_browser(locale, js)
    learner = Learner(page, audit, live_server, _account(live_server, prefix))
    learner.sign_in_staff()  # the account has no recovery codes to take first
    return learner


def _open_first_lesson(learner: Learner) -> str:
    learner.visit(f"/courses/{COURSE}/")
    link = learner.page.locator("main section.module ol.lessons a").first
    learner.go(link.click)
    expect(learner.page.locator("main article.lesson h1")).to_have_count(1)
    return learner.path()


def _assert_decoy(learner: Learner, locale: str) -> None:
    page = learner.page
    notes = _translated(learner.server, "Notes", locale)
    assert page.title() == notes, page.url
    expect(page.locator("main h1")).to_have_text(notes)
    html = page.content()
    assert not any(brand in html for brand in BRANDS), page.url
    expect(page.locator("header, footer, form, article")).to_have_count(0)


def _wait_for_decoy_cookie(page) -> None:
    for _attempt in range(50):
        if any(cookie["name"] == "nv" for cookie in page.context.cookies()):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the quick exit never set its decoy cookie")


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("locale", ["en", "ar"])
def test_after_a_quick_exit_back_shows_only_the_decoy(open_browser, live_server, locale, js):
    learner = _signed_in(open_browser, live_server, locale, js, "exit")
    page = learner.page
    lesson = _open_first_lesson(learner)
    title = page.title()
    learner.go(lambda: page.click("form.quick-exit button"))
    assert learner.path() == "/notes"
    _wait_for_decoy_cookie(page)
    _assert_decoy(learner, locale)
    # Back: the page before (the lesson without JavaScript, the course page with it, since the
    # script replaced the lesson's history entry) is asked for again and answered with the decoy.
    learner.go(page.go_back)
    assert learner.path() in (lesson, f"/courses/{COURSE}/")
    assert page.title() != title
    _assert_decoy(learner, locale)
    for path in (lesson, "/me/", "/courses/", "/no-such-page"):
        learner.visit(path)
        _assert_decoy(learner, locale)
    # The deliberate way back: the sign-in page (shown discreetly), then signing in.
    learner.sign_in_staff()
    expect(page.locator("header .brand")).to_have_text(_translated(live_server, "Tamkeen", locale))


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_escape_three_times_exits_at_once(open_browser, live_server, locale):
    learner = _signed_in(open_browser, live_server, locale, True, "escape")
    page = learner.page
    lesson = _open_first_lesson(learner)
    entries = page.evaluate("history.length")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    assert learner.path() == lesson  # twice is not enough: Escape also closes things
    with page.expect_navigation():
        page.keyboard.press("Escape")
    learner.audit.check()
    assert learner.path() == "/notes"
    assert page.evaluate("history.length") == entries  # the lesson's entry was replaced
    _wait_for_decoy_cookie(page)
    _assert_decoy(learner, locale)
    learner.go(page.go_back)
    _assert_decoy(learner, locale)
    learner.visit("/me/")
    _assert_decoy(learner, locale)


def _assert_discreet(learner: Learner, locale: str) -> None:
    page = learner.page
    notes = _translated(learner.server, "Notes", locale)
    assert page.title() == notes, page.url
    for part in ("header.site-header", "footer.site-footer"):
        text = page.locator(part).inner_text()
        assert not any(brand in text for brand in BRANDS), (page.url, part, text)
    expect(page.locator("header.site-header .brand")).to_have_text(notes)
    body = page.locator("body").inner_text()
    assert "Tamkeen" not in body, page.url
    assert _translated(learner.server, TAGLINE, locale) not in body, page.url
    assert _translated(learner.server, "Learning for civil society", locale) not in body, page.url
    icons = page.locator("link[rel~=icon]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert len(icons) == 1 and icons[0].startswith("/static/neutral."), (page.url, icons)


def _lesson_screenshot(page, locale: str, mode: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{locale}-lesson-{mode}.png"))


def _sealed(learner: Learner, path: str) -> str:
    """The opaque address this browser is given for a path (its key is in a cookie)."""
    key = next(c["value"] for c in learner.page.context.cookies() if c["name"] == ADDRESS_KEY_COOKIE)
    return seal(learner.server.app.secret_key, key, path)


def _assert_hidden_address(learner: Learner) -> None:
    assert COURSE not in learner.page.url and "/courses/" + COURSE not in learner.page.url, learner.page.url


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("locale", ["en", "ar"])
def test_discreet_mode_disguises_every_page_of_the_learner_journey(open_browser, live_server, locale, js):
    page, audit = open_browser(locale, js)
    learner = Learner(page, audit, live_server, f"discreet-{locale}-{'js' if js else 'nojs'}")
    if js:  # the lesson as it looks without discreet mode, for the screenshots
        learner.visit(f"/courses/{COURSE}/")
        learner.go(page.locator("main section.module ol.lessons a").first.click)
        _lesson_screenshot(page, locale, "normal")
    learner.visit("/")
    learner.click("footer form[action='/discreet'] button")  # before signing up
    _assert_discreet(learner, locale)
    learner.visit("/register")
    _assert_discreet(learner, locale)
    page.fill("#username", learner.username)
    page.fill("#password", PASSWORD)
    learner.click("main form button[type=submit]")
    for step in ("login", "recovery-codes", "my-learning"):
        _assert_discreet(learner, locale)
        if step == "login":
            page.fill("#username", learner.username)
            page.fill("#password", PASSWORD)
            learner.click("main form button[type=submit]")
        elif step == "recovery-codes":
            learner.click("main form button[type=submit]")
            _assert_discreet(learner, locale)
            learner.click("main a.button")
    learner.click("header nav a[href='/courses/']")
    _assert_discreet(learner, locale)
    # From here on the address bar (and so the history) never names the course.
    course = _sealed(learner, f"/courses/{COURSE}/")
    learner.click(f"main a[href='{course}']")
    _assert_hidden_address(learner)
    _assert_discreet(learner, locale)
    learner.click(f"main form[action='{_sealed(learner, f'/courses/{COURSE}/enroll')}'] button")
    _assert_hidden_address(learner)
    _assert_discreet(learner, locale)
    learner.click(f"main a.button.secondary[href='{course}']")
    module = learner.module_slugs()[0]
    learner.go(page.locator(f"#module-{module} ol.lessons a").first.click)
    _assert_hidden_address(learner)
    _assert_discreet(learner, locale)
    if js:
        _lesson_screenshot(page, locale, "discreet")
    learner.click("main form[action^='/n/'] button")  # mark as done and continue
    _assert_hidden_address(learner)
    _assert_discreet(learner, locale)
    learner.visit(_sealed(learner, f"/courses/{COURSE}/{module}/quiz"))
    expect(
        page.locator(f"main form[action='{_sealed(learner, f'/courses/{COURSE}/{module}/quiz/start')}']")
    ).to_have_count(1)
    _assert_discreet(learner, locale)
    for path in ("/me/", "/me/profile", "/me/sessions", "/safety"):
        learner.visit(path)
        _assert_discreet(learner, locale)
        assert f"/courses/{COURSE}" not in page.content()
    # Signing out keeps discreet mode: it is this device's choice.
    learner.click("header form[action='/logout'] button")
    _assert_discreet(learner, locale)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_the_sessions_page_ends_another_browsers_session(open_browser, live_server, js):
    username = _account(live_server, "two-browsers")
    phone_page, phone_audit = open_browser("en", js)
    phone = Learner(phone_page, phone_audit, live_server, username)
    phone.sign_in_staff()
    laptop_page, laptop_audit = open_browser("en", js)
    laptop = Learner(laptop_page, laptop_audit, live_server, username)
    laptop.sign_in_staff()
    laptop.click("header nav a[href='/me/profile']")
    laptop.click("main a[href='/me/sessions']")
    rows = laptop_page.locator("main table.sessions tbody tr")
    expect(rows).to_have_count(2)
    expect(laptop_page.locator("main table.sessions tr.current")).to_have_count(1)
    expect(rows.first).to_contain_text("Chrom")  # a coarse browser name, nothing finer
    other = laptop_page.locator("main table.sessions tbody tr:not(.current) form button")
    laptop.go(other.click)
    expect(laptop_page.locator("main table.sessions tbody tr")).to_have_count(1)
    phone.visit("/me/")
    assert phone.path() == "/login"  # signed out there at once
    laptop.visit("/me/")
    assert laptop.path() == "/me/"
