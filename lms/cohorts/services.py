"""Live sessions: creating them, registering and waiting lists, attendance, blended completion."""

import csv
import hashlib
import io
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import force_locale, format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lms.accounts import services as accounts
from lms.accounts.models import Role, User
from lms.cohorts import codes, timezones
from lms.cohorts.models import (
    ATTENDANCE_STATES,
    Cohort,
    CohortCourse,
    CohortMember,
    LivePreference,
    LiveRequirement,
    LiveSession,
    SessionAttendance,
    SessionFacilitator,
    SessionRegistration,
)
from lms.core.db import utcnow
from lms.courses import services as courses
from lms.courses import signals as course_signals
from lms.courses.models import Course, Module
from lms.extensions import db, jobs

MAX_UPLOAD_BYTES = 1024 * 1024
MAX_ROWS = 5000
ATTENDED = ("present", "late")


class LiveError(Exception):
    """A request the live-session rules refuse (answer 400 with the message)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(LiveError):
    """No such session or cohort (404)."""


class NotAllowed(LiveError):
    """Not this user's session or cohort (403)."""


class UploadRejected(LiveError):
    """An attendance file with bad lines: nothing applied. `problems` holds (line, message)."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(_("Nothing was changed: correct these lines and upload the file again."))
        self.problems = problems


# Who runs sessions -----------------------------------------------------------------------------

_signals = Namespace()
session_staff = _signals.signal(
    "session-staff",
    doc="Asked whether a user may create sessions and take the roll for a cohort: sender is the "
    "application, keyword arguments `user` and `cohort`; a receiver returns True to allow.",
)


def add_staff_rule(app, rule) -> None:
    """Let `rule(sender, *, user, cohort) -> bool` grant the running of a cohort's sessions.

    Higher domains register theirs: reports (managers of the cohort's organisations) and
    authoring (trainers of one of the cohort's courses).
    """
    session_staff.connect(rule, sender=app, weak=False)


def can_run(user, cohort: Cohort) -> bool:
    """Tell whether a user may create, edit and cancel a cohort's sessions and take their roll."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    app = current_app._get_current_object()
    return any(result for _rule, result in session_staff.send(app, user=user, cohort=cohort))


def is_facilitator(user, session: LiveSession) -> bool:
    """Tell whether a user facilitates a session."""
    return any(f.user_id == user.id for f in session.facilitators)


def may_take_roll(user, session: LiveSession) -> bool:
    """Staff of the cohort and the session's facilitators take the roll."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_facilitator(user, session) or can_run(user, get_cohort(session.cohort_id))


def get_cohort(cohort_id: int) -> Cohort:
    """Return a cohort; NotFound if there is none."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(_("There is no such cohort."))
    return cohort


def staff_cohort(user, cohort_id: int) -> Cohort:
    """Return a cohort the user may run sessions for; NotFound or NotAllowed otherwise."""
    cohort = get_cohort(cohort_id)
    if not can_run(user, cohort):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    return cohort


def get_session(session_id: int) -> LiveSession:
    """Return a session; NotFound if there is none."""
    session = db.session.get(LiveSession, session_id)
    if session is None:
        raise NotFound(_("There is no such session."))
    return session


def is_member(user, cohort_id: int) -> bool:
    """Tell whether a user is in a cohort."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            sa.select(CohortMember.id).where(
                CohortMember.cohort_id == cohort_id, CohortMember.user_id == user.id
            )
        )
        is not None
    )


def cohorts_teaching(course_slugs: Iterable[str] | None) -> list[Cohort]:
    """Return the cohorts that follow any of these courses (None: every course), by name."""
    query = sa.select(Cohort).order_by(Cohort.name, Cohort.id)
    if course_slugs is not None:
        slugs = list(course_slugs)
        query = query.where(
            Cohort.id.in_(
                sa.select(CohortCourse.cohort_id)
                .join(Course, Course.id == CohortCourse.course_id)
                .where(Course.slug.in_(slugs))
            )
        )
    return list(db.session.scalars(query))


def peer_group(user, course: Course) -> str | None:
    """Return "cohort-<id>" for the learner's first cohort following this course, or None."""
    cohort_id = db.session.scalar(
        sa.select(CohortMember.cohort_id)
        .join(CohortCourse, CohortCourse.cohort_id == CohortMember.cohort_id)
        .where(CohortMember.user_id == user.id, CohortCourse.course_id == course.id)
        .order_by(CohortMember.cohort_id)
        .limit(1)
    )
    return None if cohort_id is None else f"cohort-{cohort_id}"


def member_ids(cohort_id: int) -> set[int]:
    """Return the user ids of a cohort's members."""
    return set(db.session.scalars(sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)))


def cohort_courses(cohort_id: int) -> list[Course]:
    """Return the courses a cohort takes."""
    return list(
        db.session.scalars(
            sa.select(Course)
            .join(CohortCourse, CohortCourse.course_id == Course.id)
            .where(CohortCourse.cohort_id == cohort_id)
            .order_by(Course.slug)
        )
    )


# Time zones ------------------------------------------------------------------------------------


def preference(user) -> LivePreference | None:
    """Return a user's live-session settings, if they saved any."""
    return db.session.scalar(sa.select(LivePreference).where(LivePreference.user_id == user.id))


def zone_for(user) -> str:
    """Return the zone a user sees sessions in: their own choice, else the site's."""
    pref = preference(user) if user is not None and getattr(user, "is_authenticated", False) else None
    if pref is not None and pref.time_zone:
        return pref.time_zone
    return current_app.config.get("LIVE_TIME_ZONE") or "UTC"


def when_label(session: LiveSession, zone_name: str) -> str:
    """Return "date time - time (UTC+hh:mm, Zone)" in the current locale and the given zone."""
    start = timezones.localise(session.starts_at, zone_name)
    end = timezones.localise(session.ends_at, zone_name)
    start_text = format_datetime(start.replace(tzinfo=None), "EEEE d MMMM y, HH:mm", rebase=False)
    if end.date() == start.date():
        end_text = format_datetime(end.replace(tzinfo=None), "HH:mm", rebase=False)
    else:
        end_text = format_datetime(end.replace(tzinfo=None), "d MMMM, HH:mm", rebase=False)
    return f"{start_text} – {end_text} ({timezones.offset_label(start)}, {zone_name})"


def save_preferences(user, *, time_zone: str, wants_reminders: bool) -> LivePreference:
    """Save a learner's zone and reminder choice (flushes); in discreet mode the choice is asked again."""
    if time_zone:
        try:
            timezones.get_zone(time_zone)
        except timezones.BadTime:
            raise LiveError(_("Choose a time zone from the list.")) from None
    pref = preference(user)
    if pref is None:
        pref = LivePreference(user_id=user.id)
        db.session.add(pref)
    pref.time_zone = time_zone or None
    pref.wants_reminders = bool(wants_reminders)
    # A reminder can reveal the platform to whoever reads the mailbox: in discreet mode only an
    # explicit choice made while discreet counts.
    pref.reminders_while_discreet = bool(wants_reminders) and bool(user.is_discreet)
    pref.updated_at = utcnow()
    db.session.flush()
    return pref


def wants_reminders(user, pref: LivePreference | None) -> bool:
    """Tell whether a learner gets reminders: an e-mail, opted in, and discreet ones opted in again."""
    if not user.email or user.is_disabled or user.is_erased or pref is None or not pref.wants_reminders:
        return False
    return not user.is_discreet or pref.reminders_while_discreet


# Creating and editing --------------------------------------------------------------------------


@dataclass
class SessionInput:
    """What the session form gives, already parsed."""

    titles: dict[str, str]
    descriptions: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    language: str
    venue: str = ""
    online_url: str = ""
    capacity: int | None = None
    course_id: int | None = None
    module_slug: str | None = None
    facilitators: list[str] = field(default_factory=list)  # usernames
    guests: list[str] = field(default_factory=list)  # names of guest experts
    allows_self_marking: bool = False


def _check(data: SessionInput, cohort: Cohort) -> tuple[list[User], list[str]]:
    titles = {k: accounts.clean_text(v, 200) for k, v in data.titles.items() if (v or "").strip()}
    if not titles:
        raise LiveError(_("Give the session a title."))
    data.titles = titles
    data.descriptions = {
        k: (v or "").strip()[:5000] for k, v in data.descriptions.items() if (v or "").strip()
    }
    if data.ends_at <= data.starts_at:
        raise LiveError(_("The session must end after it starts."))
    if data.ends_at - data.starts_at > timedelta(days=7):
        raise LiveError(_("A session cannot last more than a week."))
    try:
        timezones.get_zone(data.time_zone)
    except timezones.BadTime:
        raise LiveError(_("Choose a time zone from the list.")) from None
    if data.language not in current_app.config["LANGUAGES"]:
        raise LiveError(_("Choose the session's language."))
    data.venue = accounts.clean_text(data.venue or "", 300)
    url = (data.online_url or "").strip()
    if url and (
        not url.lower().startswith(("https://", "http://")) or len(url) > 500 or any(c.isspace() for c in url)
    ):
        raise LiveError(_("The online link must be a web address starting with https://."))
    data.online_url = url
    if data.capacity is not None and data.capacity < 1:
        raise LiveError(_("The capacity must be at least 1, or left empty for no limit."))
    if data.course_id is not None and data.course_id not in {c.id for c in cohort_courses(cohort.id)}:
        raise LiveError(_("Choose one of the cohort's courses."))
    if data.course_id is None:
        data.module_slug = None
    elif data.module_slug and not db.session.scalar(
        sa.select(Module.id).where(Module.course_id == data.course_id, Module.slug == data.module_slug)
    ):
        raise LiveError(_("The course has no module with that short name."))
    keys = {accounts.username_key(n): n for n in data.facilitators if n.strip()}
    users = list(
        db.session.scalars(
            sa.select(User).where(
                User.username_key.in_(keys),
                User.role.in_([Role.TRAINER, Role.MANAGER, Role.ADMIN]),
                User.is_erased.is_(False),
            )
        )
    )
    missing = sorted(set(keys) - {u.username_key for u in users})
    if missing:
        raise LiveError(
            _("No trainer account with the username %(names)s.", names=", ".join(keys[m] for m in missing))
        )
    guests = [accounts.clean_text(g, 120) for g in data.guests if g.strip()]
    return users, guests


def _registered_count(session_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(SessionRegistration.id)).where(
            SessionRegistration.session_id == session_id, SessionRegistration.state == "registered"
        )
    )


