"""Attendance: the roll, self-marking codes, CSV imports, blended completion, reminders."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.cohorts import codes, services
from lms.cohorts.models import SessionAttendance, SessionRegistration
from lms.core.db import utcnow
from lms.courses import services as courses
from lms.courses.models import Lesson
from lms.extensions import db as _db
from lms.extensions import jobs
from tests.cohorts.helpers import session_input
from tests.conftest import PASSWORD


def _marks(session):
    return dict(
        _db.session.execute(
            sa.select(SessionAttendance.user_id, SessionAttendance.status).where(
                SessionAttendance.session_id == session.id
            )
        ).all()
    )


def _now_session(live, **kw):
    start = utcnow() - timedelta(minutes=5)
    return services.create_session(
        live.manager,
        live.cohort,
        session_input(starts_at=start, ends_at=start + timedelta(hours=2), **kw),
    )


def test_the_facilitator_takes_the_roll_on_one_form(client, auth, live, db):
    lina, omar, sara = live.learners
    session = _now_session(live, facilitators=["live-trainer"])
    db.session.flush()
    auth.login("live-trainer")
    page = client.get(f"/live/{session.id}/roll")
    assert page.status_code == 200 and "lina" in page.get_data(as_text=True)
    response = client.post_form(
        f"/live/{session.id}/roll",
        {f"status-{lina.id}": "present", f"minutes-{lina.id}": "95", f"status-{omar.id}": "excused"},
        token_from=f"/live/{session.id}/roll",
    )
    assert response.status_code == 303
    assert _marks(session) == {lina.id: "present", omar.id: "excused"}


def test_a_roll_naming_someone_outside_the_cohort_changes_nothing(client, auth, live, db):
    lina = live.learners[0]
    session = _now_session(live)
    db.session.flush()
    auth.login("live-manager")
    response = client.post_form(
        f"/live/{session.id}/roll",
        {f"status-{lina.id}": "present", f"status-{live.outsider.id}": "present"},
        token_from=f"/live/{session.id}/roll",
    )
    assert response.status_code == 400
    assert "not in this cohort" in response.get_data(as_text=True)
    assert _marks(session) == {}


def test_learners_and_strangers_cannot_take_the_roll(client, auth, live, db):
    session = _now_session(live)
    db.session.flush()
    for name in ("lina", "other-manager", "live-trainer"):
        auth.login(name)
        assert client.get(f"/live/{session.id}/roll").status_code == 403
        auth.logout()


def test_self_marking_works_once_with_the_current_code_during_the_session(live, db):
    lina, omar, _sara = live.learners
    session = _now_session(live, allows_self_marking=True)
    now = utcnow()
    code = services.current_code(session, now)
    assert code and len(code) == codes.LENGTH
    with pytest.raises(services.LiveError, match="not the one shown"):
        services.self_mark(lina, session, "ZZZZZZ", now)
    services.self_mark(lina, session, code.lower(), now)
    with pytest.raises(services.LiveError, match="already recorded"):
        services.self_mark(lina, session, code, now)
    with pytest.raises(services.NotAllowed):
        services.self_mark(live.outsider, session, code, now)
    # An old code no longer works, a few minutes later the code has changed.
    later = now + timedelta(seconds=codes.STEP_SECONDS * 2)
    assert services.current_code(session, later) != code
    with pytest.raises(services.LiveError, match="not the one shown"):
        services.self_mark(omar, session, code, later)
    assert _marks(session) == {lina.id: "present"}


def test_a_code_outside_the_sessions_window_is_refused(live, db):
    start = utcnow() + timedelta(days=2)
    session = services.create_session(
        live.manager,
        live.cohort,
        session_input(starts_at=start, ends_at=start + timedelta(hours=1), allows_self_marking=True),
    )
    during = start + timedelta(minutes=10)
    code = codes.code_at(session.code_secret, utcnow())
    assert services.current_code(session) is None
    with pytest.raises(services.LiveError, match="only while the session is on"):
        services.self_mark(live.learners[0], session, code)
    assert services.current_code(session, during) is not None
    assert _marks(session) == {}


def test_self_marking_is_rate_limited(client, auth, live, db):
    session = _now_session(live, allows_self_marking=True)
    db.session.flush()
    auth.login("omar")
    token = client.csrf_token(f"/live/{session.id}/")
    statuses = [
        client.post(f"/live/{session.id}/check-in", data={"code": "WRONG1", "csrf_token": token}).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [400] * 10 and statuses[-1] == 429


def test_an_attendance_import_with_bad_lines_applies_nothing(live, db):
    session = _now_session(live)
    data = b"username,minutes\nlina,90\noutsider,30\nomar@example.org,many\n"
    with pytest.raises(services.UploadRejected) as caught:
        services.import_attendance(live.manager, session, data)
    assert [line for line, _message in caught.value.problems] == [3, 4]
    assert _marks(session) == {}
    count = services.import_attendance(live.manager, session, b"lina,60\nOMAR@example.org,30\nlina,15\n")
    assert count == 2
    rows = {
        a.user_id: a.minutes
        for a in db.session.scalars(
            sa.select(SessionAttendance).where(SessionAttendance.session_id == session.id)
        )
    }
    assert rows == {live.learners[0].id: 75, live.learners[1].id: 30}


def test_an_import_through_the_page_lists_errors_by_line(client, auth, live, db):
    import io

    session = _now_session(live)
    db.session.flush()
    auth.login("live-manager")
    response = client.post(
        f"/live/{session.id}/roll/import",
        data={
            "report": (io.BytesIO(b"lina,60\nnobody,5\n"), "zoom.csv"),
            "csrf_token": client.csrf_token(f"/live/{session.id}/roll"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Line 2" in response.get_data(as_text=True)
    assert _marks(session) == {}


def _finish_lessons(user, course):
    for lesson in _db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id)):
        courses.record_lesson_done(user, course, lesson)


def test_the_course_completes_only_once_the_required_attendance_is_met(client, auth, live, db):
    lina = live.learners[0]
    services.set_requirement(live.manager, live.cohort, live.course.id, 1, None)
    session = _now_session(live, course_id=live.course.id)
    _finish_lessons(lina, live.course)
    assert courses.recheck_completion(lina, live.course) is None
    db.session.flush()
    auth.login("lina")
    page = client.get("/courses/live-course/").get_data(as_text=True)
    assert "also needs attendance at live sessions" in page or "حضور" in page
    services.take_roll(live.manager, session, {lina.id: ("absent", None)})
    assert courses.get_enrolment(lina, live.course).completed_at is None
    services.take_roll(live.manager, session, {lina.id: ("late", None)})
    assert courses.get_enrolment(lina, live.course).completed_at is not None


def test_an_hours_requirement_counts_minutes_attended(live, db):
    omar = live.learners[1]
    services.set_requirement(live.manager, live.cohort, live.course.id, None, 1.5)
    session = _now_session(live, course_id=live.course.id)
    _finish_lessons(omar, live.course)
    services.take_roll(live.manager, session, {omar.id: ("present", 60)})
    state = services.requirement_state(omar, live.course)
    assert not state.is_met and "1 of 1.5 live hours" in state.message
    assert courses.get_enrolment(omar, live.course).completed_at is None
    services.take_roll(live.manager, session, {omar.id: ("present", 100)})
    assert courses.get_enrolment(omar, live.course).completed_at is not None
    assert services.certified_live_minutes(omar.id, live.course) == 100


def test_a_blended_cohorts_certificate_prints_the_live_hours(live, db):
    from flask import render_template

    from lms.certificates import services as certificates
    from lms.certificates.render import CertificateData

    omar, lina = live.learners[1], live.learners[0]
    services.set_requirement(live.manager, live.cohort, live.course.id, 1, None)
    session = _now_session(live, course_id=live.course.id)
    for learner in (omar, lina):
        _finish_lessons(learner, live.course)
    services.take_roll(live.manager, session, {omar.id: ("present", 150), lina.id: ("present", None)})
    certificate = certificates.issue_certificate(omar, live.course, "Omar Haddad", "ar")
    data = certificates.certificate_data(certificate)
    assert isinstance(data, CertificateData) and data.live_hours == "2.5"  # as Babel writes numbers in ar
    html = render_template(
        "certificates/certificate.html", c=data, name_pt=24, name_dir="rtl", title_dir="rtl"
    )
    assert "2.5" in html
    english = certificates.certificate_data(certificates.issue_certificate(lina, live.course, "Lina", "en"))
    planned_hours = (session.ends_at - session.starts_at).total_seconds() / 3600
    assert english.live_hours == f"{planned_hours:g}"  # a session without minutes: its planned length
    # Without a cohort requirement, a certificate says nothing of live sessions.
    services.set_requirement(live.manager, live.cohort, live.course.id, None, None)
    assert certificates.certificate_data(certificate).live_hours is None


def test_no_requirement_leaves_completion_as_before(live, db):
    assert services.requirement_state(live.learners[0], live.course) is None


def _opt_in(user, on=True):
    services.save_preferences(user, time_zone="", wants_reminders=on)


def test_reminders_go_the_day_before_to_opted_in_learners_with_an_email(app, live, db):
    lina, omar, sara = live.learners
    session = services.create_session(live.manager, live.cohort, session_input())  # tomorrow
    later = services.create_session(
        live.manager,
        live.cohort,
        session_input(starts_at=utcnow() + timedelta(days=3), ends_at=utcnow() + timedelta(days=3, hours=1)),
    )
    for user in (lina, omar, sara):
        services.register(user, session)
        services.register(user, later)
        _opt_in(user)
    _opt_in(omar, False)
    assert services.remind_due(utcnow()) == 1
    jobs.state(app).run_pending()
    mail = app.extensions["tamkeen-outbox"]
    assert [m["to"] for m in mail] == ["lina@example.org"]
    assert services.remind_due(utcnow()) == 0  # once only


def test_discreet_learners_get_no_reminder_unless_they_opt_in_again(app, live, db):
    lina = live.learners[0]
    session = services.create_session(live.manager, live.cohort, session_input())
    services.register(lina, session)
    _opt_in(lina)
    lina.is_discreet = True
    db.session.flush()
    assert services.remind_due(utcnow()) == 0
    db.session.execute(sa.update(SessionRegistration).values(reminded_at=None))
    _opt_in(lina)  # ticked again while discreet
    assert services.remind_due(utcnow()) == 1
    jobs.state(app).run_pending()
    (message,) = app.extensions["tamkeen-outbox"]
    assert "Tamkeen" not in message["subject"]


def test_the_reminder_job_is_declared_periodic():
    assert any(job.function.__name__ == "send_reminders" for job, _schedule in jobs.periodic)


def test_erasing_a_learner_leaves_the_roll_consistent(live, db):
    session = _now_session(live)
    services.take_roll(live.manager, session, {live.learners[2].id: ("present", None)})
    db.session.delete(db.session.get(User, live.learners[2].id))
    db.session.flush()
    assert _marks(session) == {}


def test_a_learners_download_holds_their_sessions_and_erasing_removes_them(client, auth, live, db):
    import json

    from lms.accounts import services as accounts

    lina = live.learners[0]
    session = _now_session(live)
    services.register(lina, session)
    services.take_roll(live.manager, session, {lina.id: ("present", None)})
    token = services.new_feed_token(lina)
    db.session.flush()
    auth.login("lina")
    data = json.loads(client.get("/me/data.json").get_data(as_text=True))
    assert data["live_sessions"]["registrations"][0]["state"] == "registered"
    assert data["live_sessions"]["attendance"][0]["status"] == "present"
    assert token not in json.dumps(data)
    accounts.erase_user(lina, PASSWORD)
    db.session.flush()
    assert _marks(session) == {}
    assert services.feed_user(token) is None
