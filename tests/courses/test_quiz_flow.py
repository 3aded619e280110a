"""Quizzes and the pre/post assessment inside courses, end to end through the web pages."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.courses import services
from lms.courses.models import Enrolment, Lesson
from lms.quizzes import services as quizzes
from tests.conftest import ROOT
from tests.quizzes.answering import form_for

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHIPPED = Path(__file__).resolve().parents[2] / "courses"


@pytest.fixture
def sample(db):
    services.import_path(FIXTURES / "sample-course")
    return services.get_course("sample-course")


@pytest.fixture
def learner(make_user, auth):
    user = make_user(username="quiz-taker")
    auth.login("quiz-taker")
    return user


def _attempt(db, user, quiz, number):
    db.session.expire_all()
    return quizzes.get_attempt(user, quiz, number)


def _take(client, db, user, quiz, base, *, right=True, headers=None):
    start = client.post_form(f"{base}/start", token_from=base)
    assert start.status_code == 303, start.status_code
    attempt_url = start.headers["Location"]
    number = int(attempt_url.rstrip("/").split("/")[-1])
    page = client.get(attempt_url, headers=headers or {})
    assert page.status_code == 200
    data = form_for(_attempt(db, user, quiz, number), right=right)
    data["csrf_token"] = client.csrf_token(attempt_url)
    done = client.post(attempt_url, data=data)
    assert done.status_code == 303 and done.headers["Location"].endswith("/result")
    return client.get(done.headers["Location"], headers=headers or {}), number


def test_import_creates_the_module_quiz_and_the_assessment(sample, db):
    modules = services.load_outline(sample)
    assert modules[0].quiz is not None and modules[0].quiz.pass_mark == 80
    assert sample.assessment_quiz is not None and sample.assessment_quiz.kind == "assessment"


def test_the_imported_course_knows_its_quizzes_at_once(db):
    # Without expiring anything: the relationships are set, not only the ids.
    course = services.import_path(FIXTURES / "sample-course").course
    assert course.assessment_quiz is not None and course.assessment_quiz.kind == "assessment"
    assert course.modules[0].quiz is not None and course.modules[0].quiz.kind == "module"


def test_enrolling_offers_the_optional_pre_test(client, sample, learner):
    response = client.post_form("/courses/sample-course/enroll", token_from="/courses/sample-course/")
    assert response.headers["Location"].endswith("/courses/sample-course/assessment")
    page = client.get("/courses/sample-course/assessment").get_data(as_text=True)
    assert "Skip and start the course" in page


def test_a_module_needs_its_quiz_passed(client, db, sample, learner):
    client.post_form("/courses/sample-course/enroll", token_from="/courses/sample-course/")
    module = services.load_outline(sample)[0]
    for lesson in module.lessons:
        path = f"/courses/sample-course/{module.slug}/{lesson.slug}"
        client.post_form(f"{path}/done", token_from=path)
    page = client.get("/courses/sample-course/").get_data(as_text=True)
    assert "Module complete" not in page
    # Module 2 requires module 1 complete: still locked until the quiz is passed.
    assert client.get("/courses/sample-course/treaty-bodies/shadow-reports").status_code == 303
    base = f"/courses/sample-course/{module.slug}/quiz"
    failed, _n = _take(client, db, learner, module.quiz, base, right=False)
    assert "did not reach the pass mark" in failed.get_data(as_text=True)
    passed, _n = _take(client, db, learner, module.quiz, base, right=True)
    assert "You passed." in passed.get_data(as_text=True)
    course_page = client.get("/courses/sample-course/").get_data(as_text=True)
    assert "Passed" in course_page and "Score: 100%" in course_page
    assert client.get("/courses/sample-course/treaty-bodies/shadow-reports").status_code == 200


def test_the_attempt_page_leaks_no_answer(client, db, sample, learner):
    client.post_form("/courses/sample-course/enroll", token_from="/courses/sample-course/")
    module = services.load_outline(sample)[0]
    base = f"/courses/sample-course/{module.slug}/quiz"
    start = client.post_form(f"{base}/start", token_from=base)
    html = client.get(start.headers["Location"]).get_data(as_text=True)
    form = re.search(r"<form.*</form>", html, flags=re.S).group(0)
    for question in module.quiz.questions:
        for answer in question.data.get("answers", []):
            if answer.get("feedback"):
                assert answer["feedback"] not in form
    assert "fraction" not in form and "correct" not in form.lower()


def test_tampered_choice_gives_400_and_records_nothing(client, db, sample, learner):
    client.post_form("/courses/sample-course/enroll", token_from="/courses/sample-course/")
    module = services.load_outline(sample)[0]
    base = f"/courses/sample-course/{module.slug}/quiz"
    url = client.post_form(f"{base}/start", token_from=base).headers["Location"]
    response = client.post_form(url, {"q1": "999", "q404": "1"}, token_from=url)
    assert response.status_code == 400
    attempt = _attempt(db, learner, module.quiz, 1)
    assert not attempt.is_submitted and attempt.responses == []


def test_another_learners_attempt_is_not_found(client, db, sample, learner, make_user, app):
    other = make_user(username="someone-else")
    services.enroll(other, sample)
    module = services.load_outline(sample)[0]
    with app.test_request_context():
        quizzes.start_attempt(other, module.quiz, "en")
    # The URL names attempt numbers per learner: number 1 is the other learner's only attempt.
    assert client.get(f"/courses/sample-course/{module.slug}/quiz/attempts/1").status_code == 404


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_shipped_course_can_be_taken_to_completion_with_pre_and_post(client, db, runner, learner, locale):
    assert runner.invoke(args=["courses", "import", str(SHIPPED / "civil-society")]).exit_code == 0
    course = services.get_course("civil-society")
    headers = {"Accept-Language": locale}
    client.post_form("/language", {"lang": locale, "next": "/"})
    client.post_form("/courses/civil-society/enroll", token_from="/courses/civil-society/")
    quiz = course.assessment_quiz
    pre, _n = _take(
        client, db, learner, quiz, "/courses/civil-society/assessment/pre", right=False, headers=headers
    )
    assert pre.status_code == 200
    for module in services.load_outline(course):
        for lesson in module.lessons:
            path = f"/courses/civil-society/{module.slug}/{lesson.slug}"
            assert client.get(path).status_code == 200
            client.post_form(f"{path}/done", token_from=path)
        result, _n = _take(
            client, db, learner, module.quiz, f"/courses/civil-society/{module.slug}/quiz", headers=headers
        )
        body = result.get_data(as_text=True)
        assert f'lang="{locale}"' in body
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == learner.id))
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None
    post, _n = _take(client, db, learner, quiz, "/courses/civil-society/assessment/post", headers=headers)
    assert post.status_code == 200
    scores = quizzes.assessment_scores(learner, quiz)
    assert scores.pre == 0 and scores.post == 100 and scores.normalised_gain == 1.0
    page = client.get("/courses/civil-society/assessment").get_data(as_text=True)
    assert "100" in page
    lesson_files = [
        p for p in (ROOT / "courses" / "civil-society").glob("*/*.en.md") if not p.name.startswith("task.")
    ]
    assert db.session.scalar(sa.select(sa.func.count(Lesson.id)).where(Lesson.course_id == course.id)) == len(
        lesson_files
    )
