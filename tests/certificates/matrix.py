"""Access-matrix entries for the certificates routes (merged into tests/test_access_matrix.py).

The shared runner formats each URL with its own objects (users, organisations) only. Our cases
need certificates too, so their URLs are `Prepared` strings: formatting one first creates, in
the test's rolled-back transaction, a course with one certificate owned by the signed-in role
("own") and one owned by another learner ("foreign"), and completes the sample course for the
role so that it may ask for a certificate. No PDF is rendered: the stored files are stand-ins.
"""

import hashlib
import tempfile
from pathlib import Path

from tests.matrix_support import LOGIN, SIGNED_IN, Case, everyone, only, signed_in

SAMPLE_COURSE = Path(__file__).resolve().parent.parent / "courses" / "fixtures" / "sample-course"
COURSE = "matrix-certificates"


def _setup(objects: dict, organisations: str = "") -> dict:
    import sqlalchemy as sa

    from lms.accounts import services as accounts
    from lms.certificates import codes, services
    from lms.certificates.models import Certificate
    from lms.core.db import utcnow
    from lms.courses import services as courses
    from lms.extensions import db
    from tests.certificates.helpers import complete
    from tests.courses.course_builder import write_course

    course = courses.get_course(COURSE)
    if course is None:
        if courses.get_course("sample-course") is None:
            courses.import_path(SAMPLE_COURSE)
        with tempfile.TemporaryDirectory() as folder:
            courses.import_path(write_course(Path(folder), slug=COURSE, modules=1, lessons_per_module=1))
        course = courses.get_course(COURSE)
        owners = [accounts.get_user(objects["other_user"])]
        if objects.get("self_user"):
            me = accounts.get_user(objects["self_user"])
            complete(me, courses.get_course("sample-course"))
            owners.append(me)
        for owner in owners:
            complete(owner, course)
            certificate = Certificate(
                user_id=owner.id,
                course_id=course.id,
                course_version=course.version,
                code=codes.new_code(),
                name_on_certificate="Matrix Person",
                locale="en",
                issued_at=utcnow(),
            )
            db.session.add(certificate)
            db.session.flush()
            data = b"%PDF-1.7 matrix stand-in " + certificate.code.encode()
            certificate.pdf_sha256 = hashlib.sha256(data).hexdigest()
            certificate.pdf_path = f"{course.id}/{certificate.code}-matrix.pdf"
            services.store_pdf(certificate.pdf_path, data)
        db.session.flush()
    rows = {
        c.user_id: c
        for c in db.session.scalars(sa.select(Certificate).where(Certificate.course_id == course.id))
    }
    foreign = rows[objects["other_user"]]
    if organisations:
        from lms.accounts.models import Role
        from lms.reports import services as reports

        owner_org = "own_org" if organisations == "managed" else "foreign_org"
        accounts.join_organisation(
            accounts.get_user(objects["other_user"]), accounts.get_organisation(objects[owner_org])
        )
        me = accounts.get_user(objects["self_user"]) if objects.get("self_user") else None
        if me is not None and me.role == Role.MANAGER:
            reports.grant_scope(None, me, accounts.get_organisation(objects["own_org"]))
    own = rows.get(objects.get("self_user"), foreign)
    return {
        "own_certificate": own.id,
        "foreign_certificate": foreign.id,
        "own_code": codes.format_code(own.code),
        "course": COURSE,
    }


class Prepared(str):
    """A URL or form value whose formatting first creates the certificates it points to."""

    __slots__ = ()
    organisations = ""

    def format(self, *args, **objects):
        """Create the objects, then format as str.format does."""
        return str.format(self, *args, **{**objects, **_setup(objects, self.organisations)})


class InForeignOrg(Prepared):
    """Prepared, with the other learner in the foreign organisation and managers given their own."""

    __slots__ = ()
    organisations = "foreign"


class InManagedOrg(Prepared):
    """Prepared, with the other learner in the organisation the manager manages."""

    __slots__ = ()
    organisations = "managed"


def _own_or_staff(status: int = 200) -> dict[str, int]:
    return {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, status)}


def _admin_only(status: int = 200, hidden: int = 404) -> dict[str, int]:
    # Outside a manager's organisations a certificate is "not found", as for a learner.
    return {**only(("admin",), status, others=hidden), "anonymous": LOGIN}


def _managed(status: int = 200, hidden: int = 404) -> dict[str, int]:
    return only(("manager", "admin"), status, others=hidden)


def _staff_acts(status: int) -> dict[str, int]:
    # Learners and trainers: 403 before any lookup; managers out of scope: 404.
    return {**only(("admin",), status), "manager": 404}


