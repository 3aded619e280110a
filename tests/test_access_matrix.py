"""Every route against every role, with own and foreign objects.

A route missing from MATRIX fails `test_every_route_is_in_the_matrix`: adding a route means
deciding, here, who may use it.
"""

from pathlib import Path

import pytest

from tests.authoring.matrix import MATRIX as AUTHORING_MATRIX
from tests.certificates.matrix import MATRIX as CERTIFICATES_MATRIX
from tests.cohorts.matrix import MATRIX as COHORTS_MATRIX
from tests.conftest import PASSWORD
from tests.credentials.matrix import MATRIX as CREDENTIALS_MATRIX
from tests.matrix_support import ROLES, Case, anonymous_only, everyone, only, signed_in
from tests.quizzes.matrix import MATRIX as QUIZZES_MATRIX
from tests.reports.matrix import MATRIX as REPORTS_MATRIX
from tests.tasks.matrix import MATRIX as TASKS_MATRIX

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("static", "GET"): [Case("/static/style.css", everyone(200))],
    ("core.home", "GET"): [Case("/", everyone(200))],
    ("core.healthz", "GET"): [Case("/healthz", everyone(200))],
    ("core.neutral", "GET"): [Case("/notes", everyone(200))],
    ("core.safety", "GET"): [Case("/safety", everyone(200))],
    ("core.set_discreet", "POST"): [Case("/discreet", everyone(303), {"discreet": "1", "next": "/"})],
    ("accounts.quick_exit", "POST"): [Case("/exit", everyone(303))],
    ("core.set_language", "POST"): [Case("/language", everyone(303), {"lang": "ar", "next": "/"})],
    ("accounts.register", "GET"): [Case("/register", anonymous_only(200))],
    ("accounts.register", "POST"): [Case("/register", anonymous_only(200), {"username": "x"})],
    ("accounts.login", "GET"): [Case("/login", everyone(200))],
    ("accounts.login", "POST"): [Case("/login", everyone(200), {"username": "nobody", "password": "wrong!"})],
    ("accounts.logout", "POST"): [Case("/logout", everyone(303))],
    ("accounts.forgot", "GET"): [Case("/forgot", everyone(200))],
    ("accounts.forgot", "POST"): [Case("/forgot", everyone(303), {"email": "nobody@example.org"})],
    ("accounts.reset", "GET"): [Case("/reset/not-a-token", everyone(404))],
    ("accounts.reset", "POST"): [Case("/reset/not-a-token", everyone(404), {"new_password": "x" * 12})],
    ("accounts.recover", "GET"): [Case("/recover", everyone(200))],
    ("accounts.recover", "POST"): [Case("/recover", everyone(200), {"username": "a", "code": "b"})],
    ("accounts.me", "GET"): [Case("/me/", signed_in(200))],
    ("accounts.recovery_codes", "GET"): [Case("/me/recovery-codes", signed_in(200))],
    ("accounts.recovery_codes", "POST"): [Case("/me/recovery-codes", signed_in(200))],
    ("accounts.change_password", "GET"): [Case("/me/password", signed_in(200))],
    ("accounts.change_password", "POST"): [
        Case("/me/password", signed_in(200), {"current_password": "wrong!", "new_password": "y" * 12})
    ],
    ("accounts.profile", "GET"): [Case("/me/profile", signed_in(200))],
    ("accounts.sessions", "GET"): [Case("/me/sessions", signed_in(200))],
    ("accounts.end_session", "POST"): [
        Case("/me/sessions/{own_session}/end", signed_in(303), label="own"),
        Case("/me/sessions/{other_session}/end", signed_in(404), label="foreign"),
        Case("/me/sessions/999999/end", signed_in(404), label="missing"),
    ],
    ("accounts.end_other_sessions", "POST"): [Case("/me/sessions/end-others", signed_in(303))],
    ("accounts.profile", "POST"): [Case("/me/profile", signed_in(303), {"display_name": "N", "locale": ""})],
    ("accounts.download_data", "GET"): [Case("/me/data.json", signed_in(200))],
    ("accounts.erase", "GET"): [Case("/me/erase", signed_in(200))],
    ("accounts.erase", "POST"): [Case("/me/erase", signed_in(200), {"password": "wrong!", "confirm": "y"})],
    ("accounts.join_organisation", "POST"): [
        # Refused with a message: only an organisation's code lets a learner in.
        Case("/me/organisations", signed_in(303), {"code": "NOT-A-CODE"}, "unknown code"),
        Case("/me/organisations", signed_in(400), {"m-organisation": "{foreign_org}"}, "an id, no code"),
    ],
    ("accounts.leave_organisation", "POST"): [
        Case("/me/organisations/{own_org}/leave", signed_in(303), label="own"),
        Case("/me/organisations/{foreign_org}/leave", signed_in(303), label="foreign: harmless"),
        Case("/me/organisations/999999/leave", signed_in(404), label="missing"),
    ],
    ("accounts.admin_users", "GET"): [Case("/admin/users", only(("admin",), 200))],
    ("accounts.admin_disable", "POST"): [
        Case("/admin/users/{other_user}/disable", only(("admin",), 303), label="foreign"),
        Case("/admin/users/{self_user}/disable", only(("admin",), 303), label="own: refused"),
        Case("/admin/users/999999/disable", only(("admin",), 404), label="missing"),
    ],
    ("accounts.admin_enable", "POST"): [
        Case("/admin/users/{other_user}/enable", only(("admin",), 303)),
        Case("/admin/users/999999/enable", only(("admin",), 404), label="missing"),
    ],
    ("accounts.admin_organisations", "GET"): [Case("/admin/organisations", only(("admin",), 200))],
    ("accounts.admin_organisation_code", "POST"): [
        Case("/admin/organisations/{foreign_org}/code", only(("admin",), 303)),
        Case("/admin/organisations/999999/code", only(("admin",), 404), label="missing"),
    ],
    ("accounts.admin_organisations", "POST"): [
        Case("/admin/organisations", only(("admin",), 303), {"name": "New NGO", "country": "TN"})
    ],
    ("courses.catalog", "GET"): [Case("/courses/", everyone(200))],
    ("courses.detail", "GET"): [
        Case("/courses/sample-course/", everyone(200)),
        Case("/courses/no-such-course/", everyone(404), label="missing"),
    ],
    ("courses.enroll", "POST"): [
        Case("/courses/sample-course/enroll", signed_in(303)),
        Case("/courses/no-such-course/enroll", signed_in(404), label="missing"),
    ],
    ("courses.lesson", "GET"): [
        Case("/courses/sample-course/council-and-upr/human-rights-council", everyone(200)),
        Case(
            "/courses/sample-course/treaty-bodies/human-rights-council", everyone(404), label="wrong parent"
        ),
        Case("/courses/sample-course/treaty-bodies/shadow-reports", everyone(303), label="locked"),
    ],
    ("courses.mark_done", "POST"): [
        Case("/courses/sample-course/council-and-upr/human-rights-council/done", signed_in(303)),
        Case(
            "/courses/sample-course/treaty-bodies/human-rights-council/done",
            signed_in(404),
            label="wrong parent",
        ),
        Case("/courses/sample-course/treaty-bodies/shadow-reports/done", signed_in(403), label="locked"),
    ],
    ("courses.media", "GET"): [
        Case("/media/sample-course/upr-cycle.png", everyone(200)),
        Case("/media/sample-course/missing.png", everyone(404), label="missing"),
        Case("/media/no-such-course/upr-cycle.png", everyone(404), label="wrong parent"),
    ],
    ("courses.course_handbook", "GET"): [Case("/courses/sample-course/handbook.pdf", everyone(202))],
    ("courses.module_handbook", "GET"): [
        Case("/courses/sample-course/council-and-upr/handbook.pdf", everyone(202)),
        Case("/courses/sample-course/no-module/handbook.pdf", everyone(404), label="missing"),
    ],
    ("courses.sources", "GET"): [Case("/courses/sample-course/sources", everyone(200))],
}

