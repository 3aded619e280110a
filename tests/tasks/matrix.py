"""Access-matrix entries for practice tasks (merged into tests/test_access_matrix.py).

The requests run against tests/tasks/builder.py's course, where "someone-else" has submitted
the task: `{foreign_submission}` is that submission. Learners only ever reach their own work
(the task page has no submission id); a trainer who does not own the course gets 404, as for a
submission that does not exist; an admin may review any course's submissions.
"""

from tests.matrix_support import Case, only, signed_in

T = "/courses/task-course/module-1/task"
R = "/author/task-course/reviews"

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("courses.task", "GET"): [
        Case(T, signed_in(200)),
        Case("/courses/task-course/module-2/task", signed_in(404), label="module without a task"),
        Case("/courses/no-such-course/module-1/task", signed_in(404), label="missing course"),
    ],
    # Not enrolled: sent to the course page to enrol first.
    ("courses.task_save", "POST"): [Case(T, signed_in(303), {"action": "save", "s1": "x"})],
    # Not submitted yet: told so on the task page.
    ("courses.task_peer_request", "POST"): [Case(f"{T}/peer", signed_in(303))],
    # Assignments are looked up among the signed-in learner's own: nobody has one here.
    ("courses.task_peer", "GET"): [Case(f"{T}/peer/1", signed_in(404), label="not own")],
    ("courses.task_peer", "POST"): [Case(f"{T}/peer/1", signed_in(404), label="not own")],
    # Attachment ids are looked up in the signed-in learner's own submission: nobody has one here.
    ("courses.task_attachment", "GET"): [Case(f"{T}/attachments/1", signed_in(404), label="not own")],
    ("authoring.review_attachment", "GET"): [
        Case(
            R + "/{foreign_submission}/attachments/999999", only(("trainer", "admin"), 404), label="missing"
        ),
    ],
    ("authoring.review_queue", "GET"): [Case("/author/reviews", only(("trainer", "admin"), 200))],
    ("authoring.review", "GET"): [
        Case(R + "/{foreign_submission}", only(("admin",), 200, others=403) | {"trainer": 404}),
        Case(f"{R}/999999", only(("trainer", "admin"), 404), label="missing"),
        Case(
            "/author/sample-course/reviews/{foreign_submission}",
            only(("trainer", "admin"), 404),
            label="wrong parent",
        ),
    ],
    # Admin: no lock in the form, a 400 that records nothing.
    ("authoring.review", "POST"): [
        Case(R + "/{foreign_submission}", only(("admin",), 400, others=403) | {"trainer": 404}),
    ],
}
