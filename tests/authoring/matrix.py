"""Access-matrix entries for the editor (merged into tests/test_access_matrix.py), and its
ownership matrix (run by tests/authoring/test_ownership.py).

MATRIX checks the role gate with no course at hand: only trainers and admins get past it, and
a course that does not exist is 404. OWNERSHIP checks every editing route against courses:
the owner (and an admin) may use it on their course; a trainer who does not own the course
gets 404, exactly as for a course that does not exist, and changes nothing; and every nested
id (revision, owner, essay answer, module, lesson) taken from another course is 404 too.
"""

from dataclasses import dataclass, field

from tests.matrix_support import Case, only
from tests.tasks.matrix import MATRIX as TASKS_MATRIX

EDITORS = ("trainer", "admin")
C = "/author/no-such-course"


def editors(status: int) -> dict[str, int]:
    return only(EDITORS, status)


MATRIX: dict[tuple[str, str], list[Case]] = {
    ("authoring.index", "GET"): [Case("/author/", editors(200))],
    ("authoring.new_course", "POST"): [
        Case(
            "/author/new",
            editors(303),
            {"slug": "matrix-course", "title": "T", "summary": "S", "default_locale": "en", "locales": "en"},
        )
    ],
    ("authoring.import_zip", "POST"): [Case("/author/import", editors(200), label="no file")],
    ("authoring.course", "GET"): [Case(f"{C}/", editors(404))],
    ("authoring.settings", "GET"): [Case(f"{C}/settings", editors(404))],
    ("authoring.settings", "POST"): [Case(f"{C}/settings", editors(404))],
    ("authoring.add_owner", "POST"): [Case(f"{C}/owners", editors(404), {"username": "x"})],
    ("authoring.remove_owner", "POST"): [Case(C + "/owners/{other_user}/remove", editors(404))],
    ("authoring.history", "GET"): [Case(f"{C}/history", editors(404))],
    ("authoring.revision", "GET"): [Case(f"{C}/revisions/1", editors(404))],
    ("authoring.restore", "POST"): [Case(f"{C}/revisions/1/restore", editors(404))],
    ("authoring.publish", "GET"): [Case(f"{C}/publish", editors(404))],
    ("authoring.publish", "POST"): [Case(f"{C}/publish", editors(404))],
    ("authoring.reset", "POST"): [Case(f"{C}/reset", editors(404), {"confirm": "y"})],
    ("authoring.export_draft", "GET"): [Case(f"{C}/export.zip", editors(404))],
    ("authoring.export_published", "GET"): [Case(f"{C}/published.zip", editors(404))],
    ("authoring.learners", "GET"): [Case(f"{C}/learners", editors(404))],
    ("authoring.essays", "GET"): [Case(f"{C}/essays", editors(404))],
    ("authoring.items", "GET"): [Case(f"{C}/items", editors(404))],
    ("authoring.items_csv", "GET"): [Case(f"{C}/items.csv", editors(404))],
    ("authoring.mark_essay", "POST"): [Case(f"{C}/essays/1", editors(404), {"mark": "50"})],
    ("authoring.add_module", "POST"): [Case(f"{C}/modules", editors(404), {"slug": "m", "title": "M"})],
    ("authoring.module", "GET"): [Case(f"{C}/modules/m/", editors(404))],
    ("authoring.module", "POST"): [Case(f"{C}/modules/m/", editors(404))],
    ("authoring.move_module", "POST"): [Case(f"{C}/modules/m/move", editors(404))],
    ("authoring.delete_module", "GET"): [Case(f"{C}/modules/m/delete", editors(404))],
    ("authoring.delete_module", "POST"): [Case(f"{C}/modules/m/delete", editors(404), {"confirm": "y"})],
    ("authoring.add_lesson", "POST"): [
        Case(f"{C}/modules/m/lessons", editors(404), {"slug": "l", "title": "L"})
    ],
    ("authoring.lesson", "GET"): [Case(f"{C}/modules/m/lessons/l/en", editors(404))],
    ("authoring.lesson", "POST"): [Case(f"{C}/modules/m/lessons/l/en", editors(404), {"body": "# L"})],
    ("authoring.move_lesson", "POST"): [Case(f"{C}/modules/m/lessons/l/move", editors(404))],
    ("authoring.delete_lesson", "GET"): [Case(f"{C}/modules/m/lessons/l/delete", editors(404))],
    ("authoring.delete_lesson", "POST"): [
        Case(f"{C}/modules/m/lessons/l/delete", editors(404), {"confirm": "y"})
    ],
    ("authoring.lesson_history", "GET"): [Case(f"{C}/modules/m/lessons/l/history", editors(404))],
    ("authoring.translations", "GET"): [Case(f"{C}/translations", editors(404))],
    ("authoring.preview_course", "GET"): [Case(f"{C}/preview/en/", editors(404))],
    ("authoring.preview_lesson", "GET"): [Case(f"{C}/preview/en/m/l", editors(404))],
    ("authoring.media", "GET"): [Case(f"{C}/media", editors(404))],
    ("authoring.upload_media", "POST"): [Case(f"{C}/media", editors(404))],
    ("authoring.media_file", "GET"): [Case(f"{C}/media/a.png", editors(404))],
    ("authoring.delete_media", "POST"): [Case(f"{C}/media/a.png/delete", editors(404))],
    ("authoring.quiz", "GET"): [
        Case(f"{C}/modules/m/quiz/en", editors(404)),
        Case(f"{C}/assessment/en", editors(404), label="assessment"),
    ],
    ("authoring.question", "GET"): [Case(f"{C}/modules/m/quiz/en/question?qtype=essay", editors(404))],
    ("authoring.question", "POST"): [Case(f"{C}/assessment/en/question?qtype=essay", editors(404))],
    ("authoring.delete_question", "POST"): [Case(f"{C}/modules/m/quiz/en/questions/q1/delete", editors(404))],
    ("authoring.quiz_source", "GET"): [Case(f"{C}/assessment/en/source", editors(404))],
    ("authoring.quiz_source", "POST"): [Case(f"{C}/modules/m/quiz/en/source", editors(404))],
}
# The mentors' review routes, with the practice-task fixtures they need.
MATRIX.update({key: cases for key, cases in TASKS_MATRIX.items() if key[0].startswith("authoring.")})