def create_session(actor, cohort: Cohort, data: SessionInput) -> LiveSession:
    """Create a session of a cohort (flushes); raise LiveError on bad input."""
    if not can_run(actor, cohort):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    users, guests = _check(data, cohort)
    session = LiveSession(
        cohort_id=cohort.id,
        code_secret=secrets.token_hex(32),
        created_by_id=actor.id,
    )
    _apply(session, data, users, guests)
    db.session.add(session)
    db.session.flush()
    return session


def _apply(session: LiveSession, data: SessionInput, users: list[User], guests: list[str]) -> None:
    session.titles = data.titles
    session.descriptions = data.descriptions
    session.starts_at, session.ends_at, session.time_zone = data.starts_at, data.ends_at, data.time_zone
    session.language, session.venue, session.online_url = data.language, data.venue, data.online_url
    session.capacity, session.course_id, session.module_slug = data.capacity, data.course_id, data.module_slug
    session.allows_self_marking = data.allows_self_marking
    session.facilitators = [SessionFacilitator(user_id=u.id) for u in users] + [
        SessionFacilitator(guest_name=g) for g in guests
    ]


def update_session(actor, session: LiveSession, data: SessionInput) -> LiveSession:
    """Change a session (flushes); a capacity below the number registered is refused."""
    cohort = get_cohort(session.cohort_id)
    if not can_run(actor, cohort):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    if session.cancelled_at is not None:
        raise LiveError(_("This session was cancelled."))
    users, guests = _check(data, cohort)
    _lock(session)
    registered = _registered_count(session.id)
    if data.capacity is not None and data.capacity < registered:
        raise LiveError(
            ngettext(
                "%(num)d learner is registered: the capacity cannot be lower.",
                "%(num)d learners are registered: the capacity cannot be lower.",
                registered,
            )
        )
    db.session.execute(sa.delete(SessionFacilitator).where(SessionFacilitator.session_id == session.id))
    db.session.expire(session, ["facilitators"])
    _apply(session, data, users, guests)
    db.session.flush()
    _promote(session)
    return session


