"""Quiz services: banks, scoring through submit, grading, attempts, feedback, essays, gain, xAPI."""

import random

import pytest
import sqlalchemy as sa

from lms.accounts.models import Role
from lms.core.errors import DomainError
from lms.extensions import db as _db
from lms.quizzes import services
from lms.quizzes.models import Attempt, Question, Quiz
from lms.records.models import Statement

BANK_EN = """\
::intro::Read each question carefully.

::capital::Which city hosts the Human Rights Council?{
  =Geneva#Right: the Palais des Nations.
  ~New York#No: that is the General Assembly.
  ~Vienna#No.
}

::upr::The Universal Periodic Review covers every UN member state.{T#Wrong.#Right.}

::years::How many years does a UPR cycle last?{#4.5:0.5}
"""

BANK_AR = """\
::intro::اقرأ كل سؤال بعناية.

::capital::أي مدينة تستضيف مجلس حقوق الإنسان؟{
  =جنيف#صحيح.
  ~نيويورك#لا.
  ~فيينا#لا.
}

::upr::يشمل الاستعراض الدوري الشامل كل الدول الأعضاء.{T#خطأ.#صحيح.}

::years::كم سنة تستغرق دورة الاستعراض؟{#4.5:0.5}
"""


@pytest.fixture
def make_quiz(db):
    """Factory: make_quiz(banks={"en": GIFT}, kind="module", **settings)."""
    counter = iter(range(1, 10_000))

    def _make(banks=None, *, kind="module", default_locale="en", **settings):
        return services.replace_bank(
            None,
            kind=kind,
            activity_id=f"https://tamkeen.test/xapi/quiz/{next(counter)}",
            settings=settings,
            banks=banks or {"en": BANK_EN},
            default_locale=default_locale,
        )

    return _make


def fields(view):
    """Return {qid: QuestionView} of an attempt view."""
    return {q.qid: q for q in view.questions}


def value_of(question, text):
    """Return the form value of the choice whose HTML contains text."""
    return next(value for value, html in question.choices if text in html)


def answer_all(attempt, right=True):
    """Build a form answering the default bank, right or wrong."""
    view = fields(services.attempt_view(attempt))
    return {
        view["capital"].name: value_of(view["capital"], "Geneva" if right else "Vienna"),
        view["upr"].name: "true" if right else "false",
        view["years"].name: "4.2" if right else "7",
    }


def statements(user):
    """Return the learner's xAPI verbs, oldest first."""
    rows = _db.session.scalars(
        sa.select(Statement).where(Statement.actor_id == user.public_id).order_by(Statement.stored_at)
    )
    return [row.body for row in rows]


def verbs(user):
    return [body["verb"]["display"]["en-US"] for body in statements(user)]


# Banks ----------------------------------------------------------------------------------------


def test_replace_bank_stores_one_row_per_question_and_locale(make_quiz, db):
    quiz = make_quiz({"en": BANK_EN, "ar": BANK_AR}, pass_mark=60, max_attempts=2, shuffle=True)
    rows = db.session.scalars(sa.select(Question).where(Question.quiz_id == quiz.id)).all()
    assert {(r.qid, r.locale) for r in rows} == {
        (qid, locale) for qid in ("intro", "capital", "upr", "years") for locale in ("en", "ar")
    }
    assert quiz.locales == ["en", "ar"]
    assert quiz.settings == {
        "pass_mark": 60,
        "max_attempts": 2,
        "shuffle": True,
        "shuffle_choices": True,
        "questions_per_attempt": None,
        "feedback": "after_submit",
        "grading": "highest",
    }
    capital = next(r for r in rows if r.qid == "capital" and r.locale == "en")
    assert capital.qtype == "multichoice" and capital.parsed.answers[0].text == "Geneva"


def test_a_syntax_error_names_locale_and_line_and_writes_nothing(make_quiz, db):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Quiz))
    broken = BANK_AR.replace("=جنيف#صحيح.", "جنيف")
    with pytest.raises(services.BankError) as error:
        make_quiz({"en": BANK_EN, "ar": broken})
    assert error.value.locale == "ar" and error.value.line == 4
    assert str(error.value).startswith("ar: line 4:")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Quiz)) == before


