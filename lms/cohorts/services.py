"""The live-session domain's public services; the work is done in the modules named below.

Other domains, the views and the tests call live sessions through this module only:
`access` (who runs, sees and takes the roll of a session), `membership` (a cohort's members and
courses), `sessions` (create, edit, cancel), `registration` (seats and waiting lists),
`attendance` (the roll, self-marking, roll import), `requirements` (blended completion),
`preferences` (time zone and reminders), `feeds` (the private calendar feed), `reminders`
(e-mail jobs) and `privacy` (download and erasure).
"""

from lms.cohorts.access import (
    add_staff_rule,
    can_run,
    get_cohort,
    get_session,
    is_facilitator,
    is_member,
    may_take_roll,
    member_session,
    roll_session,
    staff_cohort,
    staff_session,
)
from lms.cohorts.attendance import (
    MAX_UPLOAD_BYTES,
    current_code,
    import_attendance,
    self_mark,
    take_roll,
)
from lms.cohorts.errors import LiveError, NotAllowed, NotFound, UploadRejected
from lms.cohorts.feeds import feed_sessions, feed_user, new_feed_token, revoke_feed
from lms.cohorts.membership import cohort_courses, cohorts_teaching, member_ids, peer_group
from lms.cohorts.preferences import preference, save_preferences, wants_reminders, when_label, zone_for
from lms.cohorts.privacy import erase_for, export_user_data
from lms.cohorts.registration import (
    Upcoming,
    cancel_registration,
    may_see_link,
    register,
    registration,
    seat_counts,
    upcoming_for,
)
from lms.cohorts.reminders import notify_cancelled, notify_promoted, remind_due, send_reminders
from lms.cohorts.requirements import (
    attended_minutes_sql,
    certified_live_minutes,
    live_attendance_subqueries,
    minutes_between,
    requirement_state,
    requirements,
    set_requirement,
)
from lms.cohorts.sessions import SessionInput, cancel_session, create_session, update_session

__all__ = [
    "MAX_UPLOAD_BYTES",
    "LiveError",
    "NotAllowed",
    "NotFound",
    "SessionInput",
    "Upcoming",
    "UploadRejected",
    "add_staff_rule",
    "attended_minutes_sql",
    "can_run",
    "cancel_registration",
    "cancel_session",
    "certified_live_minutes",
    "cohort_courses",
    "cohorts_teaching",
    "create_session",
    "current_code",
    "erase_for",
    "export_user_data",
    "feed_sessions",
    "feed_user",
    "get_cohort",
    "get_session",
    "import_attendance",
    "is_facilitator",
    "is_member",
    "live_attendance_subqueries",
    "may_see_link",
    "may_take_roll",
    "member_ids",
    "member_session",
    "minutes_between",
    "new_feed_token",
    "notify_cancelled",
    "notify_promoted",
    "peer_group",
    "preference",
    "register",
    "registration",
    "remind_due",
    "requirement_state",
    "requirements",
    "revoke_feed",
    "roll_session",
    "save_preferences",
    "seat_counts",
    "self_mark",
    "send_reminders",
    "set_requirement",
    "staff_cohort",
    "staff_session",
    "take_roll",
    "update_session",
    "upcoming_for",
    "wants_reminders",
    "when_label",
    "zone_for",
]
