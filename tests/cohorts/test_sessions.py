"""Live sessions: creating, registering, waiting lists, notices, links, calendars, preferences."""

from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from lms.cohorts import services
from lms.cohorts.models import LiveSession, SessionRegistration
from lms.core.db import utcnow
from lms.extensions import jobs
from tests.cohorts.helpers import session_input


def _outbox(app):
    jobs.state(app).run_pending()
    return app.extensions["tamkeen-outbox"]


def test_a_manager_of_the_cohorts_organisation_creates_a_session(live, db):
    session = services.create_session(live.manager, live.cohort, session_input(facilitators=["live-trainer"]))
    assert session.time_zone == "Asia/Beirut"
    assert [f.user_id for f in session.facilitators] == [live.trainer.id]
    assert services.may_take_roll(live.trainer, session)


def test_a_manager_of_another_organisation_cannot(live, db):
    with pytest.raises(services.NotAllowed):
        services.create_session(live.stranger_manager, live.cohort, session_input())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveSession)) == 0


def test_the_trainer_of_a_cohort_course_may_run_its_sessions(live, db):
    from lms.authoring.models import CourseOwner

    assert not services.can_run(live.trainer, live.cohort)
    db.session.add(CourseOwner(course_slug="live-course", user_id=live.trainer.id))
    db.session.flush()
    assert services.can_run(live.trainer, live.cohort)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": None}, "end after it starts"),
        ({"titles": {"en": "  "}}, "title"),
        ({"time_zone": "Mars/Base"}, "time zone"),
        ({"online_url": "javascript:alert(1)"}, "https://"),
        ({"capacity": 0}, "capacity"),
        ({"facilitators": ["nobody-here"]}, "nobody-here"),
        ({"course_id": -1}, "cohort's courses"),
    ],
)
def test_bad_sessions_are_refused_with_a_clear_message(live, db, change, message):
    data = session_input()
    if change.get("ends_at", 1) is None:
        change = {"ends_at": data.starts_at - timedelta(minutes=30)}
    for key, value in change.items():
        setattr(data, key, value)
    with pytest.raises(services.LiveError) as caught:
        services.create_session(live.manager, live.cohort, data)
    assert message in caught.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveSession)) == 0


def test_a_full_session_waitlists_and_a_cancellation_promotes_the_first_waiting(app, live, db):
    lina, omar, sara = live.learners
    session = services.create_session(live.manager, live.cohort, session_input(capacity=1))
    assert services.register(lina, session) == "registered"
    assert services.register(omar, session) == "waitlisted"
    assert services.register(sara, session) == "waitlisted"
    assert services.register(omar, session) == "waitlisted"  # asking twice changes nothing
    promoted = services.cancel_registration(lina, session)
    assert promoted == omar
    states = dict(
        db.session.execute(
            sa.select(SessionRegistration.user_id, SessionRegistration.state).where(
                SessionRegistration.session_id == session.id
            )
        ).all()
    )
    assert states == {lina.id: "cancelled", omar.id: "registered", sara.id: "waitlisted"}
    mail = _outbox(app)
    assert [m["to"] for m in mail] == ["omar@example.org"]
    assert "Shadow reports clinic" in mail[0]["body"]


def test_a_session_can_belong_to_one_module_of_a_cohort_course(live, db):
    data = session_input(course_id=live.course.id, module_slug="module-1")
    assert services.create_session(live.manager, live.cohort, data).module_slug == "module-1"
    with pytest.raises(services.LiveError, match="no module"):
        services.create_session(
            live.manager, live.cohort, session_input(course_id=live.course.id, module_slug="nope")
        )


def test_a_capacity_below_the_number_registered_is_refused(live, db):
    session = services.create_session(live.manager, live.cohort, session_input(capacity=3))
    for learner in live.learners[:2]:
        services.register(learner, session)
    with pytest.raises(services.LiveError, match="2 learners are registered"):
        services.update_session(live.manager, session, session_input(capacity=1))
    db.session.refresh(session)
    assert session.capacity == 3


def test_raising_the_capacity_promotes_waiting_learners(live, db):
    lina, omar, _sara = live.learners
    session = services.create_session(live.manager, live.cohort, session_input(capacity=1))
    services.register(lina, session)
    services.register(omar, session)
    services.update_session(live.manager, session, session_input(capacity=2))
    assert services.registration(omar, session).state == "registered"


def test_outsiders_cannot_register(live, db):
    session = services.create_session(live.manager, live.cohort, session_input())
    with pytest.raises(services.NotAllowed):
        services.register(live.outsider, session)


def test_cancelling_a_session_tells_the_registered_in_their_language(app, live, db):
    lina, omar, sara = live.learners
    session = services.create_session(live.manager, live.cohort, session_input())
    for learner in (lina, omar, sara):
        services.register(learner, session)
    services.cancel_session(live.manager, session)
    mail = {m["to"]: m for m in _outbox(app)}
    assert set(mail) == {"lina@example.org", "omar@example.org"}  # sara gave no e-mail
    assert "عيادة تقارير الظل" in mail["lina@example.org"]["body"]  # Arabic title for an Arabic reader
    with pytest.raises(services.LiveError):
        services.register(lina, session)