STAFF_ONLY = only(("manager", "admin"), 200)

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("certificates.request_certificate", "GET"): [
        Case(Prepared("/certificates/sample-course/request"), signed_in(200), label="completed"),
        Case("/certificates/no-such-course/request", signed_in(404), label="missing"),
    ],
    ("certificates.request_certificate", "POST"): [
        Case(
            Prepared("/certificates/sample-course/request"),
            signed_in(200),
            {"name": "Matrix Person", "locale": "en"},
            "preview",
        ),
        Case(
            "/certificates/no-such-course/request", signed_in(404), {"name": "X", "locale": "en"}, "missing"
        ),
    ],
    ("certificates.detail", "GET"): [
        Case(Prepared("/certificates/{own_certificate}"), _own_or_staff(), label="own"),
        Case(Prepared("/certificates/{foreign_certificate}"), _admin_only(), label="foreign"),
        Case(InForeignOrg("/certificates/{foreign_certificate}"), _admin_only(), label="foreign org"),
        Case(InManagedOrg("/certificates/{foreign_certificate}"), _managed(), label="managed org"),
        Case("/certificates/999999", signed_in(404), label="missing"),
    ],
    ("certificates.download", "GET"): [
        Case(Prepared("/certificates/{own_certificate}/certificate.pdf"), _own_or_staff(), label="own"),
        Case(Prepared("/certificates/{foreign_certificate}/certificate.pdf"), _admin_only(), label="foreign"),
        Case(
            InForeignOrg("/certificates/{foreign_certificate}/certificate.pdf"),
            _admin_only(),
            label="foreign org",
        ),
        Case(
            InManagedOrg("/certificates/{foreign_certificate}/certificate.pdf"),
            _managed(),
            label="managed org",
        ),
        Case("/certificates/999999/certificate.pdf", signed_in(404), label="missing"),
    ],
    ("certificates.revoke", "POST"): [
        # A manager's own certificate is theirs to see, not theirs to revoke.
        Case(
            Prepared("/certificates/{own_certificate}/revoke"),
            {**only(("manager", "admin"), 303), "manager": 403},
            {"v-reason": "x"},
            "own",
        ),
        Case(
            Prepared("/certificates/{foreign_certificate}/revoke"),
            _staff_acts(303),
            {"v-reason": "x"},
            "foreign",
        ),
        Case(
            InForeignOrg("/certificates/{foreign_certificate}/revoke"),
            _staff_acts(303),
            {"v-reason": "x"},
            "foreign org",
        ),
        Case(
            InManagedOrg("/certificates/{foreign_certificate}/revoke"),
            only(("manager", "admin"), 303),
            {"v-reason": "x"},
            "managed org",
        ),
        Case("/certificates/999999/revoke", only(("manager", "admin"), 404), {"v-reason": "x"}, "missing"),
    ],
    ("certificates.reissue", "POST"): [
        # An empty form: refused with a message, so the matrix renders no PDF.
        Case(Prepared("/certificates/{foreign_certificate}/reissue"), _staff_acts(303), label="foreign"),
        Case(
            InForeignOrg("/certificates/{foreign_certificate}/reissue"), _staff_acts(303), label="foreign org"
        ),
        Case(
            InManagedOrg("/certificates/{foreign_certificate}/reissue"),
            only(("manager", "admin"), 303),
            label="managed org",
        ),
        Case("/certificates/999999/reissue", only(("manager", "admin"), 404), label="missing"),
    ],
    ("certificates.course_list", "GET"): [
        # Managers outside the learners' organisations get the page, listing none of them
        # (tests/certificates/test_scope.py checks what each scope lists).
        Case(Prepared("/certificates/courses/{course}/"), STAFF_ONLY),
        Case(InForeignOrg("/certificates/courses/{course}/"), STAFF_ONLY, label="foreign org"),
        Case(InManagedOrg("/certificates/courses/{course}/"), STAFF_ONLY, label="managed org"),
        Case("/certificates/courses/no-such-course/", only(("manager", "admin"), 404), label="missing"),
    ],
    ("certificates.course_zip", "GET"): [
        Case(Prepared("/certificates/courses/{course}/certificates.zip"), STAFF_ONLY),
        Case(
            InForeignOrg("/certificates/courses/{course}/certificates.zip"), STAFF_ONLY, label="foreign org"
        ),
        Case(
            InManagedOrg("/certificates/courses/{course}/certificates.zip"), STAFF_ONLY, label="managed org"
        ),
        Case(
            "/certificates/courses/no-such-course/certificates.zip",
            only(("manager", "admin"), 404),
            label="missing",
        ),
    ],
    ("certificates.verify_form", "GET"): [
        Case("/verify", everyone(200)),
        Case("/verify?code=nonsense", everyone(404), label="malformed"),
    ],
    ("certificates.verify", "GET"): [
        Case(Prepared("/verify/{own_code}"), everyone(200)),
        Case("/verify/0000-0000-0000-0000-0000-0000-00", everyone(404), label="unknown"),
    ],
}
