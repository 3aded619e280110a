"""The loop through the web pages: draft, submit, rubric feedback, revise, approve, module complete."""

import re

import sqlalchemy as sa

from lms.courses import services as courses
from lms.courses.models import Enrolment
from lms.records.models import Statement
from lms.tasks import services as tasks
from lms.tasks.models import Review, Submission, SubmissionVersion
from tests.tasks.conftest import BASE

ANSWER = {
    "s1": "On 3 March 2026 police closed 4 NGOs (source: our monitoring log).",
    "s2": "Repeal article 8 by 2027.",
}


def _post(client, data):
    return client.post_form(BASE, data, token_from=BASE)


def _submission(db, user, task):
    db.session.expire_all()
    return tasks.get_submission(user, task)


def _review_form(client, slug, submission_id, **data):
    url = f"/author/{slug}/reviews/{submission_id}"
    page = client.get(url)
    assert page.status_code == 200
    lock = re.search(r'name="lock" value="(\d+)"', page.get_data(as_text=True)).group(1)
    return url, {"lock": lock, **data}


def test_the_task_page_shows_the_brief_template_and_rubric_sections(client, auth, enrolled, task):
    enrolled("ada")
    auth.login("ada")
    page = client.get(BASE).get_data(as_text=True)
    assert "Write a short statement" in page and "<strong>short</strong>" in page
    assert 'name="s1"' in page and 'name="s2"' in page and "One dated fact with its source." in page
    assert "At most 50 words." in page


def test_a_draft_is_kept_and_submitting_freezes_a_version(client, auth, enrolled, task, db):
    user = enrolled("ada")
    auth.login("ada")
    assert _post(client, {**ANSWER, "action": "save"}).status_code == 303
    submission = _submission(db, user, task)
    assert submission.status == "draft" and submission.draft == ANSWER and submission.versions == []
    assert ANSWER["s2"] in client.get(BASE).get_data(as_text=True)
    assert _post(client, {**ANSWER, "action": "submit"}).status_code == 303
    submission = _submission(db, user, task)
    assert submission.status == "submitted" and [v.number for v in submission.versions] == [1]
    assert submission.versions[0].answers == ANSWER
    # Frozen while waiting: no form, and a save is refused without changing anything.
    assert 'name="s1"' not in client.get(BASE).get_data(as_text=True)
    assert _post(client, {"s1": "changed", "s2": "", "action": "save"}).status_code == 422
    assert _submission(db, user, task).versions[0].answers == ANSWER
    verbs = db.session.scalars(sa.select(Statement.verb).where(Statement.object_id == task.activity_id)).all()
    assert "http://activitystrea.ms/schema/1.0/submit" in verbs


def test_over_the_word_limit_the_submit_is_refused_and_the_draft_kept(client, auth, enrolled, task, db):
    user = enrolled("ada")
    auth.login("ada")
    long_text = "word " * 60
    response = _post(client, {"s1": long_text, "s2": "Ask.", "action": "submit"})
    assert response.status_code == 303
    page = client.get(BASE).get_data(as_text=True)
    assert "Your answer has 61 words; the limit is 50 words." in page
    submission = _submission(db, user, task)
    assert submission.status == "draft" and submission.versions == []
    assert submission.draft["s1"] == long_text.strip()


def test_html_in_answers_is_shown_as_text(client, auth, enrolled, task, db):
    enrolled("ada")
    auth.login("ada")
    _post(client, {"s1": "<script>alert(1)</script> **bold**", "s2": "Ask.", "action": "submit"})
    page = client.get(BASE).get_data(as_text=True)
    assert (
        "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; **bold**" in page
    )


