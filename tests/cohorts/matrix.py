"""Access-matrix entries for the live-session routes (merged into tests/test_access_matrix.py).

URLs are `Prepared` strings: formatting one first creates, in the test's rolled-back
transaction, a cohort run for the role's own organisation with the role as a member ("own")
and another cohort it is not in ("foreign"), each with one session that has an online link.
The matrix manager manages no organisation, so only admins run these cohorts' sessions.
"""

import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from tests.matrix_support import LOGIN, SIGNED_IN, Case, everyone, only, signed_in

COURSE = "matrix-live"


def _setup(objects: dict) -> dict:
    import sqlalchemy as sa

    from lms.cohorts.models import Cohort, CohortCourse, CohortMember, CohortOrganisation, LiveSession
    from lms.core.db import utcnow
    from lms.courses import services as courses
    from lms.extensions import db
    from tests.courses.course_builder import write_course

    course = courses.get_course(COURSE)
    if course is None:
        with tempfile.TemporaryDirectory() as folder:
            courses.import_path(write_course(Path(folder), slug=COURSE, modules=1, lessons_per_module=1))
        course = courses.get_course(COURSE)
        start = utcnow() + timedelta(days=2)
        for name, org in (("own", objects["own_org"]), ("foreign", objects["foreign_org"])):
            cohort = Cohort(name=f"Matrix {name}")
            db.session.add(cohort)
            db.session.flush()
            db.session.add(CohortCourse(cohort_id=cohort.id, course_id=course.id))
            db.session.add(CohortOrganisation(cohort_id=cohort.id, organisation_id=org))
            if name == "own" and objects.get("self_user"):
                db.session.add(
                    CohortMember(cohort_id=cohort.id, user_id=objects["self_user"], source="upload")
                )
            db.session.add(
                LiveSession(
                    cohort_id=cohort.id,
                    titles={"en": f"Matrix session {name}"},
                    descriptions={},
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    time_zone="Asia/Beirut",
                    language="en",
                    online_url="https://meet.example.org/matrix",
                    code_secret=secrets.token_hex(8),
                )
            )
        db.session.flush()
    ids = {}
    for name in ("own", "foreign"):
        cohort_id = db.session.scalar(sa.select(Cohort.id).where(Cohort.name == f"Matrix {name}"))
        ids[f"{name}_cohort"] = cohort_id
        ids[f"{name}_session"] = db.session.scalar(
            sa.select(LiveSession.id).where(LiveSession.cohort_id == cohort_id)
        )
    ids["live_course"] = course.id
    return ids


class Prepared(str):
    """A URL whose formatting first creates the cohorts and sessions it points to."""

    __slots__ = ()

    def format(self, *args, **objects):
        """Create the objects, then format as str.format does."""
        return str.format(self, *args, **{**objects, **_setup(objects)})


ADMIN = ("admin",)


def staff(status: int) -> dict[str, int]:
    """Only admins run these cohorts (the matrix manager manages nothing)."""
    return only(ADMIN, status)


def foreign(status_admin: int) -> dict[str, int]:
    """Not a member: 403, except admins who run every cohort."""
    return only(ADMIN, status_admin)


def signed_in_missing() -> dict[str, int]:
    return {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, 404)}


def staff_missing() -> dict[str, int]:
    """Staff pages need a staff role first (learners: 403), then the object (missing: 404)."""
    return {**signed_in_missing(), "learner": 403}


