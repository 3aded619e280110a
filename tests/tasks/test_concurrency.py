"""Two mentors deciding on the same submission at the same moment: one decision is recorded."""

import threading

import pytest
import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.accounts.models import Role
from lms.courses import services as courses
from lms.extensions import db as _db
from lms.tasks import services as tasks
from lms.tasks.models import Review, Submission
from tests.conftest import IS_POSTGRES, PASSWORD
from tests.tasks.builder import write_task_course


@pytest.mark.skipif(not IS_POSTGRES, reason="needs concurrent transactions (PostgreSQL)")
def test_concurrent_decisions_record_exactly_one(app, tmp_path):
    with app.app_context():
        course = courses.import_path(write_task_course(tmp_path, "race-task-course")).course
        task = courses.load_outline(course)[0].task
        author = accounts.register("race-author", PASSWORD)
        mentors = [accounts.register(f"race-mentor-{n}", PASSWORD, role=Role.ADMIN) for n in range(4)]
        tasks.submit(author, task, {"s1": "Fact.", "s2": "Ask."}, locale="en")
        submission = tasks.get_submission(author, task)
        _db.session.commit()
        ids = (submission.id, submission.lock, [m.id for m in mentors], course.id)
    submission_id, lock, mentor_ids, course_id = ids
    outcomes, barrier = [], threading.Barrier(len(mentor_ids))

    def worker(mentor_id: int, decision: str):
        try:
            with app.app_context():
                mentor = accounts.get_user(mentor_id)
                found = _db.session.get(Submission, submission_id)
                barrier.wait()
                tasks.record_decision(
                    mentor,
                    found,
                    lock=lock,
                    form={"level-evidence": "1", "level-ask": "1"},
                    decision=decision,
                )
                _db.session.commit()
                outcomes.append("recorded")
        except tasks.AlreadyReviewed:
            outcomes.append("already")
        except Exception as error:  # collected and asserted below
            outcomes.append(error)

    threads = [
        threading.Thread(target=worker, args=(m, "approved" if n % 2 else "revise"))
        for n, m in enumerate(mentor_ids)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(map(str, outcomes)) == ["already"] * (len(mentor_ids) - 1) + ["recorded"], outcomes
        with app.app_context():
            assert _db.session.scalar(sa.select(sa.func.count(Review.id))) == 1
            status = _db.session.scalar(sa.select(Submission.status).where(Submission.id == submission_id))
            decision = _db.session.scalar(sa.select(Review.decision))
            assert status == decision
    finally:
        with app.app_context():
            _db.session.execute(sa.delete(courses.Course).where(courses.Course.id == course_id))
            _db.session.execute(sa.text("DELETE FROM task_submissions WHERE id = :id"), {"id": submission_id})
            _db.session.execute(sa.text("DELETE FROM tasks WHERE activity_id LIKE '%race-task-course%'"))
            _db.session.execute(sa.text("DELETE FROM statements WHERE object_id LIKE '%race-task-course%'"))
            _db.session.execute(sa.text("DELETE FROM users WHERE username_key LIKE 'race-%'"))
            _db.session.commit()
