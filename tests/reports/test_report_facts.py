"""The dashboard's stored facts: rebuilt by a periodic job, they give exactly the live figures."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lms.extensions import jobs
from lms.reports import facts, services
from lms.reports.filters import PROGRAMME, ReportFilter, Scope
from lms.reports.models import ReportFact, ReportRefresh
from tests.reports.conftest import enrol
from tests.reports.test_dashboard_sql import FILTERS, assert_same, reference, seeded  # noqa: F401

AS_OF = datetime(2026, 12, 6, 14, 35, tzinfo=UTC)


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: str(f.as_args()) or "all")
def test_the_stored_figures_equal_the_exact_figures(seeded, f):  # noqa: F811
    assert services.refresh_report_facts(AS_OF) == 8
    board = services.dashboard(PROGRAMME, f)
    assert board.as_of == AS_OF
    assert_same(board.summary, reference(PROGRAMME, f))
    assert_same(board.summary, services.dashboard(PROGRAMME, f, live=True).summary)


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: str(f.as_args()) or "all")
def test_a_managers_stored_figures_equal_the_exact_figures(seeded, f):  # noqa: F811
    services.refresh_report_facts(AS_OF)
    for organisations in ({seeded.org_a.id}, {seeded.org_b.id}, {seeded.org_a.id, seeded.org_d.id}):
        scope = Scope(is_programme=False, organisation_ids=frozenset(organisations))
        assert_same(services.dashboard(scope, f).summary, reference(scope, f))
        narrowed = replace(f, organisation=min(organisations))
        assert_same(services.dashboard(scope, narrowed).summary, reference(scope, narrowed))


def test_active_learners_from_the_stored_facts_equal_the_live_count(seeded):  # noqa: F811
    now = datetime(2025, 3, 1, tzinfo=UTC)
    live = services.dashboard(PROGRAMME, ReportFilter(), now=now, live=True).active_learners
    services.refresh_report_facts(AS_OF)
    assert services.dashboard(PROGRAMME, ReportFilter(), now=now).active_learners == live


def test_figures_are_as_of_the_last_refresh_then_catch_up(db, seeded, make_user):  # noqa: F811
    services.refresh_report_facts(AS_OF)
    newcomer = make_user(username="newcomer")
    enrol(db, newcomer, seeded.course)
    stored = services.dashboard(PROGRAMME, ReportFilter()).summary
    assert stored.totals.enrolments == 8  # as of 14:35, before the newcomer enrolled
    later = datetime(2026, 12, 6, 14, 40, tzinfo=UTC)
    assert services.refresh_report_facts(later) == 9
    board = services.dashboard(PROGRAMME, ReportFilter())
    assert board.as_of == later and board.summary.totals.enrolments == 9
    assert_same(board.summary, reference(PROGRAMME, ReportFilter()))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportRefresh)) == 1


def test_before_any_refresh_the_dashboard_adds_up_the_records(seeded):  # noqa: F811
    board = services.dashboard(PROGRAMME, ReportFilter())
    assert board.as_of is None and facts.last_refresh() is None
    assert board.summary.totals.enrolments == 8


def test_the_refresh_is_a_periodic_job_every_five_minutes(app):
    declared = {job.name: schedule for job, schedule in jobs.periodic}
    assert declared["lms.reports.services.refresh_report_facts_job"] == {"minute": "*/5"}


def test_erasing_a_learner_deletes_their_stored_facts(db, seeded):  # noqa: F811
    services.refresh_report_facts(AS_OF)
    alice = seeded.alice
    assert db.session.scalar(sa.select(sa.func.count()).where(ReportFact.user_id == alice.id))
    services.erase_demographics(alice)
    assert not db.session.scalar(sa.select(sa.func.count()).where(ReportFact.user_id == alice.id))


@pytest.mark.parametrize(("lang", "expected"), [("en", "2:35\u202fPM"), ("ar", "2:35")])
def test_the_page_says_when_the_figures_are_from(client, db, make_user, auth, seeded, lang, expected):  # noqa: F811
    make_user(role="admin", username="report-admin")
    auth.login("report-admin")
    services.refresh_report_facts(AS_OF)
    db.session.commit()
    html = client.get("/reports/", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert 'id="figures-as-of"' in html
    assert expected in html
