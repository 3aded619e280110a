"""The editor's item-analysis page and CSV, and `flask reports items`, on a course's attempts."""

import csv
import io

import pytest

from lms.courses import services as courses
from lms.quizzes import services as quizzes
from tests.authoring.conftest import own
from tests.quizzes.test_item_analysis import answer_form
from tests.records.test_context import write_course


@pytest.fixture
def attempted(db, tmp_path, people, make_user):
    """A published course owned by `owner`, whose module quiz six learners took (three in Arabic)."""
    course = courses.import_path(write_course(tmp_path)).course
    own(db, course.slug, people["owner"])
    quiz = courses.load_outline(course)[0].quiz
    for i in range(6):
        user = make_user()
        locale = "ar" if i % 2 else "en"
        attempt = quizzes.start_attempt(user, quiz, locale)
        answer = "a1" if i < 4 else "a2"
        form = answer_form(attempt, {"q1": answer, "q2": "An answer."})
        quizzes.submit_attempt(user, attempt, form)
        essay = next(r for r in attempt.responses if r.qid == "q2")
        quizzes.mark_essay(people["admin"], essay, 0.5)
    return course


def test_the_owner_sees_each_question_with_its_figures(client, sign_in, attempted):
    sign_in("owner")
    page = client.get("/author/context-course/items")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Treaty bodies" in html and "Knowledge check" in html
    assert "6 graded attempts" in html
    assert "Which body runs the Universal Periodic Review?" in html
    assert "67%" in html  # q1: four of six right
    arabic = client.get("/author/context-course/items?locale=ar").get_data(as_text=True)
    assert "3 graded attempts" in arabic


def test_the_csv_opens_in_excel_and_lists_every_language(client, sign_in, attempted):
    sign_in("owner")
    response = client.get("/author/context-course/items.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {row["language"] for row in rows} == {"en", "ar", "all"}
    q1 = [r for r in rows if r["question_id"] == "q1" and r["language"] == "all"]
    assert [(r["option_right"], r["option_chosen"]) for r in q1] == [("yes", "4"), ("no", "2")]
    assert q1[0]["quiz"] == "Treaty bodies"


def test_another_trainer_sees_nothing(client, sign_in, attempted):
    sign_in("other")
    assert client.get("/author/context-course/items").status_code == 404
    assert client.get("/author/context-course/items.csv").status_code == 404


def test_an_unknown_language_or_phase_shows_everything(client, sign_in, attempted):
    sign_in("owner")
    html = client.get("/author/context-course/items?locale=zz&phase=later").get_data(as_text=True)
    assert "6 graded attempts" in html


def test_the_cli_prints_and_writes_the_analysis(runner, attempted, tmp_path):
    result = runner.invoke(args=["reports", "items", "--course", "context-course"])
    assert result.exit_code == 0, result.output
    assert "Module quiz: Treaty bodies: 6 graded attempts (ar: 3, en: 3)" in result.output
    assert "Knowledge check: 0 graded attempts" in result.output
    out = tmp_path / "items.csv"
    result = runner.invoke(
        args=["reports", "items", "--course", "context-course", "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    bad = runner.invoke(args=["reports", "items", "--course", "no-such-course"])
    assert bad.exit_code != 0 and "no course no-such-course" in bad.output
