"""The editor's long lists page and search: history, lesson history, learners, essays, review queue.

Each list is shown three to a page here (the page size is a module constant), with more
rows than a page; the second page is reachable by its link, a search narrows the list, a
tampered page number is harmless, and a page costs the same number of queries however
long the list is (no query per row).
"""

import re

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.authoring import services
from lms.authoring.models import CourseOwner
from lms.core import pagination
from lms.courses import services as courses
from lms.quizzes import services as quizzes
from lms.tasks import services as tasks
from tests.authoring.conftest import own
from tests.authoring.test_packages import course_with_essay
from tests.tasks.builder import write_task_course
from tests.tasks.test_flow import ANSWER

BASE = "/author/sample-course"
LESSON_PATH = "01-council-and-upr/01-human-rights-council.en.md"
LESSON_HISTORY = f"{BASE}/modules/council-and-upr/lessons/human-rights-council/history"
TAMPERED = ("0", "-4", "abc", "99999999999999999999", "1e3")


@pytest.fixture(autouse=True)
def three_a_page(monkeypatch):
    """Show three rows a page, so a handful of rows spans pages."""
    monkeypatch.setattr(pagination, "PER_PAGE", 3)


def count_queries(db, client, url: str) -> int:
    """Return how many SQL statements one GET of `url` runs (answered 200), on a cold session."""
    db.session.expire_all()
    statements = []

    def listener(*args):
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def next_link(html: str) -> str:
    """Return the href of the page's "next" link."""
    match = re.search(r'<a rel="next" href="([^"]+)"', html)
    assert match, "no next link"
    return match.group(1).replace("&amp;", "&")


def assert_tampered_pages_are_harmless(client, url: str, first: str) -> None:
    """Out-of-range and non-numeric page numbers answer 200: the first page, or an empty last one."""
    sep = "&" if "?" in url else "?"
    for number in TAMPERED:
        response = client.get(f"{url}{sep}page={number}")
        assert response.status_code == 200, number
    assert first in get(client, f"{url}{sep}page=-4")
    past = get(client, f"{url}{sep}page=500")
    assert first not in past and 'rel="prev"' in past


# History --------------------------------------------------------------------------------------


def edit_lesson(db, user, times: int, start: int = 0) -> None:
    ws = services.workspace(user, "sample-course")
    for n in range(start, start + times):
        services.apply(user, ws, {LESSON_PATH: f"# Title\n\nVersion {n}.\n".encode()}, "lesson.edit", f"v{n}")
    db.session.commit()


def test_course_history_pages_and_finds_by_author(client, db, sign_in, sample, people):
    edit_lesson(db, people["owner"], 4)  # the draft's start and four edits by Amal
    edit_lesson(db, people["admin"], 2, start=4)  # two by admin-one (no display name)
    sign_in("owner")
    first = get(client, f"{BASE}/history")
    assert first.count("<tr>") == 1 + 3  # the header row and a page of three
    assert ": <bdi>v5</bdi>" in first and ": <bdi>v2</bdi>" not in first
    second = get(client, next_link(first))
    assert ": <bdi>v2</bdi>" in second and ": <bdi>v5</bdi>" not in second and 'rel="prev"' in second

    by_username = get(client, f"{BASE}/history?q=ADMIN-ONE")
    assert ": <bdi>v4</bdi>" in by_username and ": <bdi>v5</bdi>" in by_username
    assert ": <bdi>v3</bdi>" not in by_username and 'rel="next"' not in by_username
    by_display_name = get(client, f"{BASE}/history?q=amal")
    assert ": <bdi>v3</bdi>" in by_display_name and ": <bdi>v5</bdi>" not in by_display_name
    assert 'rel="next"' in by_display_name and "q=amal" in next_link(by_display_name)
    assert "No changes yet" in get(client, f"{BASE}/history?q=100%25_")  # wildcards are literal
    assert_tampered_pages_are_harmless(client, f"{BASE}/history", ": <bdi>v5</bdi>")


def test_the_history_is_no_longer_cut_and_a_page_costs_fixed_queries(client, db, sign_in, sample, people):
    edit_lesson(db, people["owner"], 4)
    sign_in("owner")
    before = count_queries(db, client, f"{BASE}/history?page=2")
    edit_lesson(db, people["admin"], 6, start=4)
    assert count_queries(db, client, f"{BASE}/history?page=2") == before
    oldest = get(client, f"{BASE}/history?page=4")  # 11 changes: the 11th is on page 4
    assert "Started a draft" in oldest


def test_lesson_history_pages_and_finds_by_author(client, db, sign_in, sample, people):
    edit_lesson(db, people["owner"], 4)
    edit_lesson(db, people["admin"], 1, start=4)
    sign_in("owner")
    first = get(client, LESSON_HISTORY)
    assert first.count("View or restore") == 3
    # Seven revisions: the draft's start wrote the lesson in English and Arabic, then five edits.
    last = get(client, next_link(get(client, next_link(first))))
    assert last.count("View or restore") == 1 and 'rel="next"' not in last
    assert get(client, f"{LESSON_HISTORY}?q=admin-one").count("View or restore") == 1
    assert get(client, f"{LESSON_HISTORY}?q=Amal").count("View or restore") == 3
    assert get(client, f"{LESSON_HISTORY}?q=Amal&page=2").count("View or restore") == 3
    assert get(client, f"{LESSON_HISTORY}?q=nobody").count("View or restore") == 0
    assert_tampered_pages_are_harmless(client, LESSON_HISTORY, "View or restore")
    before = count_queries(db, client, f"{LESSON_HISTORY}?page=2")
    edit_lesson(db, people["admin"], 5, start=10)
    assert count_queries(db, client, f"{LESSON_HISTORY}?page=2") == before


