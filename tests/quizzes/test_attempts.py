"""Attempt integrity: no answer in the form, one grade per attempt, races, tampered forms."""

import dataclasses
import threading
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.datastructures import MultiDict

import lms.quizzes
from lms.accounts import services as account_services
from lms.accounts.models import User
from lms.extensions import db as _db
from lms.quizzes import services
from lms.quizzes.models import Attempt, Quiz, Response
from lms.records.models import Statement
from tests.conftest import PASSWORD

TEMPLATES = Path(lms.quizzes.__file__).parent / "templates"

# Every string here that is not shown to the learner before submitting must stay out of the form.
LEAKY_BANK = """\
::mc::Which body reviews every state? {
  =UPRRIGHT#FEEDBACK-MC-RIGHT
  ~Security Council#FEEDBACK-MC-WRONG
  ~General Assembly
  ####GENFEEDBACK-MC
}

::mr::Tick the treaty bodies {~%50%CEDAW#FEEDBACK-MR-A ~%50%CRC#FEEDBACK-MR-B ~%-100%ECOSOC#FEEDBACK-MR-C}

::tf::The UPR is a peer review.{T#FEEDBACK-TF-WRONG#FEEDBACK-TF-RIGHT####GENFEEDBACK-TF}

::sa::Which city hosts the Council? {=SECRETCITY#FEEDBACK-SA =%50%SECRETHALF}

::num::In which year was the UDHR adopted? {#1948:0#FEEDBACK-NUM ~#FEEDBACK-NUM-OTHER}

::match::Match the body to its kind {=UPR -> peer review =CEDAW -> treaty body =ICJ -> court}

::mw::The Council meets in {=SECRETGENEVA#FEEDBACK-MW} three times a year.

::essay::Outline your advocacy plan.{####GENFEEDBACK-ESSAY}
"""
SECRETS = [
    "FEEDBACK",
    "GENFEEDBACK",
    "SECRETCITY",
    "SECRETHALF",
    "SECRETGENEVA",
    "1948",
    "%",
    "correct",
    "fraction",
    "weight",
]
SIMPLE_BANK = "::a::First {=right ~wrong ~other}\n\n::b::Second {T}\n\n::c::Third {#42}\n"


@pytest.fixture
def make_quiz(db):
    """Factory: make_quiz(bank, **settings) for a module quiz in English."""

    def _make(bank=SIMPLE_BANK, **settings):
        return services.replace_bank(
            None,
            kind="module",
            activity_id=f"https://tamkeen.test/xapi/{uuid.uuid4()}",
            settings=settings,
            banks={"en": bank},
            default_locale="en",
        )

    return _make


def render(app, source, **context):
    """Render a template string that imports the quizzes macros, inside a request."""
    env = app.jinja_env.overlay(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)), app.jinja_env.loader]))
    with app.test_request_context("/"):
        return env.from_string(source).render(**context)


class Collector(HTMLParser):
    """Collect every text node and attribute value of a page (the CSRF token left out)."""

    def __init__(self):
        super().__init__()
        self.parts, self.inputs = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("name") == "csrf_token":
            return
        self.parts.append(tag)
        self.parts += [f"{key}={value}" for key, value in attrs.items()]
        if tag in ("input", "option"):
            self.inputs.append(attrs)

    def handle_data(self, data):
        self.parts.append(data)

    def handle_comment(self, data):
        self.parts.append(data)


def by_qid(view):
    return {q.qid: q for q in view.questions}


def _shown(question, text):
    return next(value for value, html in question.choices if html == text)


def counts(user, attempt):
    """Return (responses of the attempt, statements of the learner)."""
    responses = _db.session.scalar(
        sa.select(sa.func.count()).select_from(Response).where(Response.attempt_id == attempt.id)
    )
    statements = _db.session.scalar(
        sa.select(sa.func.count()).select_from(Statement).where(Statement.actor_id == user.public_id)
    )
    return responses, statements


# No answer leak -------------------------------------------------------------------------------


