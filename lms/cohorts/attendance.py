"""Attendance: the roll, self-marking with a code, an online tool's attendance file, and the
completion checks they set off."""

import csv
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.cohorts import codes
from lms.cohorts.access import is_member, may_take_roll
from lms.cohorts.errors import LiveError, NotAllowed, UploadRejected
from lms.cohorts.membership import cohort_courses
from lms.cohorts.models import (
    ATTENDANCE_STATES,
    CohortMember,
    LiveRequirement,
    LiveSession,
    SessionAttendance,
    SessionRegistration,
)
from lms.core.db import utcnow
from lms.core.pagination import contains
from lms.core.spreadsheet import CsvUploadError, csv_upload_reader
from lms.courses import services as courses
from lms.courses.models import Course
from lms.extensions import db

MAX_UPLOAD_BYTES = 1024 * 1024
MAX_ROWS = 5000


def roster_query(session: LiveSession, search: str = "") -> sa.Select:
    """Return the SELECT of a session's roll: the cohort's members by username, found by `search`.

    `search` finds members by username or display name; the view pages the result.
    """
    query = (
        sa.select(User)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == session.cohort_id, User.is_erased.is_(False))
        .order_by(User.username_key, User.id)
    )
    if search:
        query = query.where(sa.or_(contains(User.username, search), contains(User.display_name, search)))
    return query


def roster_rows(
    session: LiveSession, users: list[User]
) -> list[tuple[User, str | None, SessionAttendance | None]]:
    """Return these members with their registration state and attendance (two queries)."""
    ids = [u.id for u in users]
    states = dict(
        db.session.execute(
            sa.select(SessionRegistration.user_id, SessionRegistration.state).where(
                SessionRegistration.session_id == session.id, SessionRegistration.user_id.in_(ids)
            )
        ).all()
    )
    marks = {
        a.user_id: a
        for a in db.session.scalars(
            sa.select(SessionAttendance).where(
                SessionAttendance.session_id == session.id, SessionAttendance.user_id.in_(ids)
            )
        )
    }
    return [(u, states.get(u.id), marks.get(u.id)) for u in users]


def take_roll(actor, session: LiveSession, marks: dict[int, tuple[str, int | None]]) -> int:
    """Record the roll, all or nothing: {user id: (status, minutes)}; return how many were marked.

    A learner outside the cohort, an unknown status or negative minutes refuse the whole roll.
    """
    if not may_take_roll(actor, session):
        raise NotAllowed(_("You do not take the roll of this session."))
    if session.cancelled_at is not None:
        raise LiveError(_("This session was cancelled."))
    members = set(
        db.session.scalars(sa.select(CohortMember.user_id).where(CohortMember.cohort_id == session.cohort_id))
    )
    for user_id, (status, minutes) in marks.items():
        if user_id not in members:
            raise LiveError(_("The roll names someone who is not in this cohort."))
        if status not in ATTENDANCE_STATES:
            raise LiveError(_("Choose present, late, excused or absent."))
        if minutes is not None and not 0 <= minutes <= 7 * 24 * 60:
            raise LiveError(_("Minutes attended must be a number between 0 and the session's length."))
    for user_id, (status, minutes) in marks.items():
        _mark(session, user_id, status, minutes, "roll", actor)
    db.session.flush()
    _recheck(session, marks.keys())
    return len(marks)


def _mark(session, user_id, status, minutes, source, actor) -> None:
    row = db.session.scalar(
        sa.select(SessionAttendance).where(
            SessionAttendance.session_id == session.id, SessionAttendance.user_id == user_id
        )
    )
    if row is None:
        row = SessionAttendance(session_id=session.id, user_id=user_id)
        db.session.add(row)
    row.status, row.minutes, row.source = status, minutes, source
    row.recorded_by_id = actor.id if actor is not None else None
    row.recorded_at = utcnow()


