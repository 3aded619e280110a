"""The learner journey with the keyboard alone: Tab to move, Enter and Space to act.

Inside a group of radio buttons and in a closed drop-down list the arrow keys choose, as
every browser's keyboard interaction has it; nothing is clicked and no field is filled directly.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.learner import COURSE, Learner
from tests.e2e.support import Audit

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

MAX_TABS = 150


class Keyboard:
    """Move with Tab, act with Enter or Space, and check where the focus is."""

    def __init__(self, page: Page):
        self.page = page

    def focused(self, selector: str) -> bool:
        """Tell whether the focused element matches the selector."""
        return self.page.evaluate(
            "sel => !!document.activeElement && document.activeElement.matches(sel)", selector
        )

    def tab_to(self, selector: str) -> None:
        """Press Tab until the focus is on an element matching the selector."""
        for _ in range(MAX_TABS):
            if self.focused(selector):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {selector} on {self.page.url}")

    def press(self, selector: str, key: str = "Enter") -> None:
        """Tab to an element and press a key that loads the next page."""
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    def type_into(self, selector: str, text: str) -> None:
        """Tab to a field and type."""
        self.tab_to(selector)
        self.page.keyboard.type(text)


def _answer(keys: Keyboard, page: Page, answers: dict[str, object]) -> None:
    """Answer every question of the attempt form from the keyboard."""
    for name, value in answers.items():
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        radios = page.locator(f"main input[type=radio][name='{name}']")
        boxes = page.locator(f"main input[type=checkbox][name='{name}']")
        select = page.locator(f"main select[name='{name}']")
        if radios.count():
            offered = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
            keys.tab_to(f"main input[type=radio][name='{name}']")
            index = offered.index(values[0])
            if index == 0:
                page.keyboard.press("Space")
            for _ in range(index):
                page.keyboard.press("ArrowDown")
            expect(page.locator(f"main input[name='{name}'][value='{values[0]}']")).to_be_checked()
        elif boxes.count():
            for v in values:
                keys.tab_to(f"main input[type=checkbox][name='{name}'][value='{v}']")
                page.keyboard.press("Space")
        elif select.count():
            options = select.locator("option").evaluate_all("els => els.map(e => e.value)")
            keys.tab_to(f"main select[name='{name}']")
            for _ in range(options.index(values[0])):
                page.keyboard.press("ArrowDown")
            expect(select).to_have_value(values[0])
        else:
            keys.type_into(f"main [name='{name}']", values[0])


def test_the_learner_journey_works_with_the_keyboard_alone(page, live_server):
    audit = Audit(page, live_server, "en", run_axe=False, take_screenshots=False)
    learner = Learner(page, audit, live_server, "learner-keys")
    keys = Keyboard(page)
    page.goto("/")

    # The skip link comes first and moves the focus to the content.
    page.keyboard.press("Tab")
    assert keys.focused("a.skip-link")
    expect(page.locator("a.skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert keys.focused("main")

    keys.press("header a[href='/register']")
    keys.type_into("#username", learner.username)
    keys.type_into("#password", PASSWORD)
    keys.press("main form button[type=submit]")
    keys.type_into("#username", learner.username)
    keys.type_into("#password", PASSWORD)
    keys.press("main form button[type=submit]")
    keys.press("main form button[type=submit]", "Space")  # show my recovery codes
    keys.press("main a.button")
    assert learner.path() == "/me/"

    keys.press("header button[value=ar]", "Space")
    audit.locale = "ar"
    audit.check()
    keys.press("header a[href='/courses/']")
    keys.press(f"main a[href='/courses/{COURSE}/']")
    keys.press(f"main form[action='/courses/{COURSE}/enroll'] button", "Space")
    keys.press(f"main a[href='/courses/{COURSE}/']")

    for index, module in enumerate(learner.module_slugs()):
        keys.press(f"#module-{module} ol.lessons li:first-child a")
        while learner.path() != f"/courses/{COURSE}/":
            keys.press("main form[action$='/done'] button")
        audit.check()
        keys.press(f"#module-{module} a[href$='/quiz']")
        keys.press("main form[action$='/quiz/start'] button")
        if index == 0:  # hand in nothing: it fails, and the learner tries again
            keys.press("main form.quiz-form button[type=submit]")
            expect(page.locator(".quiz-failed")).to_have_count(1)
            keys.press("main form[action$='/quiz/start'] button")
        number = int(learner.path().rsplit("/", 1)[1])
        _answer(keys, page, learner.quiz_answers(COURSE, module, number))
        keys.press("main form.quiz-form button[type=submit]")
        expect(page.locator(".quiz-passed")).to_have_count(1)
        keys.press(f"main a.button.secondary[href='/courses/{COURSE}/']")
        audit.check()
    expect(page.locator("main .course-complete")).to_have_count(1)

    # The completed course offers its certificate: asked for and downloaded by keyboard alone.
    assert live_server.has_endpoint("certificates.request_certificate")
    keys.press(f"main a[href='/certificates/{COURSE}/request']")
    keys.type_into("#name", "Layla Haddad")
    keys.press("main form button[type=submit]")
    keys.press("main form button[type=submit]:not([name=change])")
    expect(page.locator("main a[href$='/certificate.pdf']")).to_have_count(1)
