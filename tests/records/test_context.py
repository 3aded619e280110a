"""Learning records carry their context, are typed from the ADL vocabulary and are valid xAPI."""

import logging
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from ralph.models.xapi.base.statements import BaseXapiStatement

from lms.accounts.models import Role
from lms.courses import services as courses
from lms.courses.models import Enrolment
from lms.quizzes import services as quizzes
from lms.quizzes.models import Response
from lms.records import services as records
from lms.records.models import Statement
from tests.quizzes.answering import form_for

ROOT = Path(__file__).resolve().parents[2]
ADL = "http://adlnet.gov/expapi/"
QUIZ = """\
::q1::Which body runs the Universal Periodic Review? {=The Human Rights Council ~The Security Council}

::q2::Describe one advocacy step. {}
"""
QUIZ_AR = """\
::q1::أي هيئة تدير الاستعراض الدوري الشامل؟ {=مجلس حقوق الإنسان ~مجلس الأمن}

::q2::صف خطوة واحدة في المناصرة. {}
"""
ASSESSMENT = "::k1::The UPR reviews every UN member state. {T}\n"


def write_course(root: Path) -> Path:
    """A two-language course: one module with two lessons and a quiz with an essay, and a knowledge check."""
    folder = root / "context-course"
    module = folder / "01-mechanisms"
    module.mkdir(parents=True)
    (folder / "course.toml").write_text(
        'schema_version = 1\nslug = "context-course"\nversion = 1\ndefault_locale = "en"\n'
        'locales = ["en", "ar"]\ntopic = "mechanisms"\n\n[title]\nen = "Mechanisms"\nar = "الآليات"\n\n'
        '[summary]\nen = "Summary"\nar = "ملخص"\n',
        encoding="utf-8",
    )
    (module / "module.toml").write_text(
        '[title]\nen = "Treaty bodies"\nar = "هيئات المعاهدات"\n\n[quiz]\npass_mark = 50\n', encoding="utf-8"
    )
    for n, slug in enumerate(("shadow-reports", "follow-up"), start=1):
        for locale in ("en", "ar"):
            (module / f"0{n}-{slug}.{locale}.md").write_text(
                f"# {slug} {locale}\n\nText.\n", encoding="utf-8"
            )
    (module / "quiz.en.gift").write_text(QUIZ, encoding="utf-8")
    (module / "quiz.ar.gift").write_text(QUIZ_AR, encoding="utf-8")
    (folder / "assessment.en.gift").write_text(ASSESSMENT, encoding="utf-8")
    return folder


@pytest.fixture
def course(db, tmp_path):
    courses.import_path(write_course(tmp_path))
    return courses.get_course("context-course")


@pytest.fixture
def learner(make_user, auth):
    user = make_user(username="recorded", locale="ar")
    auth.login("recorded")
    return user


def statements(db, user, verb=None):
    query = sa.select(Statement).where(Statement.actor_id == user.public_id).order_by(Statement.stored_at)
    if verb:
        query = query.where(Statement.verb == ADL + "verbs/" + verb)
    return [row.body for row in db.session.scalars(query)]


def registration_of(db, user, course):
    return db.session.scalar(
        sa.select(Enrolment.registration).where(
            Enrolment.user_id == user.id, Enrolment.course_id == course.id
        )
    )


def parent_ids(body, kind="parent"):
    return [a["id"] for a in body["context"]["contextActivities"][kind]]


def test_enrolment_has_its_own_registration_carried_by_its_records(client, db, course, learner, make_user):
    client.post_form("/courses/context-course/enroll", token_from="/courses/context-course/")
    registration = registration_of(db, learner, course)
    other = make_user()
    courses.enroll(other, course)
    assert registration and registration != registration_of(db, other, course)
    (registered,) = statements(db, learner, "registered")
    assert registered["context"]["registration"] == registration
    assert registered["object"]["definition"]["type"] == ADL + "activities/course"
    assert registered["object"]["definition"]["name"] == {"en": "Mechanisms", "ar": "الآليات"}


def test_reading_a_lesson_is_experienced_once_per_visit_with_module_and_course(client, db, course, learner):
    client.post_form("/courses/context-course/enroll", token_from="/courses/context-course/")
    lesson = "/courses/context-course/mechanisms/shadow-reports"
    assert client.get(lesson).status_code == 200
    assert client.get(lesson).status_code == 200  # a reload is not a new reading
    (read,) = statements(db, learner, "experienced")
    site = courses.activity_iri("context-course", "")
    assert read["object"]["id"] == site + "mechanisms/shadow-reports"
    assert read["object"]["definition"]["type"] == ADL + "activities/lesson"
    assert read["object"]["definition"]["name"]["ar"]
    assert parent_ids(read) == [site + "mechanisms", site]
    assert [a["definition"]["type"] for a in read["context"]["contextActivities"]["parent"]] == [
        ADL + "activities/module",
        ADL + "activities/course",
    ]
    assert read["context"]["language"] == "ar"
    assert read["context"]["registration"] == registration_of(db, learner, course)


def test_a_lesson_marked_done_is_completed_once(client, db, course, learner):
    client.post_form("/courses/context-course/enroll", token_from="/courses/context-course/")
    lesson = "/courses/context-course/mechanisms/follow-up"
    client.post_form(f"{lesson}/done", token_from=lesson)
    client.post_form(f"{lesson}/done", token_from=lesson)
    done = [s for s in statements(db, learner, "completed") if s["object"]["id"].endswith("/follow-up")]
    assert len(done) == 1, [(d["id"], d["timestamp"]) for d in done]
    assert done[0]["result"]["completion"] is True
    assert done[0]["object"]["definition"]["type"] == ADL + "activities/lesson"
    assert done[0]["context"]["registration"] == registration_of(db, learner, course)