def test_the_form_carries_no_answer_weight_or_feedback(app, make_quiz, make_user):
    quiz = make_quiz(LEAKY_BANK)
    attempt = services.start_attempt(make_user(), quiz, "en")
    view = services.attempt_view(attempt)
    html = render(
        app,
        '{% from "quizzes/_attempt.html" import attempt_form %}{{ attempt_form(view, "/submit") }}',
        view=view,
    )
    collector = Collector()
    collector.feed(html)
    page = "\n".join(collector.parts)
    for secret in SECRETS:
        assert secret.casefold() not in page.casefold(), secret
    # Choices are named by where they are shown, never by their place in the trainer's file.
    values = {i.get("value") for i in collector.inputs if i.get("value")}
    assert values <= {"1", "2", "3", "true", "false"}
    # The plain data behind the form has no field that could hold an answer either.
    for field in dataclasses.fields(services.QuestionView):
        assert field.name not in {"fraction", "feedback", "correct", "weight", "answers", "general_feedback"}
    assert not any(secret in repr(view) for secret in SECRETS[:6])
    # The right choice looks like every other one.
    mc = by_qid(view)["mc"]
    right = next(
        i for i in collector.inputs if i.get("name") == mc.name and i["value"] == _shown(mc, "UPRRIGHT")
    )
    wrong = next(i for i in collector.inputs if i.get("name") == mc.name and i["value"] != right["value"])
    assert set(right) == set(wrong)


def test_the_first_choice_in_the_file_is_not_always_the_first_value(make_quiz, make_user):
    quiz = make_quiz("::a::Pick {=right ~w1 ~w2 ~w3 ~w4 ~w5}", shuffle=True)
    firsts = set()
    for _ in range(12):
        question = services.attempt_view(services.start_attempt(make_user(), quiz, "en")).questions[0]
        firsts.add(next(value for value, html in question.choices if html == "right"))
    assert len(firsts) > 1


# Double submit --------------------------------------------------------------------------------


def test_submitting_twice_gives_one_graded_result(make_quiz, make_user):
    quiz = make_quiz()
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    view = by_qid(services.attempt_view(attempt))
    right = {view["a"].name: next(v for v, h in view["a"].choices if h == "right"), view["b"].name: "true"}
    services.submit_attempt(user, attempt, right)
    first = (attempt.score, attempt.submitted_at, counts(user, attempt))
    again = services.submit_attempt(user, attempt, {view["b"].name: "false", view["c"].name: "42"})
    assert again is attempt
    assert (attempt.score, attempt.submitted_at, counts(user, attempt)) == first
    assert first[0] == pytest.approx(200 / 3, abs=1e-4)
    assert first[2] == (3, 2)  # three responses; "attempted" and one "failed"


# Tampered forms -------------------------------------------------------------------------------


def tampered_forms(view):
    q = by_qid(view)
    mc, mr, tf, match = q["mc"].name, q["mr"].name, q["tf"].name, q["match"].name
    return {
        "unknown question": {"q99": "1"},
        "qid as field name": {"mc": "1"},
        "unknown choice": {mc: "9"},
        "file key instead of shown position": {mc: "a1"},
        "two answers to a single choice": {mc: ["1", "2"]},
        "unknown tick among good ones": {mr: ["1", "zz"]},
        "true/false not true or false": {tf: "maybe"},
        "unknown matching item": {f"{match}-9": "1"},
        "unknown matching option": {f"{match}-1": "7"},
        "overlong short answer": {q["sa"].name: "x" * 5000},
    }


@pytest.mark.parametrize(
    "case",
    [
        "unknown question",
        "qid as field name",
        "unknown choice",
        "file key instead of shown position",
        "two answers to a single choice",
        "unknown tick among good ones",
        "true/false not true or false",
        "unknown matching item",
        "unknown matching option",
        "overlong short answer",
    ],
)
def test_a_tampered_form_is_refused_and_records_nothing(case, make_quiz, make_user):
    quiz = make_quiz(LEAKY_BANK)
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    view = services.attempt_view(attempt)
    before = counts(user, attempt)
    with pytest.raises(services.InvalidSubmission):
        services.submit_attempt(user, attempt, tampered_forms(view)[case])
    assert attempt.submitted_at is None and attempt.score is None
    assert counts(user, attempt) == before == (0, 1)
    # The attempt is still open and can be submitted honestly.
    services.submit_attempt(user, attempt, {})
    assert attempt.submitted_at is not None


def test_a_posted_multidict_is_read_like_the_browser_sends_it(make_quiz, make_user):
    quiz = make_quiz(LEAKY_BANK, pass_mark=0)
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    q = by_qid(services.attempt_view(attempt))
    ticks = [v for v, h in q["mr"].choices if h in ("CEDAW", "CRC")]
    options = {text: value for value, text in q["match"].options}
    stems = {str(html): field for field, html in q["match"].stems}
    form = MultiDict(
        [
            ("csrf_token", "token"),
            (q["mr"].name, ticks[0]),
            (q["mr"].name, ticks[1]),
            (stems["UPR"], options["peer review"]),
            (stems["CEDAW"], options["treaty body"]),
            (stems["ICJ"], options["court"]),
            (q["num"].name, "١٩٤٨"),
            (q["mw"].name, "secretgeneva"),
            (q["essay"].name, ""),
        ]
    )
    services.submit_attempt(user, attempt, form)
    fractions = {r.qid: r.fraction for r in attempt.responses}
    assert fractions == {"mc": 0, "mr": 1, "tf": 0, "sa": 0, "num": 1, "match": 1, "mw": 1, "essay": 0}