def test_the_whole_loop_completes_the_module_only_once_approved(
    client, auth, enrolled, mentor, task, task_course, db
):
    user = enrolled("ada")
    auth.login("ada")
    for module in courses.load_outline(task_course):
        for lesson in module.lessons:
            courses.record_lesson_done(user, task_course, lesson)
    db.session.commit()
    _post(client, {**ANSWER, "action": "submit"})
    course_page = client.get("/courses/task-course/").get_data(as_text=True)
    assert "The module is complete once a mentor approves your answer." in course_page
    submission = _submission(db, user, task)

    auth.logout()
    auth.login("mentor")
    assert "1 practice task is waiting for your review" in client.get("/author/").get_data(as_text=True)
    queue = client.get("/author/reviews").get_data(as_text=True)
    assert "Name of ada" in queue and f"/author/task-course/reviews/{submission.id}" in queue
    assert "Name of ada" not in client.get("/author/reviews?blind=1").get_data(as_text=True)
    url, form = _review_form(client, "task-course", submission.id)
    form.update(
        {
            "level-evidence": "1",
            "comment-evidence": "Good: dated and sourced.",
            "level-ask": "0",
            "comment-ask": "Say who must act and by when.",
            "comment": "Nearly there.",
            "decision": "revise",
        }
    )
    assert client.post_form(url, form, token_from=url).status_code == 303
    assert _submission(db, user, task).status == "revise"

    auth.logout()
    auth.login("ada")
    feedback = client.get(BASE).get_data(as_text=True)
    assert (
        "Say who must act and by when." in feedback and "Decision: please revise and submit again" in feedback
    )
    assert "Dated, sourced facts." in feedback and "Nearly there." in feedback
    assert "mentor" not in re.sub(r"(?i)a mentor|mentor’s|mentor's", "", feedback.split('id="feedback"')[1])
    revised = {**ANSWER, "s2": "The Ministry of Interior must repeal article 8 by 31 December 2027."}
    _post(client, {**revised, "action": "submit"})
    page = client.get(BASE).get_data(as_text=True)
    assert "What changed since the previous version" in page
    assert "<ins>+ The Ministry of Interior must repeal article 8 by 31 December 2027.</ins>" in page
    assert "<del>- Repeal article 8 by 2027.</del>" in page
    assert db.session.scalar(sa.select(Enrolment.completed_at).where(Enrolment.user_id == user.id)) is None

    auth.logout()
    auth.login("mentor")
    url, form = _review_form(client, "task-course", submission.id)
    assert "What changed since the previous version" in client.get(url).get_data(as_text=True)
    form.update({"level-evidence": "1", "level-ask": "1", "comment": "Approved.", "decision": "approved"})
    assert client.post_form(url, form, token_from=url).status_code == 303
    assert _submission(db, user, task).status == "approved"

    auth.logout()
    auth.login("ada")
    course_page = client.get("/courses/task-course/").get_data(as_text=True)
    assert "Approved" in course_page
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(Enrolment.completed_at).where(Enrolment.user_id == user.id)) is not None
    )
    verbs = db.session.scalars(sa.select(Statement.verb).where(Statement.object_id == task.activity_id)).all()
    assert verbs.count("http://adlnet.gov/expapi/verbs/scored") == 2
    assert verbs.count("http://activitystrea.ms/schema/1.0/approve") == 1


def test_approval_needs_the_pass_points(client, auth, enrolled, mentor, task, db):
    user = enrolled("ada")
    tasks.submit(user, task, ANSWER, locale="en")
    db.session.commit()
    auth.login("mentor")
    submission = _submission(db, user, task)
    url, form = _review_form(client, "task-course", submission.id)
    form.update({"level-evidence": "0", "level-ask": "1", "decision": "approved"})
    response = client.post_form(url, form, token_from=url)
    assert response.status_code == 422 and "An approval needs at least 3 points" in response.get_data(
        as_text=True
    )
    assert _submission(db, user, task).status == "submitted"
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_a_tampered_level_or_criterion_is_a_400_that_records_nothing(
    client, auth, enrolled, mentor, task, db
):
    user = enrolled("ada")
    tasks.submit(user, task, ANSWER, locale="en")
    db.session.commit()
    auth.login("mentor")
    submission = _submission(db, user, task)
    for bad in (
        {"level-evidence": "7", "level-ask": "1"},
        {"level-evidence": "1", "level-ask": "x"},
        {"level-evidence": "1", "level-ask": "1", "level-invented": "0"},
        {"level-evidence": "1"},
    ):
        url, form = _review_form(client, "task-course", submission.id)
        response = client.post_form(url, {**form, **bad, "decision": "revise"}, token_from=url)
        assert response.status_code == 400, bad
    url, form = _review_form(client, "task-course", submission.id)
    bad_decision = {**form, "level-evidence": "1", "level-ask": "1", "decision": "maybe"}
    assert client.post_form(url, bad_decision, token_from=url).status_code == 400
    assert _submission(db, user, task).status == "submitted"
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_the_second_of_two_mentors_is_told_it_was_already_reviewed(client, auth, enrolled, mentor, task, db):
    user = enrolled("ada")
    tasks.submit(user, task, ANSWER, locale="en")
    db.session.commit()
    auth.login("mentor")
    submission = _submission(db, user, task)
    # Both mentors loaded the form at the same lock value.
    url, first = _review_form(client, "task-course", submission.id)
    _url, second = _review_form(client, "task-course", submission.id)
    first.update({"level-evidence": "1", "level-ask": "1", "decision": "approved"})
    second.update({"level-evidence": "0", "level-ask": "0", "decision": "revise", "comment": "Late."})
    assert client.post_form(url, first, token_from=url).status_code == 303
    response = client.post_form(url, second, token_from=url)
    assert response.status_code == 409
    assert "This submission was already reviewed: nothing was recorded." in response.get_data(as_text=True)
    assert _submission(db, user, task).status == "approved"
    reviews = db.session.scalars(sa.select(Review)).all()
    assert [(r.decision, r.points) for r in reviews] == [("approved", 3)]


