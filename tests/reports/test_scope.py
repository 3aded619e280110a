"""Managers see only the learners of their organisations, enforced in the query layer."""

import csv
import io

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role, User
from lms.reports import completions, queries, services
from lms.reports.filters import PROGRAMME, ReportFilter, Scope


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def download(client, query="", fmt="csv"):
    return client.post_form(f"/reports/completions.{fmt}{query}", token_from="/reports/")


def test_who_sees_what(db, programme, make_user):
    assert services.scope_for(make_user(role=Role.ADMIN)) == PROGRAMME
    assert services.scope_for(programme.programme_manager) == PROGRAMME
    assert services.scope_for(programme.manager_a) == Scope(False, frozenset({programme.org_a.id}))
    assert services.scope_for(make_user(role=Role.MANAGER)) == Scope(False, frozenset())
    for role in (Role.LEARNER, Role.TRAINER):
        with pytest.raises(services.NotAllowed):
            services.scope_for(make_user(role=role))


def test_a_manager_downloads_only_their_organisations_learners(client, auth, programme):
    auth.login("manager-a")
    rows = csv_rows(download(client))
    assert sorted((r["display_name"], r["course_slug"]) for r in rows) == [
        ("Alice", "course-a"),
        ("Bob", "course-a"),
        ("Bob", "course-b"),
    ]
    # Bob is also in organisation B: manager A must not learn that.
    assert {r["organisations"] for r in rows} == {"Organisation A"}
    assert {r["countries"] for r in rows} == {"LB"}


def test_a_learner_in_two_organisations_is_one_row_per_course(client, auth, programme):
    services.grant_scope(None, programme.manager_a, programme.org_b)
    auth.login("manager-a")
    rows = csv_rows(download(client))
    bob = [r for r in rows if r["display_name"] == "Bob"]
    assert sorted(r["course_slug"] for r in bob) == ["course-a", "course-b"]
    assert {r["organisations"] for r in bob} == {"Organisation A; Organisation B"}
    assert {r["countries"] for r in bob} == {"LB; TN"}
    assert sorted({r["display_name"] for r in rows}) == ["Alice", "Bob", "Carol"]
    # Either organisation's filter finds him.
    a_rows = csv_rows(download(client, f"?organisation={programme.org_a.id}"))
    b_rows = csv_rows(download(client, f"?organisation={programme.org_b.id}"))
    assert "Bob" in {r["display_name"] for r in a_rows} & {r["display_name"] for r in b_rows}


def test_manager_b_sees_bob_through_organisation_b_only(client, auth, programme):
    auth.login("manager-b")
    rows = csv_rows(download(client))
    assert sorted({r["display_name"] for r in rows}) == ["Bob", "Carol"]
    assert {r["organisations"] for r in rows} == {"Organisation B"}


def test_a_tampered_organisation_id_is_refused(client, auth, programme):
    auth.login("manager-a")
    other = programme.org_b.id
    assert client.get(f"/reports/?organisation={other}").status_code == 403
    assert download(client, f"?organisation={other}").status_code == 403
    assert download(client, f"?organisation={other}", "xlsx").status_code == 403
    assert client.get("/reports/?organisation=99999").status_code == 403  # no probing for ids
    assert client.get(f"/reports/?organisation={programme.org_a.id}").status_code == 200


def test_the_country_filter_never_widens_the_scope(db, programme):
    scope = services.scope_for(programme.manager_a)
    # Bob is in Tunisia through organisation B, which manager A does not manage.
    assert list(completions.iter_completions(scope, ReportFilter(country="TN"))) == []
    assert len(list(completions.iter_completions(PROGRAMME, ReportFilter(country="TN")))) == 3
    # A filter naming another organisation, if it got this far, still finds nobody.
    assert list(completions.iter_completions(scope, ReportFilter(organisation=programme.org_b.id))) == [
        record
        for record in completions.iter_completions(scope, ReportFilter())
        if record.display_name == "Bob"
    ]


def test_learners_without_an_organisation_only_for_the_whole_programme(client, auth, programme):
    auth.login("manager-all")
    names = {r["display_name"] for r in csv_rows(download(client))}
    assert names == {"Alice", "Bob", "Carol", "Dave", "Erin"}


def test_a_manager_with_no_organisation_sees_an_empty_report(client, auth, programme, make_user):
    make_user(role=Role.MANAGER, username="manager-none")
    auth.login("manager-none")
    assert csv_rows(download(client)) == []
    page = client.get("/reports/").get_data(as_text=True)
    assert "No organisation has been assigned to you yet" in page


def test_learners_and_trainers_get_403(client, auth, programme, make_user):
    make_user(role=Role.TRAINER, username="trainer-x")
    for username in ("alice", "trainer-x"):
        auth.login(username)
        assert client.get("/reports/").status_code == 403
        assert download(client).status_code == 403
        auth.logout()


def test_dashboard_figures_are_scoped(client, auth, programme):
    auth.login("manager-a")
    page = client.get("/reports/?status=completed").get_data(as_text=True)
    assert "Alice" not in page  # names are never on the dashboard
    board = services.dashboard(services.scope_for(programme.manager_a), ReportFilter())
    assert board.summary.totals.enrolments == 3
    assert set(board.summary.by_organisation) == {"Organisation A"}


def test_the_attendance_export_filters_learners_as_the_completions_do(db, programme):
    """One rule for scope, organisation and country, shared by every export (reports.queries)."""

    def names(scope, f):
        conditions = queries.learner_conditions(User.id, scope, f)
        return set(db.session.scalars(sa.select(User.display_name).where(*conditions)))

    scope = services.scope_for(programme.manager_a)
    # Bob is in Tunisia only through organisation B, which manager A does not see.
    assert names(scope, ReportFilter(country="TN")) == set()
    assert "Bob" in names(PROGRAMME, ReportFilter(country="TN"))
    assert names(scope, ReportFilter(country="LB")) == {"Alice", "Bob"}