MATRIX: dict[tuple[str, str], list[Case]] = {
    ("cohorts.upcoming", "GET"): [Case(Prepared("/me/live/"), signed_in(200))],
    ("cohorts.preferences", "GET"): [Case("/me/live/settings", signed_in(200))],
    ("cohorts.preferences", "POST"): [
        Case("/me/live/settings", signed_in(303), {"time_zone": "Asia/Beirut", "action": "save"}),
        Case(
            "/me/live/settings", signed_in(400), {"time_zone": "Nowhere/Land", "action": "save"}, "bad zone"
        ),
        Case("/me/live/settings", signed_in(200), {"action": "feed"}, "new feed"),
    ],
    ("cohorts.feed", "GET"): [Case("/live/feed/not-a-token.ics", everyone(404))],
    ("cohorts.session_detail", "GET"): [
        Case(Prepared("/live/{own_session}/"), signed_in(200), label="member"),
        Case(Prepared("/live/{foreign_session}/"), foreign(200), label="foreign"),
        Case("/live/999999/", signed_in_missing(), label="missing"),
    ],
    ("cohorts.session_ics", "GET"): [
        Case(Prepared("/live/{own_session}/session.ics"), signed_in(200), label="member"),
        Case(Prepared("/live/{foreign_session}/session.ics"), foreign(200), label="foreign"),
    ],
    ("cohorts.register", "POST"): [
        Case(Prepared("/live/{own_session}/register"), signed_in(303), label="member"),
        Case(Prepared("/live/{foreign_session}/register"), signed_in(403), label="foreign"),
        Case("/live/999999/register", signed_in_missing(), label="missing"),
    ],
    ("cohorts.unregister", "POST"): [
        Case(Prepared("/live/{own_session}/unregister"), signed_in(400), label="not registered"),
        Case(Prepared("/live/{foreign_session}/unregister"), foreign(400), label="foreign"),
    ],
    ("cohorts.check_in", "POST"): [
        Case(Prepared("/live/{own_session}/check-in"), signed_in(400), {"code": "ABCDEF"}, "no self-marking"),
        Case(Prepared("/live/{foreign_session}/check-in"), signed_in(403), {"code": "ABCDEF"}, "foreign"),
    ],
    ("cohorts.cohort_sessions", "GET"): [
        Case(Prepared("/cohorts/{own_cohort}/live/"), staff(200)),
        Case("/cohorts/999999/live/", staff_missing(), label="missing"),
    ],
    ("cohorts.new_session", "GET"): [Case(Prepared("/cohorts/{own_cohort}/live/new"), staff(200))],
    ("cohorts.new_session", "POST"): [
        Case(
            Prepared("/cohorts/{own_cohort}/live/new"),
            staff(400),
            {
                "title_en": "X",
                "day": "2027-03-01",
                "starts": "10:00",
                "ends": "09:00",
                "time_zone": "UTC",
                "language": "en",
                "course": "0",
            },
            "ends before it starts",
        )
    ],
    ("cohorts.edit_session", "GET"): [
        Case(Prepared("/live/{own_session}/edit"), staff(200)),
        Case("/live/999999/edit", staff_missing(), label="missing"),
    ],
    ("cohorts.edit_session", "POST"): [
        Case(
            Prepared("/live/{own_session}/edit"),
            staff(400),
            {
                "title_en": "X",
                "day": "2027-03-28",
                "starts": "00:30",
                "ends": "02:00",
                "time_zone": "Asia/Beirut",
                "language": "en",
                "course": "0",
            },
            "time skipped by DST",
        )
    ],
    ("cohorts.cancel_session", "POST"): [
        Case(Prepared("/live/{own_session}/cancel"), staff(303)),
        Case("/live/999999/cancel", staff_missing(), label="missing"),
    ],
    ("cohorts.roll", "GET"): [Case(Prepared("/live/{own_session}/roll"), staff(200))],
    ("cohorts.roll", "POST"): [
        Case(Prepared("/live/{own_session}/roll"), staff(400), {"status-999999": "present"}, "not in cohort")
    ],
    ("cohorts.import_roll", "POST"): [
        Case(Prepared("/live/{own_session}/roll/import"), staff(400), label="no file")
    ],
    ("cohorts.set_requirement", "POST"): [
        Case(
            Prepared("/cohorts/{own_cohort}/live/requirement"),
            staff(400),
            {"course": "999999", "min_sessions": "2"},
        ),
        Case(
            Prepared("/cohorts/{foreign_cohort}/live/requirement"),
            staff(303),
            {"course": Prepared("{live_course}"), "min_sessions": "2"},
            "admin sets it",
        ),
    ],
}