def test_banks_must_have_ids_aligned_across_locales(make_quiz):
    problems = services.check_banks(
        {"en": BANK_EN, "ar": BANK_AR.replace("::years::", "::cycle::"), "fr": "Sans titre {T}"}, "en"
    )
    messages = {(p.locale, p.message.split(":")[0]) for p in problems}
    assert ("ar", "questions missing from the en bank's ids") in messages
    assert any(p.locale == "ar" and "cycle is not in the en bank" in p.message for p in problems)
    assert any(p.locale == "fr" and "has no id" in p.message for p in problems)
    with pytest.raises(services.BankError):
        make_quiz({"en": BANK_EN, "ar": BANK_AR.replace("{#4.5:0.5}", "{T}")})


def test_settings_and_activity_ids_are_checked(make_quiz):
    with pytest.raises(services.QuizError, match="feedback"):
        make_quiz(feedback="sometimes")
    with pytest.raises(services.QuizError, match="unknown quiz settings"):
        make_quiz(colour="blue")
    quiz = make_quiz()
    with pytest.raises(services.QuizError, match="activity id"):
        services.replace_bank(
            None,
            kind="module",
            activity_id=quiz.activity_id,
            settings={},
            banks={"en": BANK_EN},
            default_locale="en",
        )


def test_updating_a_bank_keeps_open_attempts_valid(make_quiz, make_user, db):
    quiz = make_quiz()
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    form = answer_all(attempt)
    smaller = BANK_EN.split("\n\n::years::")[0] + "\n\n::new::A new question {T}\n"
    services.replace_bank(
        quiz,
        kind="module",
        activity_id=quiz.activity_id,
        settings=quiz.settings,
        banks={"en": smaller},
        default_locale="en",
    )
    retired = db.session.scalar(
        sa.select(Question).where(Question.qid == "years", Question.quiz_id == quiz.id)
    )
    assert retired.is_retired
    assert "years" in fields(services.attempt_view(attempt))
    services.submit_attempt(user, attempt, form)
    assert attempt.score == 100
    # A new attempt draws only from the current bank.
    second = services.start_attempt(user, quiz, "en")
    assert [e["qid"] for e in second.layout] == ["intro", "capital", "upr", "new"]


# Scoring through submit, one question type at a time ------------------------------------------

SINGLE = {
    "multichoice": ("::q::Pick {=Right ~Wrong ~Other}", lambda q: value_of(q, "Right"), 100),
    "multichoice-wrong": ("::q::Pick {=Right ~Wrong ~Other}", lambda q: value_of(q, "Wrong"), 0),
    "multiresponse": (
        "::q::Tick {~%50%A ~%50%B ~%-100%C}",
        lambda q: [value_of(q, "A"), value_of(q, "B")],
        100,
    ),
    "multiresponse-half": ("::q::Tick {~%50%A ~%50%B ~%-100%C}", lambda q: [value_of(q, "A")], 50),
    "multiresponse-floored": (
        "::q::Tick {~%50%A ~%50%B ~%-100%C}",
        lambda q: [value_of(q, "A"), value_of(q, "C")],
        0,
    ),
    "truefalse": ("::q::Geneva is in Switzerland {T}", lambda q: "true", 100),
    "shortanswer": ("::q::Capital of Lebanon? {=Beirut =%50%Beyrouth}", lambda q: "  beirut ", 100),
    "shortanswer-partial": ("::q::Capital of Lebanon? {=Beirut =%50%Beyrouth}", lambda q: "BEYROUTH", 50),
    "numerical": ("::q::Members of the HRC? {#47}", lambda q: "47", 100),
    "numerical-arabic-digits": ("::q::Members of the HRC? {#47}", lambda q: "٤٧", 100),
    "numerical-range": ("::q::A year of the first UPR cycle {#2008..2011}", lambda q: "2010.5", 100),
    "numerical-graded": ("::q::Treaty bodies? {#=10 =%50%9:0}", lambda q: "9", 50),
    "missing-word": (
        "::q::The UPR is run by the Human Rights {=Council} in Geneva.",
        lambda q: "council",
        100,
    ),
    "empty": ("::q::Pick {=Right ~Wrong}", lambda q: None, 0),
}


