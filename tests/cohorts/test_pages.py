"""The staff pages: one session form for creating and editing, refusals with their status and
message, and the long lists (a cohort's sessions, a session's roll) a page at a time."""

import re
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.cohorts import services
from lms.cohorts.models import CohortMember, LiveSession, SessionAttendance
from lms.core.db import utcnow
from lms.core.pagination import PER_PAGE
from lms.extensions import db as _db
from tests.cohorts.helpers import session_input
from tests.conftest import PASSWORD

FORM = {
    "title_en": "Treaty bodies clinic",
    "day": "2031-03-03",
    "starts": "10:00",
    "ends": "12:00",
    "time_zone": "Asia/Beirut",
    "language": "en",
    "course": "0",
    "capacity": "12",
}


@contextmanager
def _counting():
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _sessions(live, n: int) -> None:
    start = utcnow() + timedelta(days=3)
    for i in range(n):
        at = start + timedelta(hours=i)
        services.create_session(
            live.manager, live.cohort, session_input(starts_at=at, ends_at=at + timedelta(hours=1))
        )
    _db.session.flush()


def _members(live, n: int, prefix: str = "member") -> list:
    users = []
    for i in range(n):
        user = accounts.register(f"{prefix}{i:03d}", PASSWORD, display_name=f"Person {prefix} {i:03d}")
        _db.session.add(CohortMember(cohort_id=live.cohort.id, user_id=user.id, source="upload"))
        users.append(user)
    _db.session.flush()
    return users


def _session_links(html: str) -> list[str]:
    return re.findall(r'href="/live/(\d+)/roll"', html)


def test_one_form_creates_then_edits_a_session(client, auth, live, db):
    auth.login("live-manager")
    new = f"/cohorts/{live.cohort.id}/live/new"
    assert client.get(new).status_code == 200
    created = client.post_form(new, FORM, token_from=new)
    assert created.status_code == 303
    session = _db.session.scalar(sa.select(LiveSession).where(LiveSession.cohort_id == live.cohort.id))
    assert session.titles == {"en": "Treaty bodies clinic"} and session.capacity == 12
    edit = f"/live/{session.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="Treaty bodies clinic"' in page and 'value="12"' in page
    saved = client.post_form(
        edit, {**FORM, "title_en": "Treaty bodies, again", "capacity": "30"}, token_from=edit
    )
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/live/{session.id}/")
    _db.session.refresh(session)
    assert session.titles == {"en": "Treaty bodies, again"} and session.capacity == 30
    refused = client.post_form(edit, {**FORM, "ends": "09:00"}, token_from=edit)
    assert refused.status_code == 400 and "The session must end after it starts." in refused.get_data(
        as_text=True
    )
    _db.session.refresh(session)
    assert session.capacity == 30


def test_a_refusal_answers_with_its_status_and_message(client, auth, live, db):
    session = services.create_session(live.manager, live.cohort, session_input())
    services.cancel_session(live.manager, session)
    _db.session.flush()
    auth.login("omar")
    form = {"csrf_token": client.csrf_token(f"/live/{session.id}/")}
    refused = client.post(f"/live/{session.id}/register", data=form)
    assert refused.status_code == 400 and "This session was cancelled." in refused.get_data(as_text=True)
    missing = client.post("/live/999999/register", data=form)
    assert missing.status_code == 404 and "There is no such session." in missing.get_data(as_text=True)
    auth.login("outsider")
    foreign = client.get(f"/live/{session.id}/")
    assert foreign.status_code == 403
    assert "This session is for the members of its cohort." in foreign.get_data(as_text=True)


def test_staff_pages_need_a_staff_role_then_the_cohorts_rule(client, auth, live, db):
    auth.login("lina")
    assert client.get(f"/cohorts/{live.cohort.id}/live/").status_code == 403
    auth.login("other-manager")
    page = client.get(f"/cohorts/{live.cohort.id}/live/")
    assert page.status_code == 403 and "You do not run this cohort&#39;s sessions." in page.get_data(
        as_text=True
    )