def _recheck(session: LiveSession, user_ids) -> None:
    """Complete the courses that were waiting only for this attendance."""
    ids = list(user_ids)
    if not ids:
        return
    course_ids = (
        [session.course_id]
        if session.course_id
        else [
            c.id
            for c in cohort_courses(session.cohort_id)
            if db.session.scalar(
                sa.select(LiveRequirement.id).where(
                    LiveRequirement.cohort_id == session.cohort_id, LiveRequirement.course_id == c.id
                )
            )
        ]
    )
    for course in db.session.scalars(sa.select(Course).where(Course.id.in_(course_ids))):
        for user in db.session.scalars(sa.select(User).where(User.id.in_(ids))):
            courses.recheck_completion(user, course)


def current_code(session: LiveSession, now: datetime | None = None) -> str | None:
    """Return the self-marking code to show now, or None outside the session's window."""
    now = now or utcnow()
    if not session.allows_self_marking or not codes.in_window(session.starts_at, session.ends_at, now):
        return None
    return codes.code_at(session.code_secret, now)


def self_mark(user, session: LiveSession, code: str, now: datetime | None = None) -> None:
    """Mark oneself present with the code the facilitator shows; once, during the session only."""
    now = now or utcnow()
    if not is_member(user, session.cohort_id):
        raise NotAllowed(_("This session is for the members of its cohort."))
    if not session.allows_self_marking or session.cancelled_at is not None:
        raise LiveError(_("This session does not take attendance by code."))
    if not codes.in_window(session.starts_at, session.ends_at, now):
        raise LiveError(_("Attendance codes work only while the session is on."))
    existing = db.session.scalar(
        sa.select(SessionAttendance.id).where(
            SessionAttendance.session_id == session.id, SessionAttendance.user_id == user.id
        )
    )
    if existing is not None:
        raise LiveError(_("Your attendance at this session is already recorded."))
    if not codes.is_valid(session.code_secret, code, now):
        raise LiveError(_("That code is not the one shown now."))
    late = now > session.starts_at + codes.MARGIN
    _mark(session, user.id, "late" if late else "present", None, "self", None)
    db.session.flush()
    _recheck(session, [user.id])


def import_attendance(actor, session: LiveSession, data: bytes) -> int:
    """Apply an online tool's attendance CSV (username or e-mail, minutes), all or nothing."""
    if not may_take_roll(actor, session):
        raise NotAllowed(_("You do not take the roll of this session."))
    try:
        reader = csv_upload_reader(data, MAX_UPLOAD_BYTES)
    except CsvUploadError as error:
        raise UploadRejected([(error.line, error.message)]) from None
    rows: list[tuple[int, str, str]] = []
    try:
        for row in reader:
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if (
                not rows
                and reader.line_num == 1
                and cells[0].casefold() in {"username", "email", "e-mail", "user"}
            ):
                continue
            rows.append((reader.line_num, cells[0], cells[1] if len(cells) > 1 else ""))
    except csv.Error:
        raise UploadRejected([(reader.line_num, _("This line is not valid CSV."))]) from None
    if not rows:
        raise UploadRejected([(0, _("The file lists nobody."))])
    if len(rows) > MAX_ROWS:
        raise UploadRejected([(0, _("The file has more than %(max)d rows.", max=MAX_ROWS))])
    members = list(
        db.session.scalars(
            sa.select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == session.cohort_id, User.is_erased.is_(False))
        )
    )
    by_name = {u.username_key: u for u in members}
    by_email: dict[str, list[User]] = defaultdict(list)
    for u in members:
        if u.email_key:
            by_email[u.email_key].append(u)
    problems: list[tuple[int, str]] = []
    found: dict[int, int] = {}
    for line, who, minutes_text in rows:
        users = by_email.get(who.casefold(), []) if "@" in who else [by_name.get(accounts.username_key(who))]
        users = [u for u in users if u is not None]
        if len(users) != 1:
            problems.append((line, _("Nobody in this cohort has this username or e-mail.")))
            continue
        if not minutes_text.isdigit() or int(minutes_text) > 7 * 24 * 60:
            problems.append((line, _("Give the minutes attended as a whole number.")))
            continue
        found[users[0].id] = found.get(users[0].id, 0) + int(minutes_text)  # rejoined: minutes add up
    if problems:
        raise UploadRejected(problems)
    for user_id, minutes in found.items():
        _mark(session, user_id, "present" if minutes else "absent", minutes, "import", actor)
    db.session.flush()
    _recheck(session, found.keys())
    return len(found)
