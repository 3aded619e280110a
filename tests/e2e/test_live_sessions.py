"""Live sessions in a real browser: a manager plans one, two learners register (one waits, then
gets the seat), the facilitator takes the roll, the course completes only then, and the export
shows the live hours. Screenshots of the upcoming sessions and of the roll, in English and Arabic.
"""

import csv
import io
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from lms.accounts import services as account_services
from lms.accounts.models import Organisation
from lms.cohorts.models import CohortMember
from lms.core.db import utcnow
from lms.courses import services as course_services
from lms.extensions import db
from lms.reports import cohorts as report_cohorts
from lms.reports import services as report_services
from lms.reports.filters import PROGRAMME
from tests.conftest import PASSWORD
from tests.courses.course_builder import write_course
from tests.e2e.learner import Learner
from tests.e2e.support import SCREENSHOTS, Audit

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _seed(app, locale: str) -> dict:
    """A small course, a cohort run for the manager's organisation, two learners in it."""
    slug = f"live-e2e-{locale}"
    with app.app_context():
        with tempfile.TemporaryDirectory() as folder:
            course_services.import_path(write_course(Path(folder), slug, modules=1, lessons_per_module=1))
        course = course_services.get_course(slug)
        organisation = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "Coalition for Rights")
        )
        report_services.grant_scope(None, account_services.find_user("manager"), organisation)
        cohort = report_cohorts.create_cohort(
            None,
            PROGRAMME,
            name=f"Geneva briefing ({locale})",
            course_ids=[course.id],
            organisation_ids=[organisation.id],
            starts_on=None,
            ends_on=None,
        )
        names = {}
        for key, display in (("first", "Amal Nasser"), ("second", "Omar Haddad")):
            user = account_services.register(f"live-{key}-{locale}", PASSWORD, display_name=display)
            user.has_pending_recovery_codes = False
            account_services.join_organisation(user, organisation)
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, source="upload"))
            course_services.enroll(user, course)
            names[key] = user.username
        db.session.commit()
        ids = {"cohort": cohort.id, "course": course.id, "slug": slug, **names}
        db.session.remove()
    return ids


