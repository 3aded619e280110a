"""Exports: live hours in the completion records, the attendance export and its documentation."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from lms.cohorts import services
from lms.core.db import utcnow
from lms.courses import services as courses
from lms.reports import attendance, exports
from lms.reports import services as report_services
from lms.reports.filters import PROGRAMME, ReportFilter
from tests.cohorts.helpers import session_input

DOC = Path(__file__).resolve().parents[2] / "docs" / "exports.md"


def _csv(write) -> list[dict]:
    out = io.BytesIO()
    write(out)
    return list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))


def _held(live, hours_ago=3, **kw):
    start = utcnow() - timedelta(hours=hours_ago)
    return services.create_session(
        live.manager,
        live.cohort,
        session_input(starts_at=start, ends_at=start + timedelta(minutes=90), course_id=live.course.id, **kw),
    )


def test_the_completion_export_shows_sessions_attended_and_live_hours(live, db):
    lina, omar, sara = live.learners
    first, second = _held(live, 5), _held(live, 3)
    services.take_roll(live.manager, first, {lina.id: ("present", None), omar.id: ("present", 45)})
    services.take_roll(live.manager, second, {lina.id: ("late", 30), omar.id: ("absent", None)})
    rows = _csv(lambda out: report_services.export_completions(None, PROGRAMME, ReportFilter(), "csv", out))
    by_learner = {r["learner_id"]: r for r in rows if r["course_slug"] == "live-course"}
    assert by_learner[lina.public_id]["live_sessions_attended"] == "2"
    assert by_learner[lina.public_id]["live_hours"] == "2.0"  # 90 planned + 30 recorded minutes
    assert by_learner[omar.public_id]["live_sessions_attended"] == "1"
    assert by_learner[omar.public_id]["live_hours"] == "0.8"  # 45 minutes
    assert by_learner[sara.public_id]["live_hours"] == "0.0"


def test_the_attendance_export_has_one_row_per_member_and_session(live, db):
    lina, omar, sara = live.learners
    session = _held(live)
    services.take_roll(live.manager, session, {lina.id: ("present", 80), omar.id: ("excused", None)})
    rows = _csv(
        lambda out: report_services.export_attendance(
            live.manager, report_services.scope_for(live.manager), ReportFilter(), out
        )
    )
    assert list(rows[0]) == list(attendance.COLUMNS)
    got = {r["learner_id"]: (r["attendance"], r["minutes_attended"], r["planned_minutes"]) for r in rows}
    assert got == {
        lina.public_id: ("present", "80", "90"),
        omar.public_id: ("excused", "", "90"),
        sara.public_id: ("", "", "90"),
    }
    assert all("meet.example.org" not in ",".join(r.values()) for r in rows)
    # A manager of another organisation sees none of it.
    other = _csv(
        lambda out: report_services.export_attendance(
            live.stranger_manager, report_services.scope_for(live.stranger_manager), ReportFilter(), out
        )
    )
    assert other == []


def test_the_attendance_export_is_documented_column_by_column():
    text = DOC.read_text("utf-8")
    section = text.split("## Live-session attendance, format version 1", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.M) == list(attendance.COLUMNS)
    assert f"**version {attendance.FORMAT_VERSION}**" in section
    assert exports.FORMAT_VERSION == 2 and "**version 2**" in text


def test_the_attendance_download_is_audited(client, auth, live, db):
    _held(live)
    db.session.flush()
    auth.login("live-manager")
    response = client.post_form("/reports/attendance.csv", token_from="/reports/live")
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith("learner_id,display_name")
    entry = report_services.audit_trail(1)[0]
    assert entry.kind == "attendance" and entry.row_count == 3


def test_dashboard_figures_give_attendance_rates_and_live_hours(client, auth, live, db):
    from lms.cohorts.models import SessionRegistration
    from lms.reports.models import LearnerDemographics

    lina, omar, sara = live.learners
    held = _held(live)
    db.session.add_all(
        SessionRegistration(session_id=held.id, user_id=u.id, state="registered") for u in (lina, omar)
    )
    db.session.add(LearnerDemographics(user_id=lina.id, gender="female", is_shared=True))
    db.session.flush()
    services.take_roll(live.manager, held, {lina.id: ("present", None), omar.id: ("absent", None)})
    _held(live, hours_ago=-48)  # not held yet and no roll: not counted
    figures = attendance.live_figures(PROGRAMME, ReportFilter(), utcnow())
    assert [(r.attended, r.expected, r.percent) for r in figures.sessions] == [(1, 2, 50.0)]
    assert [(r.label, r.percent) for r in figures.cohorts] == [("Geneva briefing 2026", 50.0)]
    assert {k: r.percent for k, r in figures.genders.items()} == {"female": 100.0}
    assert figures.live_hours == 1.5
    auth.login("live-manager")
    assert "/reports/live" in client.get("/reports/").get_data(as_text=True)
    page = client.get("/reports/live").get_data(as_text=True)
    assert "Attendance rate per cohort" in page and "Geneva briefing 2026" in page and "50" in page
    assert "Learning hours: 1.5" in page  # no lesson done yet: the live hours only


def test_learning_hours_count_lessons_at_their_share_of_the_estimated_time(live, db):
    from lms.courses.models import Course, Lesson

    course = db.session.get(Course, live.course.id)
    course.estimated_minutes = 120
    lesson = db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id)).first()
    courses.record_lesson_done(live.learners[0], course, lesson)
    db.session.flush()
    # One lesson of one: the whole 120 minutes, for one learner.
    assert attendance.lesson_minutes(PROGRAMME, ReportFilter()) == 120
