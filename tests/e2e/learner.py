"""A learner's steps through the site, as a person takes them: links, buttons and forms only.

Every step that lands on a page hands it to the audit. Selectors name forms by their action and
fields by their id, so the same steps work in every language.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lms.accounts import services as account_services
from lms.accounts.models import User
from lms.courses import services as course_services
from lms.extensions import db
from lms.quizzes import services as quiz_services
from tests.conftest import PASSWORD
from tests.e2e.support import SCREENSHOTS, Audit, LiveServer
from tests.quizzes.answering import form_for

COURSE = "civil-society"  # the shortest shipped course: three modules, eleven lessons


class Learner:
    """One person in one browser page: a learner, or a trainer or manager signing in."""

    def __init__(self, page: Page, audit: Audit, server: LiveServer, username: str):
        self.page = page
        self.audit = audit
        self.server = server
        self.username = username

    # Navigation --------------------------------------------------------------------------------

    def go(self, action: Callable[[], object], screenshot: str | None = None) -> None:
        """Do something that loads a page, wait for it, and audit it."""
        with self.page.expect_navigation():
            action()
        self.audit.check(screenshot)

    def visit(self, path: str, screenshot: str | None = None) -> None:
        """Open a path of the site."""
        self.page.goto(path)
        self.audit.check(screenshot)

    def click(self, selector: str, screenshot: str | None = None) -> None:
        """Follow a link or press a button."""
        target = self.page.locator(selector)
        expect(target).to_have_count(1)
        self.go(target.click, screenshot)

    def path(self) -> str:
        """The path of the page shown (without query or fragment)."""
        return urlsplit(self.page.url).path

    # Account -------------------------------------------------------------------------------------

    def sign_up(self) -> None:
        """Create an account with a username and a password only."""
        self.visit("/register", "register")
        self.page.fill("#username", self.username)
        self.page.fill("#password", PASSWORD)
        self.click("main form button[type=submit]")
        assert self.path().startswith("/login")

    def sign_in(self) -> None:
        """Sign in, then take the recovery codes a new account is offered."""
        if not self.path().startswith("/login"):
            self.visit("/login")
        self.page.fill("#username", self.username)
        self.page.fill("#password", PASSWORD)
        self.click("main form button[type=submit]")
        assert self.path() == "/me/recovery-codes"
        self.click("main form button[type=submit]", "recovery-codes")
        assert self.page.locator("main ol.codes li").count() > 0
        self.click("main a.button", "my-learning-empty")
        assert self.path() == "/me/"

    def sign_in_staff(self) -> None:
        """Sign in with an account made by an admin (it has no recovery codes to take first).

        Staff accounts are shared by the journeys and a chosen language is kept on the account:
        it is cleared first, so that every journey starts in the language it audits.
        """
        with self.server.app.app_context():
            try:
                db.session.execute(sa.update(User).where(User.username == self.username).values(locale=None))
                db.session.commit()
            finally:
                db.session.remove()
        self.visit("/login")
        self.page.fill("#username", self.username)
        self.page.fill("#password", PASSWORD)
        self.click("main form button[type=submit]")
        assert self.path() == "/me/"

    def switch_language(self, locale: str, screenshot: str | None = None) -> None:
        """Choose a language in the header switcher; every later page is in it."""
        self.audit.locale = locale
        self.click(f"header form.language-switcher button[value={locale}]", screenshot)

    # Course --------------------------------------------------------------------------------------

    def open_course(self, slug: str = COURSE) -> None:
        """Browse the catalog and open a course."""
        self.click("header nav a[href='/courses/']", "catalog")
        self.click(f"main a[href='/courses/{slug}/']", "course")

    def enrol(self, slug: str = COURSE) -> None:
        """Enrol, and skip the optional knowledge check offered before the course."""
        self.click(f"main form[action='/courses/{slug}/enroll'] button", "assessment-offer")
        assert self.path() == f"/courses/{slug}/assessment"
        self.click(f"main a.button.secondary[href='/courses/{slug}/']")

    def module_slugs(self) -> list[str]:
        """The modules of the course page shown, in order."""
        ids = self.page.locator("main section.module").evaluate_all("els => els.map(e => e.id)")
        return [i.removeprefix("module-") for i in ids]

    def read_module(self, slug: str, module: str, screenshot_first: bool = False) -> int:
        """Read every lesson of a module, marking each done; return how many there were."""
        links = self.page.locator(f"#module-{module} ol.lessons a")
        count = links.count()
        assert count > 0
        self.go(links.first.click, "lesson" if screenshot_first else None)
        for number in range(1, count + 1):
            expect(self.page.locator("main article.lesson h1")).to_have_count(1)
            self.click("main form[action$='/done'] button")
            if number < count:
                assert self.path().startswith(f"/courses/{slug}/{module}/")
        assert self.path() == f"/courses/{slug}/"
        return count

    # Quizzes -------------------------------------------------------------------------------------

    def take_quiz(self, slug: str, module: str, *, right: bool, screenshot: str | None = None) -> None:
        """Start (or retry) the module quiz and hand in right or wrong answers."""
        if not self.path().startswith(f"/courses/{slug}/{module}/quiz"):
            self.click(f"#module-{module} a[href='/courses/{slug}/{module}/quiz']", screenshot and "quiz")
        self.click(f"main form[action='/courses/{slug}/{module}/quiz/start'] button")
        number = int(self.path().rsplit("/", 1)[1])
        self.answer(self.quiz_answers(slug, module, number), right=right)
        self.click("main form.quiz-form button[type=submit]", screenshot)
        assert self.path().endswith("/result")
        expect(self.page.locator(".quiz-passed" if right else ".quiz-failed")).to_have_count(1)

    def quiz_answers(self, slug: str, module: str, number: int) -> dict[str, object]:
        """The right answers to this attempt (the test's answer key, read from the database)."""
        with self.server.app.app_context():
            try:
                user = account_services.find_user(self.username)
                course = course_services.get_published_course(slug)
                quiz = next(m for m in course_services.load_outline(course) if m.slug == module).quiz
                attempt = quiz_services.get_attempt(user, quiz, number)
                return form_for(attempt, right=True)
            finally:
                db.session.remove()

    def answer(self, answers: dict[str, object], *, right: bool) -> None:
        """Fill the attempt form with the right answers, or with wrong ones."""
        for name, value in answers.items():
            values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            choices = self.page.locator(
                f"main input[name='{name}'][type=radio], main input[name='{name}'][type=checkbox]"
            )
            if choices.count():
                if not right:
                    offered = [choices.nth(i).get_attribute("value") for i in range(choices.count())]
                    values = [next(v for v in offered if v not in values)]
                for v in values:
                    self.page.check(f"main input[name='{name}'][value='{v}']")
            elif self.page.locator(f"main select[name='{name}']").count():
                if right:
                    self.page.select_option(f"main select[name='{name}']", values[0])
            else:
                self.page.fill(f"main [name='{name}']", values[0] if right else "zzz")

    def pass_course(self, slug: str = COURSE, *, screenshots: bool = True) -> None:
        """Read every module and pass every quiz: fail the first quiz once, then pass it."""
        modules = self.module_slugs()
        for index, module in enumerate(modules):
            first = index == 0 and screenshots
            self.read_module(slug, module, screenshot_first=first)
            if index == 0:
                self.take_quiz(slug, module, right=False, screenshot="quiz-failed" if first else None)
            self.take_quiz(slug, module, right=True, screenshot="quiz-passed" if first else None)
            self.click(f"main a.button.secondary[href='/courses/{slug}/']")
        expect(self.page.locator("main progress#course-progress")).to_have_count(1)

    # Certificate ---------------------------------------------------------------------------------

    def get_certificate(self, name: str, locale: str, slug: str = COURSE) -> tuple[Path, str]:
        """Ask for the certificate from the course page, confirm the name, download the PDF.

        Return the PDF's path and the public verification address the certificate page gives.
        """
        self.click(f"main a[href='/certificates/{slug}/request']", "certificate-request")
        self.page.fill("#name", name)
        self.page.select_option("#locale", locale)
        self.click("main form button[type=submit]", "certificate-confirm")
        expect(self.page.locator("main")).to_contain_text(name)
        self.click("main form button[type=submit]:not([name=change])", "certificate")
        with self.page.expect_download() as download_info:
            self.page.locator("main a[href$='/certificate.pdf']").click()
        pdf = SCREENSHOTS.parent / f"certificate-{locale}.pdf"
        download_info.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF-")
        verify = self.page.locator("main a[href^='/verify/']")
        expect(verify).to_have_count(1)
        return pdf, verify.get_attribute("href")
