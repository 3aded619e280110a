"""Access-matrix entries for the reports routes (merged into tests/test_access_matrix.py).

The matrix manager has been given no organisation: they may open the reports but see nobody,
and any organisation id they put in a filter is someone else's (403).
"""

from tests.matrix_support import Case, only, signed_in

MANAGERS = ("manager", "admin")


def managers(status: int, admin: int | None = None) -> dict[str, int]:
    expect = only(MANAGERS, status)
    if admin is not None:
        expect["admin"] = admin
    return expect


MATRIX: dict[tuple[str, str], list[Case]] = {
    ("reports.dashboard", "GET"): [
        Case("/reports/", managers(200)),
        Case("/reports/?organisation={foreign_org}", managers(403, admin=200), label="foreign org"),
        Case("/reports/?organisation={own_org}", managers(403, admin=200), label="member, not managed"),
        Case("/reports/?organisation=999999", managers(403, admin=404), label="missing org"),
        Case("/reports/?cohort=999999", managers(403, admin=404), label="missing cohort"),
        Case("/reports/?since=someday", managers(400), label="bad date"),
    ],
    ("reports.export_completions", "POST"): [
        Case("/reports/completions.csv", managers(200)),
        Case("/reports/completions.xlsx", managers(200), label="xlsx"),
        Case(
            "/reports/completions.csv?organisation={foreign_org}",
            managers(403, admin=200),
            label="foreign org",
        ),
        Case("/reports/completions.xlsx?cohort=999999", managers(403, admin=404), label="missing cohort"),
    ],
    ("reports.live_attendance", "GET"): [
        Case("/reports/live", managers(200)),
        Case("/reports/live?cohort=999999", managers(403, admin=404), label="missing cohort"),
    ],
    ("reports.export_attendance", "POST"): [
        Case("/reports/attendance.csv", managers(200)),
        Case("/reports/attendance.csv?cohort=999999", managers(403, admin=404), label="missing cohort"),
    ],
    ("reports.export_statements", "POST"): [
        Case("/reports/statements.jsonl", managers(200), {"since": "2025-01-01", "until": "2025-12-31"}),
        Case(
            "/reports/statements.jsonl",
            managers(400),
            {"since": "2025-12-31", "until": "2025-01-01"},
            label="reversed range",
        ),
    ],
    ("reports.audit", "GET"): [Case("/reports/audit", only(("admin",), 200))],
    ("reports.cohort_list", "GET"): [Case("/reports/cohorts", managers(200))],
    ("reports.cohort_list", "POST"): [
        # Not a course or organisation the form offers: the form is shown again, nothing created.
        Case(
            "/reports/cohorts",
            managers(200),
            {"name": "C", "courses": "999999", "organisations": "{foreign_org}"},
        )
    ],
    ("reports.cohort_detail", "GET"): [Case("/reports/cohorts/999999", managers(404), label="missing")],
    ("reports.cohort_upload", "POST"): [
        Case("/reports/cohorts/999999/members", managers(404), label="missing")
    ],
    ("reports.cohort_code", "POST"): [Case("/reports/cohorts/999999/code", managers(404), label="missing")],
    ("reports.join_cohort", "GET"): [Case("/cohorts/join", signed_in(200))],
    ("reports.join_cohort", "POST"): [
        Case("/cohorts/join", signed_in(200), {"code": "NOT-A-CODE"}, "unknown code")
    ],
    ("reports.managers", "GET"): [Case("/reports/managers", only(("admin",), 200))],
    ("reports.managers", "POST"): [
        Case(
            "/reports/managers",
            only(("admin",), 200),
            {"manager": "{other_user}", "organisation": "{own_org}"},
            "not a manager",
        )
    ],
    ("reports.revoke", "POST"): [
        Case("/reports/managers/{other_user}/revoke", only(("admin",), 400), {"organisation": "{own_org}"}),
        Case(
            "/reports/managers/999999/revoke", only(("admin",), 404), {"organisation": "programme"}, "missing"
        ),
    ],
    ("reports.demographics", "GET"): [Case("/me/demographics", signed_in(200))],
    ("reports.demographics", "POST"): [
        Case("/me/demographics", signed_in(303), {"gender": "female", "age_band": "25_34", "is_shared": "y"}),
        Case("/me/demographics", signed_in(200), {"gender": "robot", "age_band": ""}, "not offered"),
    ],
}