@pytest.mark.parametrize("case", sorted(SINGLE))
def test_each_question_type_is_scored_through_submit(case, make_quiz, make_user):
    gift_text, answer, expected = SINGLE[case]
    quiz = make_quiz({"en": gift_text})
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    question = services.attempt_view(attempt).questions[0]
    value = answer(question)
    services.submit_attempt(user, attempt, {} if value is None else {question.name: value})
    assert attempt.score == pytest.approx(expected)
    assert attempt.is_passed is (expected >= 70)


def test_matching_is_scored_by_share_of_items_matched(make_quiz, make_user):
    quiz = make_quiz({"en": "::m::Match {=UPR -> Council =CEDAW -> Committee =ICJ -> Court}"})
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    q = services.attempt_view(attempt).questions[0]
    options = {text: value for value, text in q.options}
    stems = {str(html): field for field, html in q.stems}
    form = {stems["UPR"]: options["Council"], stems["CEDAW"]: options["Committee"], stems["ICJ"]: ""}
    services.submit_attempt(user, attempt, form)
    assert attempt.score == pytest.approx(200 / 3, abs=1e-4)


def test_score_is_a_percent_of_the_scored_questions(make_quiz, make_user):
    quiz = make_quiz()
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    form = answer_all(attempt)
    form.pop(next(k for k, v in form.items() if v == "true"))
    services.submit_attempt(user, attempt, form)
    # The description does not count: 2 of 3 questions right.
    assert attempt.score == pytest.approx(66.666667)
    assert len(attempt.responses) == 3


# Attempts -------------------------------------------------------------------------------------


def test_start_returns_the_open_attempt_and_numbers_attempts(make_quiz, make_user):
    quiz = make_quiz()
    user = make_user()
    first = services.start_attempt(user, quiz, "en")
    assert services.start_attempt(user, quiz, "en") is first
    services.submit_attempt(user, first, answer_all(first))
    second = services.start_attempt(user, quiz, "en")
    assert (first.number, second.number) == (1, 2)
    assert services.open_attempt(user, quiz) is second
    assert services.get_attempt(user, quiz, 1) is first


def test_max_attempts_is_enforced(make_quiz, make_user):
    quiz = make_quiz(max_attempts=2)
    user = make_user()
    for _ in range(2):
        attempt = services.start_attempt(user, quiz, "en")
        services.submit_attempt(user, attempt, answer_all(attempt, right=False))
    assert services.best_result(user, quiz).attempts_left == 0
    with pytest.raises(services.NoAttemptsLeft) as refused:
        services.start_attempt(user, quiz, "en")
    assert refused.value.status == 409
    assert services.best_result(make_user(), quiz).attempts_left == 2
    assert services.best_result(user, make_quiz()).attempts_left is None


def test_a_locale_without_a_bank_falls_back_to_the_default(make_quiz, make_user):
    quiz = make_quiz({"en": BANK_EN, "ar": BANK_AR})
    user = make_user()
    assert services.start_attempt(user, quiz, "fr").locale == "en"
    view = services.attempt_view(services.start_attempt(make_user(), quiz, "ar"))
    assert view.dir == "rtl" and "جنيف" in "".join(html for _v, html in fields(view)["capital"].choices)


def test_questions_and_choices_are_frozen_at_start(make_quiz, make_user):
    bank = "\n\n".join(f"::q{i}::Question {i} {{=right{i} ~a{i} ~b{i} ~c{i}}}" for i in range(1, 9))
    quiz = make_quiz({"en": bank}, shuffle=True, questions_per_attempt=4)
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en", rng=random.Random(3))
    view = services.attempt_view(attempt)
    assert len(view.questions) == 4
    assert services.attempt_view(attempt) == view
    orders = set()
    for seed in range(6):
        other = services.start_attempt(make_user(), quiz, "en", rng=random.Random(seed))
        orders.add(tuple(e["qid"] for e in other.layout))
        assert len({tuple(e["choices"]) for e in other.layout}) > 1
    assert len(orders) > 1