def cancel_session(actor, session: LiveSession) -> int:
    """Cancel a session and tell the registered and waiting learners by e-mail; return how many."""
    if not can_run(actor, get_cohort(session.cohort_id)):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    if session.cancelled_at is not None:
        raise LiveError(_("This session was already cancelled."))
    session.cancelled_at = utcnow()
    db.session.flush()
    notify_cancelled.enqueue(session.id)
    return _registered_count(session.id)


# Registration ----------------------------------------------------------------------------------


def _lock(session: LiveSession) -> None:
    """Serialise seat changes on one session: a row lock on PostgreSQL, the write lock on SQLite.

    Every change bumps `seat_version` first, so a second request waits here until the first
    commits and then counts the seats it left.
    """
    db.session.execute(
        sa.update(LiveSession)
        .where(LiveSession.id == session.id)
        .values(seat_version=LiveSession.seat_version + 1)
        .execution_options(synchronize_session=False)
    )


def registration(user, session: LiveSession) -> SessionRegistration | None:
    """Return a learner's registration row for a session, if any."""
    return db.session.scalar(
        sa.select(SessionRegistration).where(
            SessionRegistration.session_id == session.id, SessionRegistration.user_id == user.id
        )
    )


def register(user, session: LiveSession, now: datetime | None = None) -> str:
    """Take a seat, or a place on the waiting list when the session is full; return the state."""
    now = now or utcnow()
    if not is_member(user, session.cohort_id):
        raise NotAllowed(_("This session is for the members of its cohort."))
    if session.cancelled_at is not None:
        raise LiveError(_("This session was cancelled."))
    if session.ends_at <= now:
        raise LiveError(_("This session is over."))
    _lock(session)
    row = registration(user, session)
    if row is not None and row.state != "cancelled":
        return row.state
    full = session.capacity is not None and _registered_count(session.id) >= session.capacity
    state = "waitlisted" if full else "registered"
    if row is None:
        db.session.add(
            SessionRegistration(session_id=session.id, user_id=user.id, state=state, requested_at=now)
        )
    else:
        row.state, row.requested_at, row.reminded_at = state, now, None
    db.session.flush()
    return state


