"""Long report lists page and search: cohorts, a cohort's members, managers; scope holds on every page."""

import re

import pytest
import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.accounts.models import Role
from lms.core.pagination import PER_PAGE
from lms.reports import cohorts, services
from lms.reports.filters import PROGRAMME

EXTRA = 5  # rows past the first page


def make_cohort(programme, name, organisations):
    return cohorts.create_cohort(
        None,
        PROGRAMME,
        name=name,
        course_ids=[programme.course.id],
        organisation_ids=organisations,
        starts_on=None,
        ends_on=None,
    )


def cohort_names(html: str) -> list[str]:
    return re.findall(r'/reports/cohorts/\d+"><bdi>([^<]*)</bdi>', html)


def member_names(html: str) -> list[str]:
    section = html.split('id="members"', 1)[1].split("<h2", 1)[0]
    return re.findall(r'<th scope="row"><bdi>([^<]*)</bdi></th>', section)


def manager_names(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><bdi>([^<]*)</bdi></th>', html)


def count_queries(db, client, path: str) -> int:
    statements = []

    def listener(*args):
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


@pytest.fixture
def many_cohorts(db, programme):
    """PER_PAGE + EXTRA cohorts of organisation A and as many of organisation B, names interleaved."""
    for index in range(PER_PAGE + EXTRA):
        make_cohort(programme, f"Cohort {index:03d} A", [programme.org_a.id])
        make_cohort(programme, f"Cohort {index:03d} B", [programme.org_b.id])
    return programme


def test_the_cohort_list_pages_and_searches_by_name(client, auth, many_cohorts):
    auth.login("manager-all")
    first = client.get("/reports/cohorts").get_data(as_text=True)
    assert len(cohort_names(first)) == PER_PAGE
    assert 'rel="next"' in first
    total = 2 * (PER_PAGE + EXTRA)
    seen = set(cohort_names(first))
    page = 2
    while len(seen) < total:
        names = cohort_names(client.get(f"/reports/cohorts?page={page}").get_data(as_text=True))
        assert names and seen.isdisjoint(names)
        seen.update(names)
        page += 1
    assert len(seen) == total
    found = cohort_names(client.get("/reports/cohorts?q=cohort+007+b").get_data(as_text=True))
    assert found == ["Cohort 007 B"]
    nothing = client.get("/reports/cohorts?q=%25").get_data(as_text=True)  # a wildcard is literal
    assert cohort_names(nothing) == [] and "Nothing matches this search." in nothing


def test_a_manager_sees_only_their_organisations_cohorts_on_every_page(client, auth, many_cohorts):
    auth.login("manager-a")
    first = client.get("/reports/cohorts").get_data(as_text=True)
    second = client.get("/reports/cohorts?page=2").get_data(as_text=True)
    names = cohort_names(first) + cohort_names(second)
    assert len(cohort_names(first)) == PER_PAGE
    assert len(names) == PER_PAGE + EXTRA
    assert all(name.endswith(" A") for name in names)
    assert 'rel="next"' not in second
    assert cohort_names(client.get("/reports/cohorts?page=3").get_data(as_text=True)) == []
    # A search never reaches past the scope either.
    assert cohort_names(client.get("/reports/cohorts?q=007").get_data(as_text=True)) == ["Cohort 007 A"]


@pytest.fixture
def report_admin(make_user):
    return make_user(role="admin", username="report-admin")


@pytest.mark.parametrize("number", ["0", "-3", "abc", "99999999999999999999", "2.5", ""])
def test_a_tampered_page_number_is_harmless(client, auth, many_cohorts, report_admin, number):
    auth.login("report-admin")
    cohort = make_cohort(many_cohorts, "Tampered", [many_cohorts.org_a.id])
    for path in ("/reports/cohorts", f"/reports/cohorts/{cohort.id}", "/reports/managers"):
        response = client.get(f"{path}?page={number}")
        assert response.status_code == 200, path
    html = client.get(f"/reports/cohorts?page={number}").get_data(as_text=True)
    names = cohort_names(html)
    assert names == [] or names == cohort_names(client.get("/reports/cohorts").get_data(as_text=True))


@pytest.fixture
def big_cohort(db, programme, make_user):
    """A cohort of organisations A, with PER_PAGE + EXTRA learners of A and one of B only (bob is in both)."""
    cohort = make_cohort(programme, "Big", [programme.org_a.id])
    learners = []
    for index in range(PER_PAGE + EXTRA):
        learner = make_user(username=f"member{index:03d}", display_name=f"Nadia {index:03d}")
        accounts.join_organisation(learner, programme.org_a)
        learners.append(learner)
    outsider = make_user(username="outsider", display_name="Outsider")
    accounts.join_organisation(outsider, programme.org_b)
    view = cohorts.get_cohort(PROGRAMME, cohort.id)
    cohorts.add_members(view, [*learners, programme.alice, outsider], "upload")
    return cohort


def test_a_cohorts_members_page_and_search_by_username_or_display_name(client, auth, big_cohort):
    auth.login("manager-all")
    path = f"/reports/cohorts/{big_cohort.id}"
    first = member_names(client.get(path).get_data(as_text=True))
    second = member_names(client.get(f"{path}?page=2").get_data(as_text=True))
    assert len(first) == PER_PAGE
    assert len(set(first + second)) == PER_PAGE + EXTRA + 2
    assert first == sorted(first)
    assert member_names(client.get(f"{path}?q=MEMBER007").get_data(as_text=True)) == ["member007"]
    assert member_names(client.get(f"{path}?q=nadia+012").get_data(as_text=True)) == ["member012"]
    assert member_names(client.get(f"{path}?q=nobody-here").get_data(as_text=True)) == []


def test_a_manager_sees_only_the_members_their_scope_covers(client, auth, big_cohort):
    auth.login("manager-a")
    path = f"/reports/cohorts/{big_cohort.id}"
    names = member_names(client.get(path).get_data(as_text=True))
    names += member_names(client.get(f"{path}?page=2").get_data(as_text=True))
    assert "alice" in names and "outsider" not in names
    assert member_names(client.get(f"{path}?q=outsider").get_data(as_text=True)) == []


def test_the_managers_list_pages_and_searches(client, auth, db, programme, report_admin, make_user):
    for index in range(PER_PAGE + EXTRA):
        make_user(role=Role.MANAGER, username=f"mgr{index:03d}", display_name=f"Samir {index:03d}")
    auth.login("report-admin")
    first = client.get("/reports/managers").get_data(as_text=True)
    second = client.get("/reports/managers?page=2").get_data(as_text=True)
    everyone = manager_names(first) + manager_names(second)
    assert len(manager_names(first)) == PER_PAGE
    assert len(set(everyone)) == PER_PAGE + EXTRA + 3  # and the three managers of the programme
    # The grant form still offers every manager, whatever the page.
    assert first.count('<option value="') >= PER_PAGE + EXTRA + 3
    assert manager_names(client.get("/reports/managers?q=MGR054").get_data(as_text=True)) == ["mgr054"]
    found = client.get("/reports/managers?q=samir+003").get_data(as_text=True)
    assert manager_names(found) == ["mgr003"]


def test_list_pages_need_a_fixed_number_of_queries(client, auth, db, programme, report_admin, make_user):
    cohort = make_cohort(programme, "Counted", [programme.org_a.id])
    auth.login("report-admin")
    paths = ("/reports/cohorts", f"/reports/cohorts/{cohort.id}", "/reports/managers")
    before = {path: count_queries(db, client, path) for path in paths}
    view = cohorts.get_cohort(PROGRAMME, cohort.id)
    for index in range(12):
        learner = make_user(username=f"counted{index}", display_name=f"Counted {index}")
        accounts.join_organisation(learner, programme.org_a)
        cohorts.add_members(view, [learner], "upload")
        make_cohort(programme, f"More {index}", [programme.org_a.id, programme.org_b.id])
        manager = make_user(role=Role.MANAGER, username=f"counted-manager{index}")
        services.grant_scope(None, manager, programme.org_a)
        services.grant_scope(None, manager, programme.org_b)
    after = {path: count_queries(db, client, path) for path in paths}
    assert after == before


def audit_actors(html: str) -> list[str]:
    return re.findall(r"<td><bdi>([^<]*)</bdi></td>", html)


def test_the_audit_trail_pages_and_searches_by_who_exported(client, auth, db, programme, report_admin):
    for index in range(PER_PAGE + EXTRA):
        services.record_export(None, "completions", "csv", {}, index, actor_name=f"cli-{index:03d}")
    services.record_export(programme.manager_a, "completions", "csv", {}, 1)
    auth.login("report-admin")
    first = audit_actors(client.get("/reports/audit").get_data(as_text=True))
    second = audit_actors(client.get("/reports/audit?page=2").get_data(as_text=True))
    assert len(first) == PER_PAGE and first[0] == "manager-a"  # newest first
    assert len(set(first + second)) == PER_PAGE + EXTRA + 1
    assert audit_actors(client.get("/reports/audit?q=CLI-042").get_data(as_text=True)) == ["cli-042"]
    assert count_queries(db, client, "/reports/audit") == count_queries(db, client, "/reports/audit?page=2")
