"""A course's certificates list: paged, searchable by the learner, scoped on every page, not N+1."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.certificates import codes
from lms.certificates.models import Certificate
from lms.core.db import utcnow
from lms.core.pagination import PER_PAGE
from lms.reports import services as reports

LIST = "/certificates/courses/cert-course/"
ROW = re.compile(r'<a href="/certificates/(\d+)">')
INSIDE = PER_PAGE + 5  # learners of the managed organisation: one full page and a few more
OUTSIDE = 3


@pytest.fixture
def crowd(make_organisation, make_user, course, db):
    """Issued certificates of the course: INSIDE in the managed organisation, OUTSIDE elsewhere."""
    managed, other = make_organisation(name="Crowded NGO"), make_organisation(name="Elsewhere NGO")
    start = utcnow() - timedelta(days=1)
    ids = {"inside": [], "outside": []}
    for n in range(INSIDE + OUTSIDE):
        inside = n < INSIDE
        learner = make_user(
            username=f"crowd-{n:02d}" if inside else f"away-{n:02d}",
            display_name=f"Hala Member {n:02d}" if inside else f"Far Member {n:02d}",
        )
        accounts.join_organisation(learner, managed if inside else other)
        certificate = Certificate(
            user_id=learner.id,
            course_id=course.id,
            course_version=course.version,
            code=codes.new_code(),
            name_on_certificate=f"Printed {n:02d}",
            locale="en",
            issued_at=start + timedelta(minutes=n),
        )
        db.session.add(certificate)
        db.session.flush()
        ids["inside" if inside else "outside"].append(certificate.id)
    return managed, ids


@pytest.fixture
def manager(make_user, auth, crowd):
    """A signed-in manager of the crowded organisation only."""
    user = make_user(role="manager", username="crowd-manager")
    reports.grant_scope(None, user, crowd[0])
    auth.login("crowd-manager")
    return user


def _ids(client, query: str = "") -> list[int]:
    response = client.get(LIST + query)
    assert response.status_code == 200
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


@contextmanager
def _count_queries(db):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_the_list_shows_one_page_and_the_second_page_has_the_rest(client, crowd, manager):
    inside = crowd[1]["inside"]
    first = _ids(client)
    assert first == inside[:PER_PAGE]
    assert 'rel="next"' in client.get(LIST).get_data(as_text=True)
    second = _ids(client, "?page=2")
    assert second == inside[PER_PAGE:]
    assert 'rel="prev"' in client.get(LIST + "?page=2").get_data(as_text=True)


def test_the_managers_scope_holds_on_every_page(client, crowd, manager):
    outside = set(crowd[1]["outside"])
    shown = [*_ids(client), *_ids(client, "?page=2"), *_ids(client, "?page=3")]
    assert len(shown) == INSIDE and not outside & set(shown)
    page = client.get(LIST + "?page=2").get_data(as_text=True)
    assert "away-" not in page and "Far Member" not in page
    assert _ids(client, "?q=away") == [] and _ids(client, "?q=Far+Member") == []


def test_an_admin_pages_through_every_certificate(client, crowd, make_user, auth):
    make_user(role="admin", username="crowd-admin")
    auth.login("crowd-admin")
    everyone = crowd[1]["inside"] + crowd[1]["outside"]
    assert [*_ids(client), *_ids(client, "?page=2")] == everyone


def test_search_finds_learners_by_username_and_by_display_name(client, crowd, manager):
    inside = crowd[1]["inside"]
    assert _ids(client, "?q=crowd-07") == [inside[7]]
    assert _ids(client, "?q=hala+member+12") == [inside[12]]  # case-insensitive
    assert _ids(client, "?q=Member+5") == inside[50:55]
    # The search is not on the printed name, and LIKE's wildcards are literal.
    assert _ids(client, "?q=Printed") == []
    assert _ids(client, "?q=%25") == [] and _ids(client, "?q=_") == []
    empty = client.get(LIST + "?q=nobody-like-this").get_data(as_text=True)
    assert "No certificate matches this search." in empty
    assert 'value="nobody-like-this"' in empty


def test_the_search_is_kept_across_pages(client, crowd, manager):
    # "Member" matches every learner of the organisation: the next link keeps the search.
    page = client.get(LIST + "?q=Member").get_data(as_text=True)
    assert re.search(
        r'rel="next" href="[^"]*q=Member[^"]*page=2|rel="next" href="[^"]*page=2[^"]*q=Member', page
    )
    assert _ids(client, "?q=Member&page=2") == crowd[1]["inside"][PER_PAGE:]


@pytest.mark.parametrize("page", ["-3", "0", "abc", "2.5", ""])
def test_a_page_number_that_is_not_a_page_shows_the_first(client, crowd, manager, page):
    assert _ids(client, f"?page={page}") == crowd[1]["inside"][:PER_PAGE]


@pytest.mark.parametrize("page", ["3", "1000001", "99999999999999999999"])
def test_a_page_past_the_end_is_empty_with_a_way_back(client, crowd, manager, page):
    response = client.get(f"{LIST}?page={page}")
    assert response.status_code == 200
    assert ROW.findall(response.get_data(as_text=True)) == []
    assert 'rel="prev"' in response.get_data(as_text=True)


def test_a_page_costs_the_same_queries_whatever_it_shows(client, crowd, manager, db):
    # Cold first: the short second page (5 rows) before the full first page (50 rows).
    with _count_queries(db) as short:
        assert len(_ids(client, "?page=2")) == INSIDE - PER_PAGE
    with _count_queries(db) as full:
        assert len(_ids(client)) == PER_PAGE
    assert len(full) == len(short), (len(full), len(short))
    assert len(full) <= 12, full
