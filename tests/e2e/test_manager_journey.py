"""A programme manager filters the completion records of their organisation and downloads them."""

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import expect

from lms.accounts import services as account_services
from lms.accounts.models import Organisation
from lms.core.db import utcnow
from lms.courses import services as course_services
from lms.extensions import db
from tests.conftest import PASSWORD
from tests.e2e.learner import COURSE, Learner
from tests.e2e.support import SCREENSHOTS

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROUTES = ("reports.dashboard", "reports.export_completions")


def _seed_members(app, locale: str) -> tuple[str, str]:
    """Give the manager the organisation; add a member who completed the course and one who did not."""
    from lms.reports import services as report_services  # only once the reports domain exists

    done, started = f"Amal Completed {locale}", f"Omar Started {locale}"
    with app.app_context():
        organisation = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "Coalition for Rights")
        )
        report_services.grant_scope(None, account_services.find_user("manager"), organisation)
        course = course_services.get_published_course(COURSE)
        for display_name in (done, started):
            user = account_services.register(
                f"member-{display_name.split()[0].lower()}-{locale}", PASSWORD, display_name=display_name
            )
            account_services.join_organisation(user, organisation)
            enrolment = course_services.enroll(user, course)
            if display_name == done:
                enrolment.completed_at = utcnow()
        db.session.commit()
        db.session.remove()
    return done, started


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_manager_filters_and_exports_completion_records(page, live_server, new_audit, locale):
    missing = [e for e in ROUTES if not live_server.has_endpoint(e)]
    assert not missing, f"the reports routes are missing: {', '.join(missing)}"
    done, started = _seed_members(live_server.app, locale)
    audit = new_audit(page, "en")
    manager = Learner(page, audit, live_server, "manager")
    manager.sign_in_staff()
    if locale != "en":
        manager.switch_language(locale)

    manager.click("header nav a[href='/reports/']", "reports-dashboard")
    page.select_option("#filter-course", COURSE)
    page.select_option("#filter-status", "completed")
    manager.click("main form.filters[method=get] button[type=submit]", "reports-filtered")
    assert "course=civil-society" in page.url and "status=completed" in page.url

    rows = {}
    for fmt in ("csv", "xlsx"):
        with page.expect_download() as download_info:
            page.locator(f"main form[action^='/reports/completions.{fmt}'] button").click()
        path = SCREENSHOTS.parent / f"completions-{locale}.{fmt}"
        download_info.value.save_as(path)
        if fmt == "csv":
            text = path.read_bytes().decode("utf-8-sig")
            rows[fmt] = list(csv.DictReader(io.StringIO(text)))
        else:
            workbook = load_workbook(path, read_only=True)
            try:
                header, *data = list(workbook.worksheets[0].iter_rows(values_only=True))
            finally:
                workbook.close()
            rows[fmt] = [dict(zip(header, row, strict=True)) for row in data]
    for fmt, records in rows.items():
        names = {r["display_name"] for r in records}
        assert done in names, (fmt, names)
        assert started not in names, (fmt, names)
        assert {r["course_slug"] for r in records} == {COURSE}
        assert {r["status"] for r in records} == {"completed"}
    expect(page.locator("main")).to_be_visible()  # the page stays put after a download
