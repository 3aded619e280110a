"""Practice tasks in exports, in the learner's data download and erasure, and peer allocation."""

import csv
import io
import itertools

import pytest
import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.courses import services as courses
from lms.reports import services as reports
from lms.reports.filters import PROGRAMME, ReportFilter
from lms.tasks import rubric
from lms.tasks import services as tasks
from lms.tasks.models import PeerAssignment, Review, Submission, SubmissionVersion
from tests.conftest import PASSWORD
from tests.tasks.builder import write_task_course

ANSWER = {"s1": "A dated fact.", "s2": "An ask."}
GOOD = {"level-evidence": "1", "level-ask": "1"}


def _export() -> list[dict[str, str]]:
    out = io.BytesIO()
    reports.export_completions(None, PROGRAMME, ReportFilter(), "csv", out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_export_has_task_status_versions_and_points(enrolled, mentor, task, db):
    ada, bea, cem = enrolled("ada"), enrolled("bea"), enrolled("cem")
    tasks.submit(ada, task, ANSWER, locale="en")
    submission = tasks.get_submission(ada, task)
    tasks.record_decision(
        mentor, submission, lock=submission.lock, form={**GOOD, "level-ask": "0"}, decision="revise"
    )
    tasks.submit(ada, task, ANSWER, locale="en")
    tasks.record_decision(mentor, submission, lock=submission.lock, form=GOOD, decision="approved")
    tasks.save_draft(bea, task, ANSWER, locale="en")
    rows = {r["display_name"]: r for r in _export() if r["course_slug"] == "task-course"}
    assert [
        rows["Name of ada"][k] for k in ("task_statuses", "tasks_approved", "task_versions", "task_points")
    ] == [
        "module-1=approved",
        "1",
        "2",
        "3",
    ]
    assert (
        rows["Name of bea"]["task_statuses"] == "module-1=draft" and rows["Name of bea"]["task_points"] == ""
    )
    assert rows["Name of cem"]["task_statuses"] == "module-1=not_started"
    assert rows["Name of cem"]["tasks_approved"] == "0" and rows["Name of cem"]["task_versions"] == "0"
    assert cem is not None


def test_a_course_without_tasks_leaves_the_task_columns_empty(tmp_path, make_user, db):
    from tests.courses.course_builder import write_course

    course = courses.import_path(write_course(tmp_path, "no-task-course")).course
    courses.enroll(make_user(username="dan"), course)
    row = next(r for r in _export() if r["course_slug"] == "no-task-course")
    assert (row["task_statuses"], row["tasks_approved"], row["task_versions"], row["task_points"]) == (
        "",
        "",
        "",
        "",
    )


def test_the_median_days_to_review_per_course(enrolled, mentor, task, db):
    from datetime import timedelta

    for name, days in (("ada", 1), ("bea", 3), ("cem", 10)):
        user = enrolled(name)
        version = tasks.submit(user, task, ANSWER, locale="en")
        submission = tasks.get_submission(user, task)
        review = tasks.record_decision(mentor, submission, lock=submission.lock, form=GOOD, decision="revise")
        review.created_at = version.submitted_at + timedelta(days=days)
    db.session.flush()
    figures = {slug: days for slug, _counts, days in reports.task_figures(PROGRAMME, ReportFilter())}
    assert figures["task-course"] == 3.0


def test_the_data_download_holds_submissions_and_feedback(client, auth, enrolled, mentor, task, db):
    ada = enrolled("ada")
    tasks.submit(ada, task, ANSWER, locale="en")
    submission = tasks.get_submission(ada, task)
    form = {**GOOD, "comment-ask": "Name the ministry."}
    tasks.record_decision(mentor, submission, lock=submission.lock, form=form, decision="revise")
    db.session.commit()
    auth.login("ada")
    data = client.get("/me/data.json").get_json()
    [item] = data["practice_tasks"]
    assert item["task"] == task.activity_id and item["status"] == "revise"
    [version] = item["versions"]
    assert version["answers"] == ANSWER
    [review] = version["reviews"]
    assert review["decision"] == "revise" and "reviewer" not in review
    assert {"criterion_id": "ask", "level": 1, "points": 1, "comment": "Name the ministry."} in review[
        "scores"
    ]


def test_erasure_deletes_the_learners_submissions_and_keeps_others(enrolled, mentor, task, db):
    ada, bea = enrolled("ada"), enrolled("bea")
    for user in (ada, bea):
        tasks.submit(user, task, ANSWER, locale="en")
        submission = tasks.get_submission(user, task)
        tasks.record_decision(mentor, submission, lock=submission.lock, form=GOOD, decision="revise")
    accounts.erase_user(ada, PASSWORD)
    assert db.session.scalars(sa.select(Submission.user_id)).all() == [bea.id]
    assert db.session.scalar(sa.select(sa.func.count(SubmissionVersion.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 1


# Peers ------------------------------------------------------------------------------------------


def _simulate(authors: int, wanted: int, *, incremental: bool) -> tuple[dict[int, int], dict[int, set[int]]]:
    """Run the allocation as learners would: each asks for work after submitting, then tops up."""
    counts: dict[int, int] = {}
    mine: dict[int, set[int]] = {}

    def ask(reviewer):
        for author in rubric.choose_for_reviewer(reviewer, list(counts.items()), mine[reviewer], wanted):
            assert author != reviewer and author not in mine[reviewer]
            counts[author] += 1
            mine[reviewer].add(author)

    for person in range(1, authors + 1):
        counts[person], mine[person] = 0, set()
        if incremental:
            ask(person)
    for person in range(1, authors + 1):
        ask(person)
    return counts, mine


@pytest.mark.parametrize("incremental", [False, True])
@pytest.mark.parametrize(("authors", "wanted"), [(2, 2), (3, 1), (3, 2), (5, 2), (7, 3), (10, 2), (13, 3)])
def test_peer_allocation_never_self_never_twice_and_even(authors, wanted, incremental):
    counts, mine = _simulate(authors, wanted, incremental=incremental)
    assert all(len(authors_of) == min(wanted, authors - 1) for authors_of in mine.values())
    assert all(reviewer not in authors_of for reviewer, authors_of in mine.items())
    assert max(counts.values()) - min(counts.values()) <= 1


def test_peer_reviews_are_anonymous_advice_and_never_the_decision(tmp_path, make_user, client, auth, db):
    course = courses.import_path(
        write_task_course(tmp_path, "peer-course", review="mentor+peer", peers=2)
    ).course
    task = courses.load_outline(course)[0].task
    learners = [make_user(username=f"peer{n}", display_name=f"Peer Person {n}") for n in range(4)]
    for user in learners:
        courses.enroll(user, course)
        tasks.submit(user, task, {"s1": f"Fact by {user.username}.", "s2": "Ask."}, locale="en")
    for user in learners:
        tasks.request_peer_work(user, task)
    pairs = db.session.execute(sa.select(PeerAssignment.author_id, PeerAssignment.reviewer_id)).all()
    assert all(author != reviewer for author, reviewer in pairs)
    assert len(pairs) == len(set(pairs)) == 4 * 2
    per_reviewer = [sum(1 for _a, r in pairs if r == u.id) for u in learners]
    assert max(per_reviewer) - min(per_reviewer) <= 1
    db.session.commit()

    reviewer = learners[0]
    auth.login(reviewer.username)
    page = client.get("/courses/peer-course/module-1/task").get_data(as_text=True)
    assert "Work to review" in page
    assignment = tasks.peer_assignments(reviewer, task)[0]
    url = f"/courses/peer-course/module-1/task/peer/{assignment.id}"
    shown = client.get(url).get_data(as_text=True)
    author = next(u for u in learners if u.id == assignment.author_id)
    assert f"Fact by {author.username}." in shown and author.display_name not in shown
    assert client.post_form(url, {"level-evidence": "9", "level-ask": "1"}, token_from=url).status_code == 400
    sent = client.post_form(url, {**GOOD, "comment": "Add the source."}, token_from=url)
    assert sent.status_code == 303
    assert (
        client.post_form(url, {**GOOD}, token_from=url).status_code == 303
    )  # told it is done, nothing added
    reviews = db.session.scalars(sa.select(Review)).all()
    assert [(r.kind, r.decision, r.comment) for r in reviews] == [("peer", None, "Add the source.")]
    assert tasks.get_submission(author, task).status == "submitted"
    # Someone else's assignment id is not found.
    foreign = next(a for a in db.session.scalars(sa.select(PeerAssignment)) if a.reviewer_id != reviewer.id)
    assert client.get(f"/courses/peer-course/module-1/task/peer/{foreign.id}").status_code == 404

    auth.logout()
    auth.login(author.username)
    feedback = client.get("/courses/peer-course/module-1/task").get_data(as_text=True)
    assert "Advice from a fellow learner" in feedback and "Add the source." in feedback
    assert reviewer.display_name not in feedback and reviewer.username not in feedback


def test_nobody_reviews_the_same_work_twice_when_asking_again(tmp_path, make_user, client, auth, db):
    course = courses.import_path(
        write_task_course(tmp_path, "peer-course", review="mentor+peer", peers=2)
    ).course
    task = courses.load_outline(course)[0].task
    users = []
    for n in range(5):
        user = make_user(username=f"peer-{n}")
        courses.enroll(user, course)
        tasks.submit(user, task, ANSWER, locale="en")
        users.append(user)
    db.session.commit()
    for user in users:
        auth.login(user.username)
        for _ in range(2):
            url = "/courses/peer-course/module-1/task/peer"
            assert (
                client.post_form(url, {}, token_from="/courses/peer-course/module-1/task").status_code == 303
            )
        auth.logout()
    pairs = db.session.execute(sa.select(PeerAssignment.author_id, PeerAssignment.reviewer_id)).all()
    assert len(pairs) == len(set(pairs)) == 10
    counts = [len(list(g)) for _k, g in itertools.groupby(sorted(a for a, _r in pairs))]
    assert counts == [2] * 5


def test_a_learner_who_has_not_submitted_gets_no_work_to_review(tmp_path, make_user, db):
    course = courses.import_path(
        write_task_course(tmp_path, "peer-course", review="mentor+peer", peers=2)
    ).course
    task = courses.load_outline(course)[0].task
    author, idle = make_user(username="author"), make_user(username="idle")
    tasks.submit(author, task, ANSWER, locale="en")
    with pytest.raises(tasks.TaskError):
        tasks.request_peer_work(idle, task)
    assert db.session.scalar(sa.select(sa.func.count(PeerAssignment.id))) == 0


def test_the_dashboard_shows_task_figures_with_the_median_days_to_review(
    client, auth, make_user, enrolled, mentor, task, db
):
    from datetime import timedelta

    from lms.accounts.models import Role

    for name, days, decision in (("ada", 1, "approved"), ("bea", 3, "revise"), ("cem", 10, "revise")):
        user = enrolled(name)
        version = tasks.submit(user, task, ANSWER, locale="en")
        submission = tasks.get_submission(user, task)
        review = tasks.record_decision(mentor, submission, lock=submission.lock, form=GOOD, decision=decision)
        review.created_at = version.submitted_at + timedelta(days=days)
    tasks.submit(enrolled("dan"), task, ANSWER, locale="en")
    make_user(role=Role.ADMIN, username="boss")
    db.session.commit()
    auth.login("boss")
    page = client.get("/reports/").get_data(as_text=True)
    section = page.split('id="tasks-title"', 1)[1].split("</section>", 1)[0]
    cells = [c.strip() for c in section.split("<td>")[1:]]
    assert [c.split("<", 1)[0] for c in cells] == ["4", "1", "2", "1", "3"]
