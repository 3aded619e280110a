"""Report errors carry their HTTP status; the app answers them once, with their message."""

import pytest

from lms.core.errors import DomainError
from lms.reports import filters, services


@pytest.mark.parametrize(
    ("error", "status"),
    [(services.ReportError, 400), (services.NotAllowed, 403), (services.NotFound, 404)],
)
def test_report_errors_are_domain_errors_with_their_status(error, status):
    assert issubclass(error, DomainError)
    assert issubclass(error, services.ReportError)
    assert error("message").status == status


def test_a_filter_error_is_a_400_that_names_the_field_only_for_the_cli():
    with pytest.raises(filters.FilterError) as caught:
        filters.parse_filter({"since": "someday"})
    assert isinstance(caught.value, DomainError) and caught.value.status == 400
    assert str(caught.value) == "since" and caught.value.field == "since"
    assert caught.value.message == ""  # the page says "not understood", not a field name


def test_a_refused_filter_shows_its_reason_on_the_error_page(client, auth, programme):
    auth.login("manager-a")
    response = client.get(f"/reports/?organisation={programme.org_b.id}")
    assert response.status_code == 403
    assert "That organisation is not one of yours." in response.get_data(as_text=True)
    missing = client.get("/reports/cohorts/999999")
    assert missing.status_code == 404
    assert "There is no such cohort." in missing.get_data(as_text=True)


def test_revoking_from_an_account_that_is_not_a_manager_is_a_400_with_the_reason(
    client, auth, programme, make_user
):
    make_user(role="admin", username="errors-admin")
    auth.login("errors-admin")
    response = client.post_form(
        f"/reports/managers/{programme.alice.id}/revoke",
        {"organisation": str(programme.org_a.id)},
        token_from="/reports/managers",
    )
    assert response.status_code == 400
    assert "alice is not a manager." in response.get_data(as_text=True)


def test_only_admins_decide_what_managers_see(db, programme):
    with pytest.raises(services.NotAllowed, match="Only admins decide what managers see."):
        services.grant_scope(programme.manager_a, programme.manager_b, programme.org_a)


@pytest.mark.parametrize("role", ["learner", "trainer"])
def test_report_pages_refuse_everyone_but_managers_and_admins(client, auth, programme, make_user, role):
    make_user(role=role, username=f"a-{role}")
    auth.login(f"a-{role}")
    for path in ("/reports/", "/reports/cohorts", "/reports/managers", "/reports/audit"):
        assert client.get(path).status_code == 403, path
    assert client.get("/cohorts/join").status_code == 200  # joining is for every signed-in user


def test_only_admins_are_shown_the_admin_pages_of_reports(client, auth, programme, make_user):
    auth.login("manager-all")
    assert 'href="/reports/managers"' not in client.get("/reports/").get_data(as_text=True)
    auth.logout()
    make_user(role="admin", username="links-admin")
    auth.login("links-admin")
    html = client.get("/reports/").get_data(as_text=True)
    assert 'href="/reports/managers"' in html and 'href="/reports/audit"' in html