def cancel_registration(user, session: LiveSession) -> User | None:
    """Give up a seat or a waiting place; the first waiting learner takes a freed seat (returned)."""
    _lock(session)
    row = registration(user, session)
    if row is None or row.state == "cancelled":
        raise LiveError(_("You are not registered for this session."))
    row.state = "cancelled"
    db.session.flush()
    promoted = _promote(session)
    return promoted[0] if promoted else None


def _promote(session: LiveSession) -> list[User]:
    """Move waiting learners into free seats, first come first served; tell them by e-mail."""
    if session.cancelled_at is not None:
        return []
    free = None if session.capacity is None else session.capacity - _registered_count(session.id)
    waiting = sa.select(SessionRegistration).where(
        SessionRegistration.session_id == session.id, SessionRegistration.state == "waitlisted"
    )
    waiting = waiting.order_by(SessionRegistration.requested_at, SessionRegistration.id)
    if free is not None:
        if free <= 0:
            return []
        waiting = waiting.limit(free)
    rows = list(db.session.scalars(waiting))
    for row in rows:
        row.state = "registered"
    db.session.flush()
    for row in rows:
        notify_promoted.enqueue(session.id, row.user_id)
    return [db.session.get(User, r.user_id) for r in rows]


def roster(session: LiveSession) -> list[tuple[User, str | None, SessionAttendance | None]]:
    """Return the cohort's members with their registration state and attendance (three queries)."""
    users = list(
        db.session.scalars(
            sa.select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == session.cohort_id, User.is_erased.is_(False))
            .order_by(User.username_key)
        )
    )
    states = dict(
        db.session.execute(
            sa.select(SessionRegistration.user_id, SessionRegistration.state).where(
                SessionRegistration.session_id == session.id
            )
        ).all()
    )
    marks = {
        a.user_id: a
        for a in db.session.scalars(
            sa.select(SessionAttendance).where(SessionAttendance.session_id == session.id)
        )
    }
    return [(u, states.get(u.id), marks.get(u.id)) for u in users]