def test_the_online_link_is_for_registered_learners_only(client, auth, live, db):
    lina, omar, _sara = live.learners
    session = services.create_session(
        live.manager, live.cohort, session_input(venue='<script>alert("x")</script>')
    )
    services.register(lina, session)
    db.session.flush()
    url = f"/live/{session.id}/"
    auth.login("omar")
    page = client.get(url).get_data(as_text=True)
    assert "secret-room" not in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert "secret-room" not in client.get(f"/live/{session.id}/session.ics").get_data(as_text=True)
    auth.logout()
    auth.login("outsider")
    assert client.get(url).status_code == 403
    assert client.get(f"/live/{session.id}/session.ics").status_code == 403
    auth.logout()
    assert client.get(url).status_code == 302  # Flask-Login's redirect to sign in
    auth.login("lina")
    assert "https://meet.example.org/secret-room" in client.get(url).get_data(as_text=True)


def test_the_ics_file_parses_and_shows_the_right_local_times(client, auth, live, db):
    from datetime import UTC, datetime

    start = datetime(2027, 7, 15, 7, 0, tzinfo=UTC)  # 10:00 in Beirut (summer, UTC+3)
    session = services.create_session(
        live.manager,
        live.cohort,
        session_input(starts_at=start, ends_at=start + timedelta(hours=2)),
    )
    services.register(live.learners[0], session)
    db.session.flush()
    auth.login("lina")
    response = client.get(f"/live/{session.id}/session.ics")
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    event = next(iter(cal.walk("VEVENT")))
    dtstart = event.decoded("dtstart")
    assert str(dtstart.tzinfo) == "Asia/Beirut" and (dtstart.hour, dtstart.minute) == (10, 0)
    assert dtstart.astimezone(UTC) == start
    assert event.decoded("dtend").astimezone(UTC) == start + timedelta(hours=2)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Beirut"]
    assert str(event["summary"]) == "عيادة تقارير الظل"  # lina reads Arabic
    assert str(event["url"]) == "https://meet.example.org/secret-room"


def test_the_private_feed_lists_registered_sessions_until_revoked(client, auth, live, db):
    lina = live.learners[0]
    session = services.create_session(live.manager, live.cohort, session_input(time_zone="America/Bogota"))
    services.register(lina, session)
    db.session.flush()
    auth.login("lina")
    page = client.post_form("/me/live/settings", {"action": "feed"}, token_from="/me/live/settings")
    html = page.get_data(as_text=True)
    path = html.split('class="feed-url">', 1)[1].split("<", 1)[0].split("localhost", 1)[1]
    auth.logout()
    feed = client.get(path)
    assert feed.status_code == 200
    cal = icalendar.Calendar.from_ical(feed.data)
    (event,) = cal.walk("VEVENT")
    assert str(event.decoded("dtstart").tzinfo) == "America/Bogota"
    assert event.decoded("dtstart") == session.starts_at
    auth.login("lina")
    client.post_form("/me/live/settings", {"action": "revoke"}, token_from="/me/live/settings")
    auth.logout()
    assert client.get(path).status_code == 404
    assert client.get("/live/feed/not-a-token.ics").status_code == 404


def test_learners_see_upcoming_sessions_in_their_time_zone_with_the_offset(client, auth, live, db):
    from datetime import UTC, datetime

    start = datetime(2027, 1, 20, 7, 0, tzinfo=UTC)
    services.create_session(
        live.manager, live.cohort, session_input(starts_at=start, ends_at=start + timedelta(hours=1))
    )
    db.session.flush()
    auth.login("omar")
    client.post_form(
        "/me/live/settings",
        {"time_zone": "Europe/Istanbul", "action": "save"},
        token_from="/me/live/settings",
    )
    page = client.get("/me/").get_data(as_text=True)
    assert "Shadow reports clinic" in page
    assert "10:00" in page and "UTC+03:00" in page and "Europe/Istanbul" in page
    client.post_form(
        "/me/live/settings", {"time_zone": "America/Bogota", "action": "save"}, token_from="/me/live/settings"
    )
    page = client.get("/me/live/").get_data(as_text=True)
    assert "02:00" in page and "UTC-05:00" in page
    bad = client.post_form(
        "/me/live/settings", {"time_zone": "Nowhere/Land", "action": "save"}, token_from="/me/live/settings"
    )
    assert bad.status_code == 400


def test_registering_through_the_page_then_cancelling(client, auth, live, db):
    session = services.create_session(live.manager, live.cohort, session_input(capacity=1))
    services.register(live.learners[1], session)
    db.session.flush()
    auth.login("lina")
    response = client.post_form(f"/live/{session.id}/register", token_from=f"/live/{session.id}/")
    assert response.status_code == 303
    assert services.registration(live.learners[0], session).state == "waitlisted"
    assert "أنت في قائمة الانتظار" in client.get(f"/live/{session.id}/").get_data(
        as_text=True
    )  # lina reads Arabic
    client.post_form(f"/live/{session.id}/unregister", token_from=f"/live/{session.id}/")
    assert services.registration(live.learners[0], session).state == "cancelled"


def test_a_session_that_is_over_takes_no_registration(live, db):
    start = utcnow() - timedelta(hours=3)
    session = services.create_session(
        live.manager, live.cohort, session_input(starts_at=start, ends_at=start + timedelta(hours=1))
    )
    with pytest.raises(services.LiveError, match="over"):
        services.register(live.learners[0], session)