def test_a_cohorts_sessions_come_a_page_at_a_time(client, auth, live, db):
    _sessions(live, PER_PAGE + 3)
    auth.login("live-manager")
    url = f"/cohorts/{live.cohort.id}/live/"
    first = client.get(url).get_data(as_text=True)
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    assert len(_session_links(first)) == PER_PAGE and 'rel="next"' in first
    assert len(_session_links(second)) == 3 and 'rel="prev"' in second and 'rel="next"' not in second
    assert not set(_session_links(first)) & set(_session_links(second))
    for tampered in ("0", "-4", "abc", "99999999999", "1e9"):
        response = client.get(f"{url}?page={tampered}")
        assert response.status_code == 200, tampered
    past_the_end = client.get(f"{url}?page=40").get_data(as_text=True)
    assert not _session_links(past_the_end) and 'rel="prev"' in past_the_end


def test_a_page_of_sessions_takes_the_same_queries_however_many_there_are(client, auth, live, db):
    auth.login("live-manager")
    url = f"/cohorts/{live.cohort.id}/live/"
    _sessions(live, 5)
    client.get(url)
    with _counting() as few:
        client.get(url)
    _sessions(live, PER_PAGE)
    with _counting() as many:
        page = client.get(url).get_data(as_text=True)
    assert len(_session_links(page)) == PER_PAGE
    assert len(many) == len(few), many


def test_a_long_roll_comes_a_page_at_a_time_and_searches_people(client, auth, live, db):
    members = _members(live, PER_PAGE + 2)
    session = services.create_session(live.manager, live.cohort, session_input())
    _db.session.flush()
    auth.login("live-manager")
    url = f"/live/{session.id}/roll"
    first = client.get(url).get_data(as_text=True)
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    # Three learners of the fixture and the members, by username: the last five are on page 2.
    assert first.count('type="radio" name="status-') == PER_PAGE * 4
    assert second.count('type="radio" name="status-') == 5 * 4 and 'rel="prev"' in second
    assert f'name="status-{members[-1].id}"' in second and f'name="status-{members[-1].id}"' not in first
    by_username = client.get(f"{url}?q=MEMBER007").get_data(as_text=True)
    assert f'name="status-{members[7].id}"' in by_username and by_username.count('name="status-') == 4
    by_name = client.get(f"{url}?q=person+member+05").get_data(as_text=True)
    assert by_name.count('name="status-') == 4 * 2  # Person member 050 and 051
    assert client.get(f"{url}?q=%25").get_data(as_text=True).count('name="status-') == 0
    for tampered in ("0", "-1", "x", "10000000000"):
        assert client.get(f"{url}?page={tampered}").status_code == 200, tampered
    # The second page's form marks the second page's learners and comes back to it.
    last = members[-1]
    saved = client.post_form(f"{url}?page=2", {f"status-{last.id}": "present"}, token_from=f"{url}?page=2")
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"{url}?page=2")
    status = _db.session.scalar(
        sa.select(SessionAttendance.status).where(
            SessionAttendance.session_id == session.id, SessionAttendance.user_id == last.id
        )
    )
    assert status == "present"


def test_a_page_of_the_roll_takes_the_same_queries_however_long_the_cohort(client, auth, live, db):
    session = services.create_session(live.manager, live.cohort, session_input())
    _db.session.flush()
    auth.login("live-manager")
    url = f"/live/{session.id}/roll"
    client.get(url)
    with _counting() as few:
        client.get(url)
    members = _members(live, PER_PAGE + 5)
    services.take_roll(live.manager, session, {u.id: ("present", None) for u in members})
    for user in members[:20]:
        services.register(user, session)
    _db.session.flush()
    with _counting() as many:
        page = client.get(url).get_data(as_text=True)
    assert page.count("checked") == PER_PAGE - 1  # lina (first by username) is not marked
    assert len(many) == len(few), many


def test_a_facilitator_is_offered_the_roll_but_not_the_cohorts_staff_links(client, auth, live, db):
    session = services.create_session(live.manager, live.cohort, session_input(facilitators=["live-trainer"]))
    _db.session.flush()
    edit, cancel = f"/live/{session.id}/edit", f"/live/{session.id}/cancel"
    auth.login("live-trainer")
    page = client.get(f"/live/{session.id}/").get_data(as_text=True)
    assert f"/live/{session.id}/roll" in page and edit not in page and cancel not in page
    assert client.get(edit).status_code == 403
    auth.login("live-manager")
    page = client.get(f"/live/{session.id}/").get_data(as_text=True)
    assert f"/live/{session.id}/roll" in page and edit in page and cancel in page