def test_the_service_lock_refuses_a_stale_decision(enrolled, mentor, task, db):
    user = enrolled("ada")
    tasks.submit(user, task, ANSWER, locale="en")
    submission = tasks.get_submission(user, task)
    form = {"level-evidence": "1", "level-ask": "1"}
    tasks.record_decision(mentor, submission, lock=submission.lock, form=form, decision="revise")
    stale = submission.lock - 1
    try:
        tasks.record_decision(mentor, submission, lock=stale, form=form, decision="approved")
    except tasks.AlreadyReviewed:
        pass
    else:
        raise AssertionError("a stale lock recorded a decision")
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 1
    assert db.session.scalar(sa.select(Submission.status)) == "revise"
    assert db.session.scalar(sa.select(sa.func.count(SubmissionVersion.id))) == 1


def test_the_queue_filters_by_cohort_and_ignores_a_foreign_cohort(
    client, auth, enrolled, mentor, task, task_course, db
):
    from lms.cohorts.models import Cohort, CohortCourse, CohortMember

    in_cohort, outside = enrolled("in-cohort"), enrolled("outside")
    for user in (in_cohort, outside):
        tasks.submit(user, task, ANSWER, locale="en")
    ours = Cohort(name="Beirut spring cohort", join_code="QQQQQQQQQQ")
    theirs = Cohort(name="Another course's cohort", join_code="RRRRRRRRRR")
    db.session.add_all([ours, theirs])
    db.session.flush()
    db.session.add(CohortCourse(cohort_id=ours.id, course_id=task_course.id))
    db.session.add(CohortMember(cohort_id=ours.id, user_id=in_cohort.id, source="code"))
    db.session.commit()
    auth.login("mentor")
    page = client.get("/author/reviews").get_data(as_text=True)
    assert "Beirut spring cohort" in page and "Another course" not in page  # only my courses' cohorts
    assert "Name of in-cohort" in page and "Name of outside" in page
    filtered = client.get(f"/author/reviews?cohort={ours.id}").get_data(as_text=True)
    assert "Name of in-cohort" in filtered and "Name of outside" not in filtered
    foreign = client.get(f"/author/reviews?cohort={theirs.id}").get_data(as_text=True)
    assert "Name of in-cohort" in foreign and "Name of outside" in foreign  # not a filter of mine
    assert client.get("/author/reviews?cohort=99999999999999").status_code == 200


def test_a_cohort_members_work_is_peer_reviewed_within_the_cohort(
    client, auth, enrolled, task, task_course, db
):
    from lms.cohorts.models import Cohort, CohortCourse, CohortMember
    from lms.courses import signals

    member, other_member, outsider = enrolled("member-a"), enrolled("member-b"), enrolled("outsider")
    cohort = Cohort(name="Tunis cohort", join_code="SSSSSSSSSS")
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortCourse(cohort_id=cohort.id, course_id=task_course.id))
    for user in (member, other_member):
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, source="code"))
    db.session.commit()
    assert signals.peer_group_requested.receivers, "cohorts must say which group a learner is in"
    for user in (member, other_member, outsider):
        auth.login(user.username)
        assert _post(client, {**ANSWER, "action": "submit"}).status_code == 303
        auth.logout()
    contexts = {u.username: _submission(db, u, task).context for u in (member, other_member, outsider)}
    assert contexts == {
        "member-a": f"task-course#cohort-{cohort.id}",
        "member-b": f"task-course#cohort-{cohort.id}",
        "outsider": "task-course",
    }


def test_task_errors_carry_their_http_status():
    from lms.core.errors import ConflictError, DomainError

    assert issubclass(tasks.TaskError, DomainError) and tasks.TaskError("x").status == 422
    assert tasks.OverWordLimit("x").status == 422
    refused = tasks.AlreadyReviewed("Already reviewed.")
    assert isinstance(refused, ConflictError) and isinstance(refused, tasks.TaskError)
    assert refused.status == 409 and refused.message == "Already reviewed."
