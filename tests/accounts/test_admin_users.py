"""The admins' list of accounts: paged, searchable by username or display name, never N+1."""

import re
from html import unescape as html_unescape

import pytest

from lms.accounts import services
from lms.core.pagination import PER_PAGE
from tests.accounts.queries import selects

ROW = re.compile(r"<tr>\s*<td><bdi>([^<]*)</bdi></td>\s*<td><bdi>([^<]*)</bdi></td>")


@pytest.fixture
def admin(make_user, auth):
    """Sign the client in as an admin."""
    user = make_user(role="admin", username="the-admin")
    assert auth.login("the-admin").status_code == 303
    return user


def _listed(client, query: str = "") -> tuple[list[str], str]:
    response = client.get(f"/admin/users{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return [username for username, _display in ROW.findall(html)], html


def test_every_account_is_reachable_a_page_at_a_time(client, admin, make_user):
    members = {f"member-{n:03d}" for n in range(PER_PAGE + 5)}
    for username in sorted(members):
        make_user(username=username)
    first, first_html = _listed(client)
    second, second_html = _listed(client, "?page=2")
    assert len(first) == PER_PAGE
    assert first[0] == f"member-{PER_PAGE + 4:03d}"  # newest first
    assert set(first).isdisjoint(second)
    assert set(first) | set(second) == members | {"the-admin"}
    assert 'rel="next"' in first_html and 'rel="prev"' not in first_html
    assert 'rel="prev"' in second_html and 'rel="next"' not in second_html


def test_search_finds_by_username_and_by_display_name(client, admin, make_user):
    make_user(username="nadia-k", display_name="Coalition desk")
    make_user(username="omar-b", display_name="Nour Haddad")
    make_user(username="someone", display_name="Someone Else")
    assert _listed(client, "?q=NADIA")[0] == ["nadia-k"]  # by username, any case
    assert _listed(client, "?q=haddad")[0] == ["omar-b"]  # by display name
    assert _listed(client, "?q=desk")[0] == ["nadia-k"]
    listed, html = _listed(client, "?q=nobody-like-this")
    assert listed == [] and "No account matches that search." in html
    assert 'value="nobody-like-this"' in html  # the form keeps what was searched


def test_search_keeps_to_its_results_across_pages(client, admin, make_user):
    for n in range(PER_PAGE + 2):
        make_user(username=f"kept-{n:03d}")
        make_user(username=f"other-{n:03d}")
    first, html = _listed(client, "?q=kept-")
    next_link = html_unescape(re.search(r'<a rel="next" href="([^"]+)"', html).group(1))
    assert "q=kept-" in next_link and "page=2" in next_link
    second, _html = _listed(client, next_link.removeprefix("/admin/users"))
    assert len(first) == PER_PAGE and len(second) == 2
    assert all(name.startswith("kept-") for name in first + second)


def test_erased_accounts_are_not_listed(client, admin, make_user):
    gone = make_user(username="to-be-erased")
    services.erase_user(gone, "correct horse battery staple")
    listed, _html = _listed(client)
    assert listed == ["the-admin"]


@pytest.mark.parametrize(
    ("page", "first_page"),
    [
        ("0", True),
        ("-3", True),
        ("abc", True),
        ("1e3", True),
        ("2", False),  # past the end
        ("99999999999999", False),  # bounded, then past the end
    ],
)
def test_a_tampered_page_number_is_harmless(client, admin, make_user, page, first_page):
    make_user(username="only-member")
    listed, html = _listed(client, f"?page={page}")
    if first_page:  # below 1 or not a number: the first page
        assert listed == ["only-member", "the-admin"]
    else:  # past the end: an empty page with a link back
        assert listed == [] and 'rel="prev"' in html


def test_wildcards_in_a_search_are_taken_literally(client, admin, make_user):
    make_user(username="under_score")
    make_user(username="underXscore")
    assert _listed(client, "?q=under_")[0] == ["under_score"]
    assert _listed(client, "?q=%25")[0] == []


def test_a_page_costs_the_same_queries_with_five_accounts_or_a_full_page(client, admin, make_user):
    counts = []
    made = 1  # the admin
    for total in (5, PER_PAGE + 10):
        for _n in range(total - made):
            make_user(display_name="Someone")
        made = total
        with selects() as statements:
            listed, _html = _listed(client)
        counts.append(len(statements))
        assert len(listed) == min(total, PER_PAGE)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 3, counts  # the session and its user, the page's rows, their count


def test_only_admins_see_the_list(client, auth, make_user):
    make_user(role="manager", username="a-manager")
    auth.login("a-manager")
    assert client.get("/admin/users").status_code == 403