@dataclass(frozen=True)
class OwnCase:
    """A request on the owner's course; `expect` is the owner's (and an admin's) status.

    Placeholders: {own_rev}/{foreign_rev} revision ids, {co_owner}/{foreign_owner} user ids,
    {own_essay}/{foreign_essay} essay answer ids. Data values "zip:SLUG" and "png" become
    uploaded files.
    """

    url: str
    expect: int
    data: dict[str, str] = field(default_factory=dict)
    label: str = "own"


S = "/author/sample-course"
M = f"{S}/modules/council-and-upr"
L = f"{M}/lessons/human-rights-council"
WRONG = 404

# Routes that are not about one course: the role gate (MATRIX) is their whole story. The
# practice-task review routes are about a course, but the sample course has no task: their
# owner / non-owner / other-course cases are in tests/tasks (matrix.py and the flow tests).
NOT_COURSE_SCOPED = {("authoring.index", "GET"), ("authoring.new_course", "POST")} | {
    key for key in TASKS_MATRIX if key[0].startswith("authoring.")
}

OWNERSHIP: dict[tuple[str, str], list[OwnCase]] = {
    ("authoring.import_zip", "POST"): [OwnCase("/author/import", 303, {"file": "zip:sample-course"})],
    ("authoring.course", "GET"): [OwnCase(f"{S}/", 200)],
    ("authoring.settings", "GET"): [OwnCase(f"{S}/settings", 200)],
    ("authoring.settings", "POST"): [
        OwnCase(
            f"{S}/settings",
            303,
            {
                "locales": "en",
                "default_locale": "en",
                "title_en": "T",
                "summary_en": "S",
                "pass_mark": "70",
                "certificate_valid_years": "0",
            },
        )
    ],
    ("authoring.add_owner", "POST"): [OwnCase(f"{S}/owners", 303, {"username": "trainer-third"})],
    ("authoring.remove_owner", "POST"): [
        OwnCase(S + "/owners/{co_owner}/remove", 303),
        OwnCase(S + "/owners/{foreign_owner}/remove", WRONG, label="owner of another course"),
    ],
    ("authoring.history", "GET"): [OwnCase(f"{S}/history", 200)],
    ("authoring.revision", "GET"): [
        OwnCase(S + "/revisions/{own_rev}", 200),
        OwnCase(S + "/revisions/{foreign_rev}", WRONG, label="revision of another course"),
    ],
    ("authoring.restore", "POST"): [
        OwnCase(S + "/revisions/{own_rev}/restore", 303),
        OwnCase(S + "/revisions/{foreign_rev}/restore", WRONG, label="revision of another course"),
    ],
    ("authoring.publish", "GET"): [OwnCase(f"{S}/publish", 200)],
    ("authoring.publish", "POST"): [OwnCase(f"{S}/publish", 303, data={"accept_translations": "y"})],
    ("authoring.reset", "POST"): [OwnCase(f"{S}/reset", 303, {"confirm": "y"})],
    ("authoring.export_draft", "GET"): [OwnCase(f"{S}/export.zip", 200)],
    ("authoring.export_published", "GET"): [OwnCase(f"{S}/published.zip", 200)],
    ("authoring.learners", "GET"): [OwnCase(f"{S}/learners", 200)],
    ("authoring.essays", "GET"): [OwnCase(f"{S}/essays", 200)],
    ("authoring.items", "GET"): [OwnCase(f"{S}/items", 200), OwnCase(f"{S}/items?locale=xx&phase=zz", 200)],
    ("authoring.items_csv", "GET"): [OwnCase(f"{S}/items.csv", 200)],
    ("authoring.mark_essay", "POST"): [
        OwnCase(S + "/essays/{own_essay}", 303, {"mark": "50"}),
        OwnCase(S + "/essays/{foreign_essay}", WRONG, {"mark": "50"}, label="answer in another course"),
    ],
    ("authoring.add_module", "POST"): [OwnCase(f"{S}/modules", 303, {"slug": "new-module", "title": "New"})],
    ("authoring.module", "GET"): [
        OwnCase(f"{M}/", 200),
        OwnCase(f"{S}/modules/module-1/", WRONG, label="module of another course"),
    ],
    ("authoring.module", "POST"): [
        OwnCase(
            f"{M}/",
            303,
            {
                "title_en": "T",
                "title_ar": "ع",
                "quiz_max_attempts": "0",
                "quiz_feedback": "never",
                "quiz_grading": "last",
            },
        )
    ],
    ("authoring.move_module", "POST"): [OwnCase(f"{M}/move", 303, {"direction": "down"})],
    ("authoring.delete_module", "GET"): [OwnCase(f"{M}/delete", 200)],
    ("authoring.delete_module", "POST"): [OwnCase(f"{M}/delete", 303, {"confirm": "y"})],
    ("authoring.add_lesson", "POST"): [OwnCase(f"{M}/lessons", 303, {"slug": "new-lesson", "title": "New"})],
    ("authoring.lesson", "GET"): [
        OwnCase(f"{L}/ar", 200),
        OwnCase(
            f"{S}/modules/treaty-bodies/lessons/human-rights-council/en",
            WRONG,
            label="lesson of another module",
        ),
        OwnCase(f"{M}/lessons/m1-lesson-1/en", WRONG, label="lesson of another course"),
        OwnCase(f"{L}/fr", WRONG, label="language the course is not taught in"),
    ],
    ("authoring.lesson", "POST"): [OwnCase(f"{L}/en", 303, {"body": "# Title\n\nText.", "action": "save"})],
    ("authoring.move_lesson", "POST"): [OwnCase(f"{L}/move", 303, {"direction": "down"})],
    ("authoring.delete_lesson", "GET"): [OwnCase(f"{L}/delete", 200)],
    ("authoring.delete_lesson", "POST"): [OwnCase(f"{L}/delete", 303, {"confirm": "y"})],
    ("authoring.lesson_history", "GET"): [OwnCase(f"{L}/history", 200)],
    ("authoring.translations", "GET"): [OwnCase(f"{S}/translations", 200)],
    ("authoring.preview_course", "GET"): [OwnCase(f"{S}/preview/tr/", 200)],
    ("authoring.preview_lesson", "GET"): [
        OwnCase(f"{S}/preview/ar/council-and-upr/human-rights-council", 200),
        OwnCase(f"{S}/preview/ar/module-1/m1-lesson-1", WRONG, label="lesson of another course"),
    ],
    ("authoring.media", "GET"): [OwnCase(f"{S}/media", 200)],
    ("authoring.upload_media", "POST"): [OwnCase(f"{S}/media", 303, {"file": "png"})],
    ("authoring.media_file", "GET"): [
        OwnCase(f"{S}/media/upr-cycle.png", 200),
        OwnCase(f"{S}/media/foreign.png", WRONG, label="image of another course"),
    ],
    ("authoring.delete_media", "POST"): [
        OwnCase(f"{S}/media/upr-cycle.png/delete", 303),
        OwnCase(f"{S}/media/foreign.png/delete", WRONG, label="image of another course"),
    ],
    ("authoring.quiz", "GET"): [
        OwnCase(f"{M}/quiz/ar", 200),
        OwnCase(f"{S}/assessment/en", 200, label="assessment"),
        OwnCase(f"{S}/modules/module-1/quiz/en", WRONG, label="quiz of another course"),
    ],
    ("authoring.question", "GET"): [
        OwnCase(f"{M}/quiz/en/question?qid=m1-q01", 200),
        OwnCase(f"{M}/quiz/en/question?qid=e1", WRONG, label="question of another course"),
    ],
    ("authoring.question", "POST"): [
        OwnCase(
            f"{M}/quiz/en/question?qid=m1-q02",
            303,
            {"qid": "m1-q02", "text": "T", "text_format": "moodle", "correct": "true"},
        )
    ],
    ("authoring.delete_question", "POST"): [
        OwnCase(f"{M}/quiz/en/questions/m1-q01/delete", 303, {"confirm": "y"}),
        OwnCase(
            f"{M}/quiz/en/questions/e1/delete", WRONG, {"confirm": "y"}, label="question of another course"
        ),
    ],
    ("authoring.quiz_source", "GET"): [OwnCase(f"{S}/assessment/ar/source", 200)],
    ("authoring.quiz_source", "POST"): [
        OwnCase(f"{M}/quiz/en/source", 303, {"kind": "gift", "mode": "append", "text": "::extra:: More? {T}"})
    ],
}