MATRIX.update(QUIZZES_MATRIX)
MATRIX.update(CERTIFICATES_MATRIX)
MATRIX.update(CREDENTIALS_MATRIX)
MATRIX.update(REPORTS_MATRIX)
MATRIX.update(AUTHORING_MATRIX)
MATRIX.update(TASKS_MATRIX)
MATRIX.update(COHORTS_MATRIX)

SAMPLE_COURSE = Path(__file__).resolve().parent / "courses" / "fixtures" / "sample-course"


def test_every_route_is_in_the_matrix(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without an access-matrix entry: {missing}"
    assert not stale, f"matrix entries for routes that do not exist: {stale}"


CASES = [
    pytest.param(endpoint, method, case, role, id=f"{endpoint}-{method}-{case.label or 'default'}-{role}")
    for (endpoint, method), cases in MATRIX.items()
    for case in cases
    for role in ROLES
]


@pytest.mark.parametrize(("endpoint", "method", "case", "role"), CASES)
def test_access(client, make_user, make_organisation, tmp_path, endpoint, method, case, role):
    from lms.accounts import services
    from lms.courses import services as courses
    from lms.tasks import services as tasks
    from tests.tasks.builder import write_task_course

    if endpoint.startswith("courses."):
        courses.import_path(SAMPLE_COURSE)
    other = make_user(username="someone-else")
    objects = {"foreign_submission": 0}
    if (endpoint, method) in TASKS_MATRIX:
        course = courses.import_path(write_task_course(tmp_path)).course
        courses.enroll(other, course)
        task = courses.load_outline(course)[0].task
        tasks.submit(other, task, {"s1": "A fact.", "s2": "An ask."}, locale="en")
        objects["foreign_submission"] = tasks.get_submission(other, task).id
    services.start_session(other)
    objects |= {
        "other_user": other.id,
        "other_session": services.list_sessions(other)[0].id,
        "own_session": 0,
        "own_org": make_organisation(name="Own NGO").id,
        "foreign_org": make_organisation(name="Foreign NGO").id,
        "self_user": 0,
    }
    if role != "anonymous":
        user = make_user(role=role, username=f"matrix-{role}")
        objects["self_user"] = user.id
        services.join_organisation(user, services.get_organisation(objects["own_org"]))
        response = client.post_form(
            "/login", {"username": user.username, "password": PASSWORD}, token_from="/login"
        )
        assert response.status_code == 303
        objects["own_session"] = services.list_sessions(user)[0].id
    url = case.url.format(**objects)
    if method == "GET":
        response = client.get(url)
    else:
        data = {key: value.format(**objects) for key, value in case.data.items()}
        response = client.post_form(url, data)
    response.close()
    assert response.status_code == case.expect[role], (method, url, role)