def test_descriptions_stay_with_the_question_they_introduce(make_quiz, make_user):
    bank = (
        "::intro::Welcome.\n\n::q1::One {T}\n\n::case::A case study.\n\n::q2::Two {T}\n\n"
        "::q3::Three {T}\n\n::outro::Thank you."
    )
    quiz = make_quiz({"en": bank}, shuffle=True)
    for seed in range(8):
        attempt = services.start_attempt(make_user(), quiz, "en", rng=random.Random(seed))
        qids = [e["qid"] for e in attempt.layout]
        assert qids[0] == "intro" and qids[-1] == "outro"
        assert qids[qids.index("case") + 1] == "q2"
    drawn = make_quiz({"en": bank}, questions_per_attempt=1)
    for seed in range(8):
        qids = [
            e["qid"] for e in services.start_attempt(make_user(), drawn, "en", rng=random.Random(seed)).layout
        ]
        # One question drawn: q1 or q3 alone, or q2 with the case study it belongs to.
        assert qids in (["intro", "q1", "outro"], ["intro", "case", "q2", "outro"], ["intro", "q3", "outro"])


def test_submitting_someone_elses_attempt_is_refused(make_quiz, make_user):
    quiz = make_quiz()
    owner, other = make_user(), make_user()
    attempt = services.start_attempt(owner, quiz, "en")
    with pytest.raises(services.NotAllowed) as refused:
        services.submit_attempt(other, attempt, answer_all(attempt))
    assert refused.value.status == 404  # answered as if the attempt did not exist
    assert attempt.submitted_at is None


# Grading --------------------------------------------------------------------------------------


def take(user, quiz, right):
    """Start and submit one attempt, right or wrong."""
    attempt = services.start_attempt(user, quiz, "en")
    return services.submit_attempt(user, attempt, answer_all(attempt, right=right))


def test_grading_highest_keeps_the_best_attempt(make_quiz, make_user):
    quiz = make_quiz(grading="highest")
    user = make_user()
    take(user, quiz, True)
    take(user, quiz, False)
    result = services.best_result(user, quiz)
    assert (result.score, result.graded_number, result.is_passed) == (100, 1, True)
    assert result.attempts_used == 2 and result.has_passed


def test_grading_last_keeps_the_last_attempt_but_a_pass_stays(make_quiz, make_user):
    quiz = make_quiz(grading="last")
    user = make_user()
    take(user, quiz, True)
    take(user, quiz, False)
    result = services.best_result(user, quiz)
    assert (result.score, result.graded_number, result.is_passed) == (0, 2, False)
    assert result.has_passed


def test_results_for_many_quizzes_use_one_query(make_quiz, make_user, db):
    user = make_user()
    quizzes = [make_quiz() for _ in range(5)]
    for quiz in quizzes[:3]:
        take(user, quiz, True)
    services.start_attempt(user, quizzes[3], "en")
    db.session.expire_all()
    quizzes = db.session.scalars(sa.select(Quiz).where(Quiz.id.in_([q.id for q in quizzes]))).all()
    db.session.refresh(user)
    queries = []
    listener = lambda *args: queries.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        results = services.results_for(user, quizzes)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert len(queries) == 1
    assert set(results) == {q.id for q in quizzes}
    assert [r.score for r in results.values()].count(100) == 3
    assert sum(r.has_open_attempt for r in results.values()) == 1


def test_results_for_an_anonymous_visitor_are_empty(make_quiz):
    class Anonymous:
        is_authenticated = False

    quiz = make_quiz()
    result = services.results_for(Anonymous(), [quiz])[quiz.id]
    assert result.score is None and result.attempts_used == 0


# Feedback -------------------------------------------------------------------------------------


def test_feedback_after_submit_shows_answers_and_feedback(make_quiz, make_user):
    quiz = make_quiz()
    user = make_user()
    attempt = take(user, quiz, False)
    view = services.result_view(attempt, "en")
    assert view.shows_feedback and [q.qid for q in view.questions] == ["capital", "upr", "years"]
    capital = view.questions[0]
    assert capital.state == "incorrect" and capital.fraction == 0
    assert [str(h) for h in capital.feedback] == ["No."]
    assert [str(h) for h in capital.correct] == ["Geneva"]
    upr = view.questions[1]
    assert [str(h) for h in upr.feedback] == ["Wrong."] and [str(h) for h in upr.answer] == ["False"]
    assert [str(h) for h in view.questions[2].correct] == ["4.5 (from 4 to 5)"]


def test_feedback_once_passed_waits_for_a_pass(make_quiz, make_user):
    quiz = make_quiz(feedback="once_passed")
    user = make_user()
    failed = take(user, quiz, False)
    view = services.result_view(failed)
    assert not view.shows_feedback and view.questions == ()
    assert view.score == 0
    take(user, quiz, True)
    assert services.result_view(failed).shows_feedback