def _person(browser, live_server, username: str, locale: str, *, screenshots: bool = False) -> Learner:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1000, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    audit = Audit(page, live_server, "en", take_screenshots=screenshots)
    person = Learner(page, audit, live_server, username)
    person.sign_in_staff()
    if locale != "en":
        person.switch_language(locale)
    return person


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_live_session_from_planning_to_blended_completion(browser, live_server, locale):
    ids = _seed(live_server.app, locale)
    people = []
    try:
        manager = _person(browser, live_server, "manager", "en")
        people.append(manager)
        # The manager requires one session for the course, then plans it.
        manager.visit(f"/cohorts/{ids['cohort']}/live/")
        manager.page.select_option("#course", str(ids["course"]))
        manager.page.fill("#min_sessions", "1")
        manager.click("main form[action$='/live/requirement'] button[type=submit]")
        manager.click(f"main a[href='/cohorts/{ids['cohort']}/live/new']")
        tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
        page = manager.page
        page.fill("#title_en", "Shadow reports clinic")
        page.fill("#title_ar", "عيادة تقارير الظل")
        page.fill("#day", tomorrow)
        page.fill("#starts", "10:00")
        page.fill("#ends", "12:00")
        page.select_option("#time_zone", "Asia/Beirut")
        page.select_option("#course", str(ids["course"]))
        page.fill("#capacity", "1")
        page.fill("#facilitators", "trainer")
        page.fill("#online_url", "https://meet.example.org/clinic")
        manager.click("main form button[type=submit]")
        session_path = manager.path()
        assert session_path.startswith("/live/")

        first = _person(browser, live_server, ids["first"], locale, screenshots=True)
        second = _person(browser, live_server, ids["second"], locale, screenshots=True)
        people += [first, second]
        # The first learner sees it on "My learning" and in the list, in their zone, and takes the seat.
        expect(first.page.locator("main .live-sessions")).to_contain_text("UTC+0")
        first.visit("/me/live/settings")
        first.page.select_option("#time_zone", "Asia/Beirut")
        first.click("main form button[name=action][value=save]")
        first.visit("/me/live/", "live-upcoming")
        expect(first.page.locator("main")).to_contain_text("Asia/Beirut")
        first.click(f"main form[action='{session_path}register'] button")
        expect(first.page.locator("main")).to_contain_text("https://meet.example.org/clinic")
        # The second is waitlisted and does not see the link.
        second.visit(session_path)
        second.click(f"main form[action='{session_path}register'] button")
        expect(second.page.locator("main form[action$='/unregister']")).to_have_count(1)
        expect(second.page.locator("main")).not_to_contain_text("meet.example.org")
        # The first cancels: the second is promoted and now sees the link.
        first.click(f"main form[action='{session_path}unregister'] button")
        second.visit(session_path)
        expect(second.page.locator("main")).to_contain_text("https://meet.example.org/clinic")

        # The second finishes the lessons: the course waits for attendance and says so.
        second.visit(f"/courses/{ids['slug']}/module-1/m1-lesson-1")
        second.click("main form[action$='/done'] button")
        second.visit(f"/courses/{ids['slug']}/")
        expect(second.page.locator("main .live-requirement")).to_have_count(1)
        expect(second.page.locator("main .course-complete")).to_have_count(0)

        # The facilitator takes the roll.
        with live_server.app.app_context():
            second_id = account_services.find_user(ids["second"]).id
            db.session.remove()
        trainer = _person(browser, live_server, "trainer", locale, screenshots=True)
        people.append(trainer)
        trainer.visit(f"{session_path}roll", "live-roll")
        trainer.page.check(f"input[name='status-{second_id}'][value='present']")
        trainer.page.fill(f"#minutes-{second_id}", "120")
        trainer.click("main form.roll button[type=submit]")
        expect(trainer.page.locator(f"input[name='status-{second_id}'][value='present']")).to_be_checked()

        # Now the course is complete.
        second.visit(f"/courses/{ids['slug']}/")
        expect(second.page.locator("main .course-complete")).to_have_count(1)

        # The export shows the live hours.
        manager.visit(f"/reports/?course={ids['slug']}")
        with manager.page.expect_download() as download_info:
            manager.page.locator("main form[action^='/reports/completions.csv'] button").click()
        path = SCREENSHOTS.parent / f"live-completions-{locale}.csv"
        download_info.value.save_as(path)
        rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        by_name = {r["display_name"]: r for r in rows}
        assert by_name["Omar Haddad"]["live_sessions_attended"] == "1"
        assert by_name["Omar Haddad"]["live_hours"] == "2.0"
        assert by_name["Omar Haddad"]["status"] == "completed"
        assert by_name["Amal Nasser"]["live_hours"] == "0.0"
        manager.visit(f"/reports/live?course={ids['slug']}")
        expect(manager.page.locator("main table")).to_have_count(2)  # per cohort, per session
        assert (SCREENSHOTS / f"{locale}-live-upcoming.png").exists()
        assert (SCREENSHOTS / f"{locale}-live-roll.png").exists()
    finally:
        for person in people:
            person.page.context.close()
        _clean(live_server.app, ids)


def _clean(app, ids) -> None:
    """Remove the course, cohort and learners: later journeys audit pages that list every course."""
    from lms.accounts.models import User
    from lms.cohorts.models import Cohort
    from lms.courses.models import Course

    with app.app_context():
        db.session.execute(sa.delete(Cohort).where(Cohort.id == ids["cohort"]))
        db.session.execute(sa.delete(Course).where(Course.id == ids["course"]))
        db.session.execute(sa.delete(User).where(User.username.in_([ids["first"], ids["second"]])))
        # Switching language is remembered on the account: give the shared trainer account English back.
        db.session.execute(sa.update(User).where(User.username == "trainer").values(locale=None))
        db.session.commit()
        db.session.remove()