def test_quiz_records_know_their_module_course_language_and_enrolment(db, course, make_user):
    user = make_user()
    courses.enroll(user, course)
    quiz = courses.load_outline(course)[0].quiz
    attempt = quizzes.start_attempt(user, quiz, "en")
    quizzes.submit_attempt(user, attempt, form_for(attempt))
    (attempted,) = statements(db, user, "attempted")
    site = courses.activity_iri("context-course", "")
    assert attempted["object"]["definition"] == {
        "type": ADL + "activities/assessment",
        "name": {"en": "Treaty bodies", "ar": "هيئات المعاهدات"},
    }
    assert parent_ids(attempted) == [site + "mechanisms", site]
    assert attempted["context"]["language"] == "en"
    assert attempted["context"]["registration"] == registration_of(db, user, course)


def test_the_knowledge_check_belongs_to_the_course(db, course, make_user):
    user = make_user()
    courses.enroll(user, course)
    attempt = quizzes.start_attempt(user, course.assessment_quiz, "en", phase="pre")
    quizzes.submit_attempt(user, attempt, form_for(attempt))
    (attempted,) = statements(db, user, "attempted")
    (passed,) = statements(db, user, "passed")
    site = courses.activity_iri("context-course", "")
    assert parent_ids(attempted) == [site] == parent_ids(passed)
    assert passed["result"]["score"]["scaled"] == 1
    assert passed["object"]["definition"]["name"]["en"] == "Mechanisms"


def test_a_marked_essay_gets_its_result_and_the_attempt_its_grade(db, course, make_user):
    user, trainer = make_user(), make_user(role=Role.TRAINER)
    courses.enroll(user, course)
    quiz = courses.load_outline(course)[0].quiz
    attempt = quizzes.start_attempt(user, quiz, "en")
    form = form_for(attempt)
    form[next(f"q{n}" for n, e in enumerate(attempt.layout, start=1) if e["qid"] == "q2")] = (
        "Meet the rapporteur."
    )
    quizzes.submit_attempt(user, attempt, form)
    assert not statements(db, user, "passed")  # the essay waits for a marker
    essay = db.session.scalar(
        sa.select(Response).where(Response.attempt_id == attempt.id, Response.qid == "q2")
    )
    quizzes.mark_essay(trainer, essay, 0.75)
    (scored,) = statements(db, user, "scored")
    site = courses.activity_iri("context-course", "")
    assert scored["object"]["id"] == site + "mechanisms/quiz/q2"
    assert scored["object"]["definition"]["type"] == ADL + "activities/question"
    assert scored["object"]["definition"]["name"] == {"en": "Describe one advocacy step."}
    assert scored["result"]["score"]["scaled"] == 0.75
    assert parent_ids(scored) == [site + "mechanisms/quiz"]
    assert parent_ids(scored, "grouping") == [site + "mechanisms", site]
    assert scored["context"]["registration"] == registration_of(db, user, course)
    (passed,) = statements(db, user, "passed")
    assert passed["result"]["score"]["scaled"] == pytest.approx(0.875)


def test_every_record_of_a_learning_path_is_valid_xapi(client, db, course, learner):
    client.post_form("/courses/context-course/enroll", token_from="/courses/context-course/")
    for slug in ("shadow-reports", "follow-up"):
        lesson = f"/courses/context-course/mechanisms/{slug}"
        client.get(lesson)
        client.post_form(f"{lesson}/done", token_from=lesson)
    bodies = statements(db, learner)
    assert len(bodies) == 5
    for body in bodies:
        BaseXapiStatement.model_validate(body)
        assert body["object"]["definition"]["type"].startswith(ADL + "activities/")
        assert body["context"]["registration"] == registration_of(db, learner, course)


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_an_invalid_statement_is_logged_and_refused(db, make_user):
    user = make_user()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Statement))
    kept = _Kept()
    logger = logging.getLogger("lms.records.services")
    # Alembic's fileConfig (tests/test_migrations.py runs it in this process) disables the
    # loggers that exist by then; a real server never runs migrations in its own process.
    was_disabled, logger.disabled = logger.disabled, False
    logger.addHandler(kept)
    try:
        with pytest.raises(records.InvalidStatement):
            records.record(user, "completed", records.Activity("not an IRI", "course", {"en": "x"}))
        with pytest.raises(records.InvalidStatement):
            records.record(
                user, "completed", "https://tamkeen.test/c", context=records.Context(language="not a tag!")
            )
    finally:
        logger.removeHandler(kept)
        logger.disabled = was_disabled
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == before
    assert len(kept.messages) == 2
    assert all(m.startswith("refused an invalid xAPI statement") for m in kept.messages)


def test_the_scale_generator_writes_valid_statements(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import generate_scale_data as generator
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    url = f"sqlite:///{tmp_path / 'scale.sqlite3'}"
    app = generator.build_app(url, tmp_path / "instance")
    generator.generate(app, learners=40, organisations=3, seed=7)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT body FROM statements")).scalars().all()
            registrations = set(conn.execute(sa.text("SELECT registration FROM enrolments")).scalars())
    finally:
        engine.dispose()
    assert rows
    import json

    for raw in rows:
        body = json.loads(raw)
        BaseXapiStatement.model_validate(body)
        assert body["context"]["registration"] in registrations
        assert body["object"]["definition"]["type"] == ADL + "activities/course"
    with app.app_context():
        from lms.extensions import db as app_db

        app_db.engine.dispose()