def test_feedback_never_shows_only_the_score(make_quiz, make_user):
    quiz = make_quiz(feedback="never")
    user = make_user()
    attempt = take(user, quiz, True)
    view = services.result_view(attempt)
    assert (view.shows_feedback, view.questions, view.score, view.is_passed) == (False, (), 100, True)


def test_feedback_is_in_the_attempts_locale(make_quiz, make_user):
    quiz = make_quiz({"en": BANK_EN, "ar": BANK_AR})
    user = make_user()
    attempt = services.start_attempt(user, quiz, "ar")
    capital = fields(services.attempt_view(attempt))["capital"]
    services.submit_attempt(user, attempt, {capital.name: value_of(capital, "فيينا")})
    view = services.result_view(attempt, "en")
    assert view.dir == "rtl"
    assert [str(h) for h in view.questions[0].feedback] == ["لا."]
    assert [str(h) for h in view.questions[0].correct] == ["جنيف"]


def test_result_of_an_open_attempt_is_refused(make_quiz, make_user):
    quiz = make_quiz()
    user = make_user()
    with pytest.raises(services.QuizError):
        services.result_view(services.start_attempt(user, quiz, "en"))


# Essays ---------------------------------------------------------------------------------------

ESSAY_BANK = "::plan::Outline an advocacy plan.{}\n\n::tf::Lobbying needs a plan.{T}\n"


def test_essays_wait_for_a_mark_and_the_mark_is_final(make_quiz, make_user, db):
    quiz = make_quiz({"en": ESSAY_BANK}, pass_mark=50)
    learner, trainer = make_user(), make_user(role=Role.TRAINER)
    attempt = services.start_attempt(learner, quiz, "en")
    view = fields(services.attempt_view(attempt))
    services.submit_attempt(
        learner, attempt, {view["plan"].name: "Map the actors.", view["tf"].name: "false"}
    )
    assert attempt.needs_marking and not attempt.is_passed and attempt.graded_at is None
    assert verbs(learner) == ["attempted"]
    assert services.best_result(learner, quiz).is_pending
    assert services.result_view(attempt).questions[0].state == "pending"

    essays = services.pending_essays(quiz).items
    assert [(e.qid, str(e.answer)) for e in essays] == [("plan", "Map the actors.")]
    response = services.get_response(essays[0].response_id)
    with pytest.raises(services.NotAllowed):
        services.mark_essay(learner, response, 1.0)
    with pytest.raises(services.QuizError):
        services.mark_essay(trainer, response, 1.5)
    services.mark_essay(trainer, response, 0.8, "Good map; add a timeline.")
    db.session.refresh(attempt)
    assert (attempt.score, attempt.is_passed, attempt.needs_marking) == (40, False, False)
    assert attempt.graded_at is not None
    assert verbs(learner) == ["attempted", "scored", "failed"]  # the essay's mark, then the grade
    assert services.result_view(attempt).questions[0].comment == "Good map; add a timeline."
    with pytest.raises(services.AlreadyMarked):
        services.mark_essay(trainer, response, 1.0)
    assert services.pending_essays(quiz).items == []


def test_managers_mark_essays_too_and_the_refusal_names_who_may(make_quiz, make_user):
    quiz = make_quiz({"en": ESSAY_BANK})
    learner, manager = make_user(), make_user(role=Role.MANAGER)
    attempt = services.start_attempt(learner, quiz, "en")
    name = fields(services.attempt_view(attempt))["plan"].name
    services.submit_attempt(learner, attempt, {name: "Map the actors."})
    response = services.get_response(services.pending_essays(quiz).items[0].response_id)
    with pytest.raises(services.NotAllowed) as refused:
        services.mark_essay(make_user(), response, 1.0)
    assert refused.value.status == 403
    assert refused.value.message == "Only trainers and programme managers mark essays."
    services.mark_essay(manager, response, 1.0)
    assert response.fraction == 1.0 and response.marked_by_id == manager.id
    with pytest.raises(services.AlreadyMarked) as again:
        services.mark_essay(manager, response, 0.5)
    assert again.value.status == 409


