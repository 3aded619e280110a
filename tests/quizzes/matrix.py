"""Access-matrix entries for the quiz and assessment routes of courses (merged into the matrix)."""

from tests.matrix_support import Case, everyone, signed_in

Q = "/courses/sample-course/council-and-upr/quiz"
A = "/courses/sample-course/assessment"

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("courses.quiz", "GET"): [
        Case(Q, signed_in(200)),
        Case("/courses/sample-course/treaty-bodies/quiz", signed_in(404), label="module without a quiz"),
        Case("/courses/no-such-course/council-and-upr/quiz", signed_in(404), label="missing course"),
    ],
    # Not enrolled: sent back to the course page to enrol first.
    ("courses.quiz_start", "POST"): [Case(f"{Q}/start", signed_in(303))],
    # Attempt numbers are looked up for the signed-in learner only: nobody has attempt 1 here.
    ("courses.quiz_attempt", "GET"): [Case(f"{Q}/attempts/1", signed_in(404), label="not own")],
    ("courses.quiz_attempt", "POST"): [Case(f"{Q}/attempts/1", signed_in(404), label="not own")],
    ("courses.quiz_result", "GET"): [Case(f"{Q}/attempts/1/result", signed_in(404), label="not own")],
    ("courses.assessment", "GET"): [
        Case(A, signed_in(200)),
        Case("/courses/no-such-course/assessment", signed_in(404), label="missing"),
    ],
    ("courses.assessment_start", "POST"): [
        Case(f"{A}/pre/start", signed_in(303)),
        Case(f"{A}/during/start", everyone(404), label="unknown phase"),
    ],
    ("courses.assessment_attempt", "GET"): [Case(f"{A}/attempts/1", signed_in(404), label="not own")],
    ("courses.assessment_attempt", "POST"): [Case(f"{A}/attempts/1", signed_in(404), label="not own")],
    ("courses.assessment_result", "GET"): [Case(f"{A}/attempts/1/result", signed_in(404), label="not own")],
}