def seat_counts(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """Return {session id: {"registered": n, "waitlisted": n}} in one query."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"registered": 0, "waitlisted": 0})
    for sid, state, n in db.session.execute(
        sa.select(SessionRegistration.session_id, SessionRegistration.state, sa.func.count())
        .where(SessionRegistration.session_id.in_(session_ids), SessionRegistration.state != "cancelled")
        .group_by(SessionRegistration.session_id, SessionRegistration.state)
    ).all():
        counts[sid][state] = n
    return counts


@dataclass(frozen=True)
class Upcoming:
    """A session as a learner's list shows it."""

    session: LiveSession
    state: str | None  # "registered", "waitlisted" or None
    registered: int
    waitlisted: int


def upcoming_for(user, *, course_id: int | None = None, now: datetime | None = None) -> list[Upcoming]:
    """Return the sessions of the learner's cohorts that have not ended, soonest first (3 queries)."""
    now = now or utcnow()
    stmt = (
        sa.select(LiveSession)
        .join(CohortMember, CohortMember.cohort_id == LiveSession.cohort_id)
        .where(CohortMember.user_id == user.id, LiveSession.ends_at > now)
        .order_by(LiveSession.starts_at, LiveSession.id)
        .options(sa.orm.selectinload(LiveSession.facilitators))
    )
    if course_id is not None:
        stmt = stmt.where(LiveSession.course_id == course_id)
    sessions = list(db.session.scalars(stmt))
    ids = [s.id for s in sessions]
    mine = dict(
        db.session.execute(
            sa.select(SessionRegistration.session_id, SessionRegistration.state).where(
                SessionRegistration.user_id == user.id,
                SessionRegistration.session_id.in_(ids),
                SessionRegistration.state != "cancelled",
            )
        ).all()
    )
    counts = seat_counts(ids)
    return [
        Upcoming(s, mine.get(s.id), counts[s.id]["registered"], counts[s.id]["waitlisted"]) for s in sessions
    ]


def cohort_sessions(cohort: Cohort) -> list[LiveSession]:
    """Return all of a cohort's sessions, soonest first."""
    return list(
        db.session.scalars(
            sa.select(LiveSession)
            .where(LiveSession.cohort_id == cohort.id)
            .order_by(LiveSession.starts_at, LiveSession.id)
        )
    )


def may_see_link(user, session: LiveSession) -> bool:
    """The online link is for registered learners, facilitators and staff only."""
    if user is None or not getattr(user, "is_authenticated", False) or session.cancelled_at is not None:
        return False
    row = registration(user, session)
    return (row is not None and row.state == "registered") or may_take_roll(user, session)


# Attendance ------------------------------------------------------------------------------------


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
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected([(0, _("The file is larger than 1 MB."))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UploadRejected(
            [(line, _("This line is not UTF-8 text: save the file as CSV UTF-8."))]
        ) from None
    rows: list[tuple[int, str, str]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
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


# Blended completion ----------------------------------------------------------------------------


def set_requirement(
    actor, cohort: Cohort, course_id: int, min_sessions: int | None, min_hours: float | None
) -> LiveRequirement | None:
    """Require attendance for a cohort's course (None for both: no requirement); flushes."""
    if not can_run(actor, cohort):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    if course_id not in {c.id for c in cohort_courses(cohort.id)}:
        raise LiveError(_("Choose one of the cohort's courses."))
    if (min_sessions is not None and not 0 < min_sessions <= 500) or (
        min_hours is not None and not 0 < min_hours <= 1000
    ):
        raise LiveError(_("Give a positive number of sessions or hours."))
    row = db.session.scalar(
        sa.select(LiveRequirement).where(
            LiveRequirement.cohort_id == cohort.id, LiveRequirement.course_id == course_id
        )
    )
    if min_sessions is None and min_hours is None:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return None
    if row is None:
        row = LiveRequirement(cohort_id=cohort.id, course_id=course_id)
        db.session.add(row)
    row.min_sessions = min_sessions
    row.min_minutes = None if min_hours is None else round(min_hours * 60)
    db.session.flush()
    return row


def requirements(cohort: Cohort) -> dict[int, LiveRequirement]:
    """Return a cohort's requirements by course id."""
    return {
        r.course_id: r
        for r in db.session.scalars(sa.select(LiveRequirement).where(LiveRequirement.cohort_id == cohort.id))
    }


class minutes_between(FunctionElement):  # noqa: N801 - a SQL function, named as SQL names them
    """Whole minutes from the first timestamp to the second, on SQLite and PostgreSQL."""

    type = sa.Integer()
    inherit_cache = True


@compiles(minutes_between)
def _minutes_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(round((julianday({end}) - julianday({start})) * 1440) AS INTEGER)"


@compiles(minutes_between, "postgresql")
def _minutes_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(round(extract(epoch FROM ({end} - {start})) / 60) AS INTEGER)"


def attended_minutes_sql():
    """SQL for the minutes an attendance row counts: those recorded, else the session's length."""
    return sa.func.coalesce(
        SessionAttendance.minutes, minutes_between(LiveSession.starts_at, LiveSession.ends_at)
    )


def live_attendance_subqueries(user_id, course_id) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """Return correlated subqueries: sessions of a course attended by a learner, and their minutes.

    Attended means present or late at a session that was not cancelled; the minutes are those
    recorded (online sessions), else the session's planned length.
    """
    attended = sa.and_(
        SessionAttendance.user_id == user_id,
        SessionAttendance.status.in_(ATTENDED),
        LiveSession.cancelled_at.is_(None),
        LiveSession.course_id == course_id,
    )
    base = (
        sa.select()
        .select_from(SessionAttendance)
        .join(LiveSession, LiveSession.id == SessionAttendance.session_id)
    )
    count = base.add_columns(sa.func.count(SessionAttendance.id)).where(attended).scalar_subquery()
    minutes = base.add_columns(sa.func.sum(attended_minutes_sql())).where(attended).scalar_subquery()
    return count, minutes


def live_totals(user_ids: list[int] | None = None) -> dict[tuple[int, int | None], tuple[int, int]]:
    """Return {(user id, course id or None): (sessions attended, minutes)} for attended sessions."""
    stmt = (
        sa.select(
            SessionAttendance.user_id,
            LiveSession.course_id,
            sa.func.count(SessionAttendance.id),
            sa.func.sum(attended_minutes_sql()),
        )
        .join(LiveSession, LiveSession.id == SessionAttendance.session_id)
        .where(SessionAttendance.status.in_(ATTENDED), LiveSession.cancelled_at.is_(None))
        .group_by(SessionAttendance.user_id, LiveSession.course_id)
    )
    if user_ids is not None:
        stmt = stmt.where(SessionAttendance.user_id.in_(user_ids))
    return {(u, c): (int(n), int(m or 0)) for u, c, n, m in db.session.execute(stmt).all()}


def requirement_state(user, course: Course) -> course_signals.Requirement | None:
    """The courses completion hook: attendance a learner's cohort requires for this course."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    rules = list(
        db.session.scalars(
            sa.select(LiveRequirement)
            .join(CohortMember, CohortMember.cohort_id == LiveRequirement.cohort_id)
            .where(CohortMember.user_id == user.id, LiveRequirement.course_id == course.id)
        )
    )
    if not rules:
        return None
    sessions, minutes = _attended(user, course, [r.cohort_id for r in rules])
    need_sessions = max((r.min_sessions or 0) for r in rules)
    need_minutes = max((r.min_minutes or 0) for r in rules)
    met = sessions >= need_sessions and minutes >= need_minutes
    parts = []
    if need_sessions:
        parts.append(
            ngettext(
                "%(done)d of %(num)d live session attended",
                "%(done)d of %(num)d live sessions attended",
                need_sessions,
                done=sessions,
            )
        )
    if need_minutes:
        parts.append(_("%(done)s of %(need)s live hours", done=_hours(minutes), need=_hours(need_minutes)))
    text = "; ".join(parts)
    if met:
        return course_signals.Requirement(True, _("Live sessions: done (%(what)s).", what=text))
    return course_signals.Requirement(
        False, _("This course also needs attendance at live sessions: %(what)s.", what=text)
    )


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}".rstrip("0").rstrip(".")


def _attended(user, course: Course, cohort_ids: list[int]) -> tuple[int, int]:
    return _attended_by_id(user.id, course, cohort_ids)


def _attended_by_id(user_id: int, course: Course, cohort_ids: list[int]) -> tuple[int, int]:
    row = db.session.execute(
        sa.select(sa.func.count(SessionAttendance.id), sa.func.sum(attended_minutes_sql()))
        .join(LiveSession, LiveSession.id == SessionAttendance.session_id)
        .where(
            SessionAttendance.user_id == user_id,
            SessionAttendance.status.in_(ATTENDED),
            LiveSession.cancelled_at.is_(None),
            LiveSession.cohort_id.in_(cohort_ids),
            sa.or_(LiveSession.course_id == course.id, LiveSession.course_id.is_(None)),
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def certified_live_minutes(user_id: int, course: Course) -> int:
    """Minutes of live sessions to print on a course certificate, 0 for none.

    Only for members of a cohort that requires attendance in this course (blended completion):
    there the live part is part of what the certificate attests.
    """
    cohort_ids = list(
        db.session.scalars(
            sa.select(LiveRequirement.cohort_id)
            .join(CohortMember, CohortMember.cohort_id == LiveRequirement.cohort_id)
            .where(LiveRequirement.course_id == course.id, CohortMember.user_id == user_id)
        )
    )
    return _attended_by_id(user_id, course, cohort_ids)[1] if cohort_ids else 0


def attendance_rows(session_ids: list[int] | None = None):
    """Yield (session, user, registration state, attendance) for the attendance export."""
    stmt = (
        sa.select(LiveSession, User, SessionRegistration.state, SessionAttendance)
        .join(CohortMember, CohortMember.cohort_id == LiveSession.cohort_id)
        .join(User, User.id == CohortMember.user_id)
        .outerjoin(
            SessionRegistration,
            sa.and_(SessionRegistration.session_id == LiveSession.id, SessionRegistration.user_id == User.id),
        )
        .outerjoin(
            SessionAttendance,
            sa.and_(SessionAttendance.session_id == LiveSession.id, SessionAttendance.user_id == User.id),
        )
        .where(User.is_erased.is_(False))
        .order_by(LiveSession.starts_at, LiveSession.id, User.username_key)
    )
    if session_ids is not None:
        stmt = stmt.where(LiveSession.id.in_(session_ids))
    yield from db.session.execute(stmt).tuples()


# Calendar feed ---------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(user) -> str:
    """Give the learner a new private feed token (the old one stops working); return it once."""
    token = secrets.token_urlsafe(32)
    pref = preference(user)
    if pref is None:
        pref = LivePreference(user_id=user.id)
        db.session.add(pref)
    pref.feed_token_hash = _digest(token)
    db.session.flush()
    return token


def revoke_feed(user) -> None:
    """Switch the learner's private feed off."""
    pref = preference(user)
    if pref is not None:
        pref.feed_token_hash = None
        db.session.flush()


def feed_user(token: str) -> User | None:
    """Return the learner a feed token belongs to, or None."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(LivePreference, LivePreference.user_id == User.id)
        .where(LivePreference.feed_token_hash == _digest(token))
    )
    return None if user is None or user.is_disabled or user.is_erased else user


def feed_sessions(user, now: datetime | None = None) -> list[LiveSession]:
    """Return the sessions a learner's feed lists: registered ones from the last 30 days on."""
    since = (now or utcnow()) - timedelta(days=30)
    return list(
        db.session.scalars(
            sa.select(LiveSession)
            .join(SessionRegistration, SessionRegistration.session_id == LiveSession.id)
            .where(
                SessionRegistration.user_id == user.id,
                SessionRegistration.state == "registered",
                LiveSession.ends_at > since,
            )
            .order_by(LiveSession.starts_at)
        )
    )


# Privacy ---------------------------------------------------------------------------------------


def export_user_data(user) -> dict:
    """Return a learner's live-session data for their download (never the feed token)."""
    registrations = db.session.execute(
        sa.select(LiveSession, SessionRegistration)
        .join(SessionRegistration, SessionRegistration.session_id == LiveSession.id)
        .where(SessionRegistration.user_id == user.id)
        .order_by(LiveSession.starts_at)
    ).tuples()
    attendance = db.session.execute(
        sa.select(LiveSession, SessionAttendance)
        .join(SessionAttendance, SessionAttendance.session_id == LiveSession.id)
        .where(SessionAttendance.user_id == user.id)
        .order_by(LiveSession.starts_at)
    ).tuples()
    pref = preference(user)
    return {
        "registrations": [
            {"session": s.title_in(s.language), "starts_at": s.starts_at.isoformat(), "state": r.state}
            for s, r in registrations
        ],
        "attendance": [
            {
                "session": s.title_in(s.language),
                "starts_at": s.starts_at.isoformat(),
                "status": a.status,
                "minutes": a.minutes,
            }
            for s, a in attendance
        ],
        "settings": {
            "time_zone": pref.time_zone if pref else None,
            "wants_reminders": bool(pref and pref.wants_reminders),
            "has_calendar_feed": bool(pref and pref.feed_token_hash),
        },
    }


def erase_for(user) -> None:
    """Delete a learner's registrations, attendance and settings (their feed stops); flushes."""
    for model in (SessionRegistration, SessionAttendance, LivePreference):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))
    db.session.flush()


# Background jobs -------------------------------------------------------------------------------


def _mail(user: User, subject_key: str, session: LiveSession) -> None:
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    zone = zone_for(user)
    with force_locale(locale):
        title = session.title_in(locale)
        when = when_label(session, zone)
        # Built by hand: jobs run outside any request, where url_for cannot build addresses.
        link = f"{current_app.config['SITE_URL'].rstrip('/')}/live/{session.id}/"
        if subject_key == "cancelled":
            subject = _("A session was cancelled")
            body = _('The session "%(title)s" (%(when)s) was cancelled.', title=title, when=when)
        elif subject_key == "promoted":
            subject = _("A seat is yours")
            body = _(
                'A seat freed up: you are now registered for "%(title)s" (%(when)s).\n%(link)s',
                title=title,
                when=when,
                link=link,
            )
        else:
            subject = _("Reminder: a session tomorrow")
            body = _('Reminder: "%(title)s" starts %(when)s.\n%(link)s', title=title, when=when, link=link)
        if user.is_discreet:
            subject = _("A reminder")
    accounts.send_mail(user.email, subject, body)


@jobs.job(retries=3, retry_delay=60)
def notify_cancelled(session_id: int) -> None:
    """Tell the registered and waiting learners of a cancelled session who gave an e-mail."""
    session = db.session.get(LiveSession, session_id)
    if session is None:
        return
    users = db.session.scalars(
        sa.select(User)
        .join(SessionRegistration, SessionRegistration.user_id == User.id)
        .where(
            SessionRegistration.session_id == session_id,
            SessionRegistration.state != "cancelled",
            User.email.is_not(None),
            User.is_erased.is_(False),
        )
    )
    for user in users:
        _mail(user, "cancelled", session)


@jobs.job(retries=3, retry_delay=60)
def notify_promoted(session_id: int, user_id: int) -> None:
    """Tell a learner taken off the waiting list that they have a seat."""
    session, user = db.session.get(LiveSession, session_id), db.session.get(User, user_id)
    if session is None or user is None or not user.email or user.is_erased:
        return
    _mail(user, "promoted", session)


@jobs.every(minute="5", hour="*")
def send_reminders() -> int:
    """Remind registered learners, once, of the sessions starting in the next 24 hours."""
    count = remind_due(utcnow())
    db.session.commit()
    return count


def remind_due(now: datetime) -> int:
    """Queue the reminders due at `now` and mark them sent (flushes); return how many."""
    rows = db.session.execute(
        sa.select(SessionRegistration, User, LiveSession, LivePreference)
        .join(User, User.id == SessionRegistration.user_id)
        .join(LiveSession, LiveSession.id == SessionRegistration.session_id)
        .outerjoin(LivePreference, LivePreference.user_id == User.id)
        .where(
            SessionRegistration.state == "registered",
            SessionRegistration.reminded_at.is_(None),
            LiveSession.cancelled_at.is_(None),
            LiveSession.starts_at > now,
            LiveSession.starts_at <= now + timedelta(hours=24),
        )
    ).tuples()
    sent = 0
    for row, user, session, pref in rows:
        row.reminded_at = now  # decided once, sent or not: no reminder after an opt-in at the last minute
        if wants_reminders(user, pref):
            _mail(user, "reminder", session)
            sent += 1
    db.session.flush()
    return sent