def test_quiz_errors_are_domain_errors_with_their_status():
    assert issubclass(services.QuizError, DomainError)
    statuses = {
        services.QuizError: 400,
        services.InvalidSubmission: 400,
        services.BankError: 400,
        services.NotAllowed: 403,
        services.NoAttemptsLeft: 409,
        services.AlreadyMarked: 409,
    }
    assert {cls: cls.status for cls in statuses} == statuses
    assert services.InvalidSubmission("q1: unknown choice").message == "q1: unknown choice"


def test_an_empty_essay_needs_no_marker(make_quiz, make_user):
    quiz = make_quiz({"en": ESSAY_BANK})
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    services.submit_attempt(user, attempt, {})
    assert not attempt.needs_marking and attempt.graded_at is not None and attempt.score == 0


# Pre/post assessment --------------------------------------------------------------------------


def test_assessment_scores_and_normalised_gain(make_quiz, make_user):
    quiz = make_quiz(kind="assessment", max_attempts=2)
    user = make_user()
    with pytest.raises(services.QuizError):
        services.start_attempt(user, quiz, "en")
    assert services.assessment_scores(user, quiz) == (None, None, None, None)
    pre = services.start_attempt(user, quiz, "en", phase="pre")
    form = answer_all(pre, right=False)
    form[fields(services.attempt_view(pre))["upr"].name] = "true"
    services.submit_attempt(user, pre, form)
    with pytest.raises(services.NoAttemptsLeft):
        services.start_attempt(user, quiz, "en", phase="pre")
    assert services.assessment_scores(user, quiz).pre == pytest.approx(100 / 3, abs=1e-4)
    post = services.start_attempt(user, quiz, "en", phase="post")
    services.submit_attempt(user, post, answer_all(post, right=True))
    scores = services.assessment_scores(user, quiz)
    assert scores.post == 100
    assert scores.gain == pytest.approx(200 / 3, abs=1e-4)
    assert scores.normalised_gain == pytest.approx(1.0)
    # Only post attempts count towards the assessment's result and its maximum.
    assert services.best_result(user, quiz).attempts_left == 1


def test_normalised_gain_is_none_when_the_pre_score_is_full(make_quiz, make_user):
    quiz = make_quiz(kind="assessment")
    user = make_user()
    for phase in ("pre", "post"):
        attempt = services.start_attempt(user, quiz, "en", phase=phase)
        services.submit_attempt(user, attempt, answer_all(attempt, right=phase == "pre"))
    assert services.assessment_scores(user, quiz) == (100, 0, -100, None)


def test_module_quizzes_have_no_phase(make_quiz, make_user):
    with pytest.raises(services.QuizError):
        services.start_attempt(make_user(), make_quiz(), "en", phase="pre")


# Learning records -----------------------------------------------------------------------------


def test_xapi_statements_for_attempt_pass_and_fail(make_quiz, make_user):
    quiz = make_quiz()
    user = make_user()
    take(user, quiz, True)
    take(user, quiz, False)
    bodies = statements(user)
    assert [b["verb"]["id"].rsplit("/", 1)[1] for b in bodies] == [
        "attempted",
        "passed",
        "attempted",
        "failed",
    ]
    assert {b["object"]["id"] for b in bodies} == {quiz.activity_id}
    assert bodies[1]["result"] == {
        "score": {"scaled": 1.0, "raw": 3.0, "min": 0, "max": 3},
        "success": True,
        "completion": True,
    }
    assert bodies[3]["result"]["score"]["scaled"] == 0 and bodies[3]["result"]["success"] is False
    assert bodies[0]["actor"]["account"]["name"] == user.public_id


def test_export_user_data_lists_attempts_and_answers(make_quiz, make_user):
    quiz = make_quiz()
    user = make_user()
    take(user, quiz, True)
    data = services.export_user_data(user)
    assert data[0]["quiz"] == quiz.activity_id and data[0]["score"] == 100
    assert {a["question"] for a in data[0]["answers"]} == {"capital", "upr", "years"}


def test_deleting_a_quiz_removes_its_attempts(make_quiz, make_user, db):
    quiz = make_quiz()
    user = make_user()
    take(user, quiz, True)
    db.session.delete(quiz)
    db.session.flush()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(Attempt.user_id == user.id))
        == 0
    )