# Learners -------------------------------------------------------------------------------------


def enrol_learners(db, course, make_user, names) -> None:
    for name in names:
        courses.enroll(make_user(username=f"user-{name.lower()}", display_name=name), course)
    db.session.commit()


def test_learners_page_and_are_found_by_display_name_only(client, db, sign_in, sample, make_user):
    enrol_learners(db, sample, make_user, ["Nour", "Rania", "Sami", "Tarek", "Yara"])
    sign_in("owner")
    first = get(client, f"{BASE}/learners")
    assert "Nour" in first and "Sami" in first and "Tarek" not in first
    second = get(client, next_link(first))
    assert "Tarek" in second and "Yara" in second and "Nour" not in second
    found = get(client, f"{BASE}/learners?q=RAN")
    assert "Rania" in found and "Nour" not in found and 'rel="next"' not in found
    # Trainers never see learners' usernames, so a username finds nobody.
    assert "Nour" not in get(client, f"{BASE}/learners?q=user-nour")
    assert "user-" not in first
    assert_tampered_pages_are_harmless(client, f"{BASE}/learners", "Nour")


def test_a_page_of_learners_costs_fixed_queries(client, db, sign_in, sample, make_user):
    enrol_learners(db, sample, make_user, ["A1", "A2", "A3", "A4"])
    sign_in("owner")
    before = count_queries(db, client, f"{BASE}/learners?page=2")
    enrol_learners(db, sample, make_user, [f"B{n}" for n in range(8)])
    assert count_queries(db, client, f"{BASE}/learners?page=2") == before


# Essays ---------------------------------------------------------------------------------------


def write_essays(db, course, make_user, count: int, start: int = 0) -> None:
    quiz = courses.course_quizzes(course)[0]
    for n in range(start, start + count):
        learner = make_user(username=f"writer-{n}", display_name=f"Writer {n}")
        attempt = quizzes.start_attempt(learner, quiz, "en")
        view = quizzes.attempt_view(attempt)
        quizzes.submit_attempt(learner, attempt, {view.questions[0].name: f"Essay number {n}."})
    db.session.commit()


def test_essays_to_mark_page(client, db, sign_in, people, make_user, tmp_path):
    course = course_with_essay(tmp_path, "essay-course")
    own(db, course.slug, people["owner"])
    write_essays(db, course, make_user, 5)
    sign_in("owner")
    url = "/author/essay-course/essays"
    first = get(client, url)
    assert "Essay number 0." in first and "Essay number 2." in first and "Essay number 3." not in first
    second = get(client, next_link(first))
    assert "Essay number 4." in second and "Essay number 0." not in second
    assert "Writer" not in first + second  # marking stays blind
    assert_tampered_pages_are_harmless(client, url, "Essay number 0.")
    before = count_queries(db, client, f"{url}?page=2")
    write_essays(db, course, make_user, 6, start=5)
    assert count_queries(db, client, f"{url}?page=2") == before


# Practice-task review queue -------------------------------------------------------------------


@pytest.fixture
def task_course(tmp_path, db, people):
    course = courses.import_path(write_task_course(tmp_path)).course
    db.session.add(
        CourseOwner(course_slug=course.slug, user_id=people["owner"].id, added_by_id=people["owner"].id)
    )
    db.session.flush()
    return course


def submit_tasks(db, course, make_user, names) -> None:
    task = courses.load_outline(course)[0].task
    for name in names:
        user = make_user(username=f"user-{name.lower()}", display_name=name, role=Role.LEARNER)
        courses.enroll(user, course)
        tasks.submit(user, task, ANSWER, locale="en")
    db.session.commit()


def test_the_review_queue_pages_and_finds_by_name(client, db, sign_in, task_course, make_user):
    submit_tasks(db, task_course, make_user, ["Nour", "Rania", "Sami", "Tarek", "Yara"])
    nameless = make_user(username="quiet-one")
    courses.enroll(nameless, task_course)
    tasks.submit(nameless, courses.load_outline(task_course)[0].task, ANSWER, locale="en")
    db.session.commit()
    sign_in("owner")
    first = get(client, "/author/reviews")
    assert "Nour" in first and "Sami" in first and "Tarek" not in first
    second = get(client, next_link(first))
    assert "Tarek" in second and "quiet-one" in second and "Nour" not in second
    assert "Rania" in get(client, "/author/reviews?q=rani") and "Nour" not in get(
        client, "/author/reviews?q=rani"
    )
    by_username = get(client, "/author/reviews?q=user-yara")
    assert "Yara" in by_username and "Tarek" not in by_username
    assert "quiet-one" in get(client, "/author/reviews?q=QUIET")
    blind = get(client, "/author/reviews?q=rani&blind=1")  # a blind queue names nobody and filters by no name
    assert (
        "Rania" not in blind and 'name="q"' not in blind and blind.count("/author/task-course/reviews/") == 3
    )
    assert_tampered_pages_are_harmless(client, "/author/reviews", "Nour")


def test_a_page_of_the_review_queue_costs_fixed_queries(client, db, sign_in, task_course, make_user):
    submit_tasks(db, task_course, make_user, ["A1", "A2", "A3", "A4"])
    sign_in("owner")
    before = count_queries(db, client, "/author/reviews?page=2")
    submit_tasks(db, task_course, make_user, [f"B{n}" for n in range(8)])
    assert count_queries(db, client, "/author/reviews?page=2") == before