@pytest.mark.parametrize("typed", ["6*7", "40+2", "__import__('os').system('true')", "0x2A", "42abc", "4 2"])
def test_numerical_input_is_read_as_a_number_never_evaluated(typed, make_quiz, make_user):
    quiz = make_quiz("::n::Six times seven? {#42}")
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    name = services.attempt_view(attempt).questions[0].name
    services.submit_attempt(user, attempt, {name: typed})
    assert attempt.score == 0
    assert attempt.responses[0].answer == typed


@pytest.mark.parametrize("typed", ["42", " 42 ", "42.0", "42,0", "٤٢", "4.2e1"])
def test_numbers_typed_in_any_usual_way_are_accepted(typed, make_quiz, make_user):
    quiz = make_quiz("::n::Six times seven? {#42}")
    user = make_user()
    attempt = services.start_attempt(user, quiz, "en")
    services.submit_attempt(user, attempt, {services.attempt_view(attempt).questions[0].name: typed})
    assert attempt.score == 100


@pytest.mark.parametrize(
    ("locale", "typed", "score"),
    [
        ("en", "1,000", 100),
        ("en", "1,000.0", 100),
        ("ar", "١٬٠٠٠", 100),
        ("tr", "1.000", 100),
        ("es", "1.000,0", 100),
        ("fr", "1 000", 100),
        ("fr", "1\u202f000", 100),
        ("fr", "1,000", 0),  # one, with a decimal comma
        ("en", "1.000", 0),  # one, with a decimal point
        ("en", "1,00", 0),  # not a grouping: one, with a decimal comma
    ],
)
def test_digits_grouped_as_the_attempts_language_groups_them(db, make_user, locale, typed, score):
    quiz = services.replace_bank(
        None,
        kind="module",
        activity_id=f"https://tamkeen.test/xapi/{uuid.uuid4()}",
        settings={},
        banks={locale: "::n::How many? {#1000}"},
        default_locale=locale,
    )
    user = make_user()
    attempt = services.start_attempt(user, quiz, locale)
    services.submit_attempt(user, attempt, {services.attempt_view(attempt).questions[0].name: typed})
    assert attempt.locale == locale and attempt.score == score


def test_numbers_are_read_in_the_language_the_learner_typed_in(db, make_quiz, make_user):
    quiz = make_quiz("::n::How many? {#1000}")  # English only: a French learner takes it in English
    user = make_user(locale="fr")
    attempt = services.start_attempt(user, quiz, "fr")
    assert attempt.locale == "en"
    name = services.attempt_view(attempt).questions[0].name
    services.submit_attempt(user, attempt, {name: "1 000"}, typed_in="fr")
    assert attempt.score == 100


# Races (PostgreSQL, and SQLite in a file) ------------------------------------------------------


@pytest.fixture
def committed(race_app):
    """A learner and a quiz committed for real, so threads see them; removed afterwards."""
    with race_app.app_context():
        user = account_services.register(f"race-{uuid.uuid4().hex[:12]}", PASSWORD)
        quiz = services.replace_bank(
            None,
            kind="module",
            activity_id=f"https://tamkeen.test/race/{uuid.uuid4()}",
            settings={"max_attempts": 3},
            banks={"en": SIMPLE_BANK},
            default_locale="en",
        )
        _db.session.commit()
        ids = {"user": user.id, "quiz": quiz.id, "actor": user.public_id}
        _db.session.remove()
    yield ids
    with race_app.app_context():
        _db.session.execute(sa.delete(Statement).where(Statement.actor_id == ids["actor"]))
        _db.session.execute(sa.delete(Quiz).where(Quiz.id == ids["quiz"]))
        _db.session.execute(sa.delete(User).where(User.id == ids["user"]))
        _db.session.commit()
        _db.session.remove()


# The last read before each write the tests pause at: the questions, read after the attempts.
SQLITE_PAUSE = {
    "INSERT INTO attempts": "SELECT questions.",
    "UPDATE attempts SET submitted_at": "SELECT questions.",
}


