"""Who may do what with a cohort's live sessions: the staff rule and the object-level rules.

Role sets come from `lms.accounts.permissions`; whether a user runs one cohort's sessions, takes
one session's roll or may see a session (a member of its cohort, or its staff) is decided here,
and every view and service asks these functions.
"""

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _

from lms.accounts.permissions import ADMINS, STAFF, has_role
from lms.cohorts.errors import NotAllowed, NotFound
from lms.cohorts.models import Cohort, CohortMember, LiveSession
from lms.extensions import db

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
    """Tell whether a user may create, edit and cancel a cohort's sessions and take their roll.

    Staff only (`permissions.STAFF`): admins run every cohort, trainers and managers those a
    registered staff rule grants them.
    """
    if not has_role(user, STAFF):
        return False
    if has_role(user, ADMINS):
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


def get_cohort(cohort_id: int) -> Cohort:
    """Return a cohort; NotFound if there is none."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(_("There is no such cohort."))
    return cohort


def get_session(session_id: int) -> LiveSession:
    """Return a session; NotFound if there is none."""
    session = db.session.get(LiveSession, session_id)
    if session is None:
        raise NotFound(_("There is no such session."))
    return session


def staff_cohort(user, cohort_id: int) -> Cohort:
    """Return a cohort the user may run sessions for; NotFound or NotAllowed otherwise."""
    cohort = get_cohort(cohort_id)
    if not can_run(user, cohort):
        raise NotAllowed(_("You do not run this cohort's sessions."))
    return cohort


def staff_session(user, session_id: int) -> tuple[LiveSession, Cohort]:
    """Return a session the user may edit and cancel, with its cohort; NotFound or NotAllowed."""
    session = get_session(session_id)
    return session, staff_cohort(user, session.cohort_id)


def roll_session(user, session_id: int) -> LiveSession:
    """Return a session whose roll the user takes; NotFound or NotAllowed otherwise."""
    session = get_session(session_id)
    if not may_take_roll(user, session):
        raise NotAllowed(_("You do not take the roll of this session."))
    return session


def member_session(user, session_id: int) -> LiveSession:
    """Return a session the user may see: a member of its cohort, or its staff; else NotFound/NotAllowed."""
    session = get_session(session_id)
    if not (is_member(user, session.cohort_id) or may_take_roll(user, session)):
        raise NotAllowed(_("This session is for the members of its cohort."))
    return session