def run_together(app, work, count=2, pause_before=None):
    """Run work() in count threads, each in its own app context (own session), and commit.

    With pause_before, every thread waits before its first statement starting with that
    text until all have reached it: each has read the old state before any of them writes.
    """
    barrier = threading.Barrier(count, timeout=10)
    local = threading.local()
    results = [None] * count

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # One writer at a time: the write lock is taken (BEGIN IMMEDIATE) before a thread's first
        # write, so on SQLite the threads meet at a read that comes after what they must see.
        pause_before = SQLITE_PAUSE.get(pause_before, pause_before)

    def hold(conn, cursor, statement, *args):
        if pause_before and statement.startswith(pause_before) and not getattr(local, "held", False):
            local.held = True
            barrier.wait()

    def target(index):
        with app.app_context():
            try:
                results[index] = work()
                _db.session.commit()
            except Exception as exc:  # collected and asserted on by the test
                _db.session.rollback()
                results[index] = exc
            finally:
                _db.session.remove()

    with app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    finally:
        sa.event.remove(engine, "before_cursor_execute", hold)
    return results


def _load(ids):
    return _db.session.get(User, ids["user"]), _db.session.get(Quiz, ids["quiz"])


def _right_form(attempt):
    view = by_qid(services.attempt_view(attempt))
    return {view["a"].name: next(v for v, h in view["a"].choices if h == "right"), view["b"].name: "true"}


def test_two_attempts_started_at_once_cannot_exceed_the_maximum(race_app, committed):
    with race_app.app_context():
        user, quiz = _load(committed)
        for _ in range(2):
            attempt = services.start_attempt(user, quiz, "en")
            services.submit_attempt(user, attempt, {})
        _db.session.commit()
        _db.session.remove()

    def start_and_submit():
        user, quiz = _load(committed)
        attempt = services.start_attempt(user, quiz, "en")
        services.submit_attempt(user, attempt, {})
        return attempt.number

    results = run_together(race_app, start_and_submit, pause_before="INSERT INTO attempts")
    assert [r for r in results if not isinstance(r, services.NoAttemptsLeft)] == [3], results
    with race_app.app_context():
        numbers = _db.session.scalars(
            sa.select(Attempt.number).where(Attempt.user_id == committed["user"])
        ).all()
        assert sorted(numbers) == [1, 2, 3]
        _db.session.remove()


def test_two_starts_at_once_share_one_open_attempt(race_app, committed):
    def start():
        user, quiz = _load(committed)
        return services.start_attempt(user, quiz, "en").id

    results = run_together(race_app, start, pause_before="INSERT INTO attempts")
    assert len(set(results)) == 1 and isinstance(results[0], int)
    with race_app.app_context():
        assert (
            _db.session.scalar(
                sa.select(sa.func.count()).select_from(Attempt).where(Attempt.user_id == committed["user"])
            )
            == 1
        )
        _db.session.remove()


def test_many_learners_tabs_hammering_start_never_pass_the_maximum(race_app, committed):
    def keep_trying():
        user, quiz = _load(committed)
        taken = 0
        for _ in range(5):
            try:
                attempt = services.start_attempt(user, quiz, "en")
            except services.NoAttemptsLeft:
                break
            services.submit_attempt(user, attempt, {})
            _db.session.commit()
            taken += 1
        return taken

    results = run_together(race_app, keep_trying, count=6)
    assert not [r for r in results if isinstance(r, Exception)], results
    with race_app.app_context():
        numbers = _db.session.scalars(
            sa.select(Attempt.number).where(Attempt.user_id == committed["user"])
        ).all()
        assert sorted(numbers) == [1, 2, 3]
        _db.session.remove()


def test_two_submissions_at_once_give_one_graded_result(race_app, committed):
    with race_app.app_context():
        user, quiz = _load(committed)
        attempt = services.start_attempt(user, quiz, "en")
        right = _right_form(attempt)
        _db.session.commit()
        attempt_id = attempt.id
        _db.session.remove()
    forms = iter([right, {}])
    lock = threading.Lock()

    def submit():
        with lock:
            form = next(forms)
        user = _db.session.get(User, committed["user"])
        return services.submit_attempt(user, _db.session.get(Attempt, attempt_id), form).score

    results = run_together(race_app, submit, pause_before="UPDATE attempts SET submitted_at")
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1]
    with race_app.app_context():
        responses = _db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).where(Response.attempt_id == attempt_id)
        )
        verbs = _db.session.scalars(
            sa.select(Statement.verb).where(Statement.actor_id == committed["actor"])
        ).all()
        assert responses == 3
        assert sorted(v.rsplit("/", 1)[1] for v in verbs) == ["attempted", "failed"]
        _db.session.remove()
