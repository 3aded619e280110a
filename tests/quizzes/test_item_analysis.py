"""Item analysis: Moodle's facility and discrimination, option shares, flags; four queries."""

import io
import statistics
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.extensions import db as _db
from lms.quizzes import services
from lms.quizzes.item_csv import csv_rows
from lms.quizzes.models import Attempt, Response
from lms.quizzes.statistics import (
    ALL,
    ANSWER_POSITION,
    EVERYONE_RIGHT,
    WRONG_OPTION_PREFERRED,
    key_position,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from seed_item_analysis import answer_form  # noqa: E402

sys.path.remove(str(ROOT / "scripts"))

EN = """\
::q1::Which body runs the Universal Periodic Review? {=The Human Rights Council ~The General Assembly ~The Court}

::q2::Which of these is a treaty body? {=CEDAW ~ECOSOC ~UNDP}

::q3::Where does the Human Rights Council meet? {=Geneva ~New York ~Vienna}

::q4::The UPR reviews every UN member state. {T}

::q5::Tick the treaty bodies. {~%50%CRC ~%50%CAT ~%-100%WHO}

::q6::+ Type the city of the Council. {=Geneva}
"""
AR = """\
::q1::أي هيئة تدير الاستعراض الدوري الشامل؟ {=مجلس حقوق الإنسان ~الجمعية العامة ~المحكمة}

::q2::أي مما يلي هيئة معاهدة؟ {=سيداو ~المجلس الاقتصادي والاجتماعي ~البرنامج الإنمائي}

::q3::أين يجتمع مجلس حقوق الإنسان؟ {=جنيف ~نيويورك ~فيينا}

::q4::يستعرض الاستعراض الدوري جميع الدول الأعضاء. {T}

::q5::اختر هيئات المعاهدات. {~%50%لجنة حقوق الطفل ~%50%لجنة مناهضة التعذيب ~%-100%منظمة الصحة}

::q6::اكتب مدينة المجلس. {=جنيف}
"""


def plan(i: int) -> dict[str, object]:
    """Learner i's answers: strong learners (low i) get more right."""
    return {
        "q1": "a1" if i < 8 else "a2",
        "q2": "a1" if i in (0, 1, 2) else "a2",  # a wrong option most choose
        "q3": "a1",  # everyone right
        "q4": "true" if i % 2 == 0 else "false",
        "q5": ["a1", "a2"] if i < 6 else ["a1", "a3"],
        "q6": "Geneva" if i < 5 else "Paris",
    }


@pytest.fixture
def quiz(db):
    return services.replace_bank(
        None,
        kind="module",
        activity_id=f"https://tamkeen.test/xapi/{uuid.uuid4()}",
        settings={"shuffle": True},
        banks={"en": EN, "ar": AR},
        default_locale="en",
    )


@pytest.fixture
def cohort(db, quiz, make_user):
    """Twelve learners, six taking the quiz in English and six in Arabic; one attempt unfinished."""
    for i in range(12):
        user = make_user()
        locale = "en" if i % 2 == 0 else "ar"
        attempt = services.start_attempt(user, quiz, locale)
        answers = plan(i)
        if locale == "ar" and answers["q6"] == "Geneva":
            answers["q6"] = "جنيف"
        services.submit_attempt(user, attempt, answer_form(attempt, answers))
    services.start_attempt(make_user(), quiz, "en")  # never submitted: not counted
    return quiz


def expected(db, quiz, locale):
    """Facility and discrimination worked out directly from the stored responses."""
    rows = db.session.execute(
        sa.select(Response.attempt_id, Response.qid, Response.fraction, Attempt.locale)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.graded_at.is_not(None))
    ).all()
    if locale != ALL:
        rows = [r for r in rows if r.locale == locale]
    totals: dict[int, float] = {}
    for r in rows:
        totals[r.attempt_id] = totals.get(r.attempt_id, 0) + r.fraction
    out = {}
    for qid in sorted({r.qid for r in rows}):
        x = [r.fraction for r in rows if r.qid == qid]
        rest = [totals[r.attempt_id] - r.fraction for r in rows if r.qid == qid]
        try:
            r_value = statistics.correlation(x, rest)
        except statistics.StatisticsError:
            r_value = None
        out[qid] = (statistics.fmean(x), r_value, len(x))
    return out


@pytest.mark.parametrize("locale", [ALL, "en", "ar"])
def test_facility_and_discrimination_match_their_definitions(db, cohort, locale):
    analysis = services.item_analysis([cohort])[cohort.id]
    want = expected(db, cohort, locale)
    got = {item.qid: item for item in analysis.items[locale]}
    assert set(got) == set(want)
    for qid, (facility, discrimination, n) in want.items():
        assert got[qid].attempts == n
        assert got[qid].facility == pytest.approx(facility)
        if discrimination is None:
            assert got[qid].discrimination is None
        else:
            assert got[qid].discrimination == pytest.approx(discrimination)
    assert analysis.attempts == {ALL: 12, "en": 6, "ar": 6}


def test_option_shares_count_what_learners_chose(db, cohort):
    analysis = services.item_analysis([cohort])[cohort.id]
    items = {item.qid: item for item in analysis.items[ALL]}
    q2 = items["q2"]
    assert [(o.position, o.is_right, o.chosen) for o in q2.options] == [
        (1, True, 3),
        (2, False, 9),
        (3, False, 0),
    ]
    assert q2.options[1].share == pytest.approx(0.75)
    assert q2.options[0].text == "CEDAW"  # the default locale's words
    q5 = items["q5"]  # multiple response: each ticked option counts
    assert [o.chosen for o in q5.options] == [12, 6, 6]
    assert [o.is_right for o in q5.options] == [True, True, False]
    assert [o.chosen for o in items["q4"].options] == [6, 6]
    assert items["q6"].options == ()
    arabic = {item.qid: item for item in analysis.items["ar"]}
    assert sum(o.chosen for o in arabic["q2"].options) == 6


def test_flags_point_at_questions_to_revisit(db, cohort):
    analysis = services.item_analysis([cohort])[cohort.id]
    flags = {item.qid: set(item.flags) for item in analysis.items[ALL]}
    assert EVERYONE_RIGHT in flags["q3"]
    assert WRONG_OPTION_PREFERRED in flags["q2"]
    assert WRONG_OPTION_PREFERRED not in flags["q1"] and EVERYONE_RIGHT not in flags["q1"]
    assert analysis.key_position == (1, 3, 3)
    assert all(ANSWER_POSITION in flags[q] for q in ("q1", "q2", "q3"))
    assert ANSWER_POSITION not in flags["q4"]


def test_key_position_needs_a_majority_of_multiple_choice_items():
    from lms.quizzes import gift

    mixed = gift.parse("::a::A {=x ~y ~z}\n\n::b::B {~x =y ~z}\n\n::c::C {~x ~y =z}\n\n::d::D {=x ~y}\n")
    assert key_position(mixed) is None
    assert key_position(gift.parse(EN)) == (1, 3, 3)


def test_no_attempts_gives_empty_figures_not_errors(db, quiz):
    analysis = services.item_analysis([quiz])[quiz.id]
    assert analysis.attempts == {ALL: 0}
    assert all(
        i.attempts == 0 and i.facility is None and i.discrimination is None for i in analysis.items[ALL]
    )
    assert all(o.share is None for i in analysis.items[ALL] for o in i.options)


def test_four_queries_whatever_the_number_of_quizzes_and_attempts(db, cohort, quiz, make_user):
    other = services.replace_bank(
        None,
        kind="module",
        activity_id=f"https://tamkeen.test/xapi/{uuid.uuid4()}",
        settings={},
        banks={"en": EN},
        default_locale="en",
    )
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = _db.session.get_bind().engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        services.item_analysis([cohort])
        one = len(statements)
        statements.clear()
        services.item_analysis([cohort, other])
        two = len(statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert one == two == 4


def test_assessment_phases_are_analysed_apart(db, make_user):
    check = services.replace_bank(
        None,
        kind="assessment",
        activity_id=f"https://tamkeen.test/xapi/{uuid.uuid4()}",
        settings={"max_attempts": 0},
        banks={"en": EN},
        default_locale="en",
    )
    for phase in ["pre", "pre", "pre", "post", "post"]:
        user = make_user()
        attempt = services.start_attempt(user, check, "en", phase=phase)
        services.submit_attempt(user, attempt, answer_form(attempt, plan(11 if phase == "pre" else 0)))
    assert services.item_analysis([check], phase="pre")[check.id].attempts[ALL] == 3
    post = services.item_analysis([check], phase="post")[check.id]
    assert post.attempts[ALL] == 2
    assert {i.qid: i.facility for i in post.items[ALL]}["q1"] == 1.0
    assert services.item_analysis([check])[check.id].attempts[ALL] == 5


def test_csv_rows_cover_every_language_and_neutralise_formulas(db, cohort):
    analysis = services.item_analysis([cohort])[cohort.id]
    rows = list(csv_rows([("=Quiz", analysis)]))
    assert {row[1] for row in rows} == {"en", "ar", "all"}
    assert all(row[0] == "'=Quiz" for row in rows)
    q6 = [row for row in rows if row[3] == "q6" and row[1] == "all"]
    assert len(q6) == 1 and q6[0][5].startswith("'+ Type")
    q2 = [row for row in rows if row[3] == "q2" and row[1] == "all"]
    assert [(row[10], row[12], row[13], row[14]) for row in q2] == [
        ("1", "yes", "3", "25.0"),
        ("2", "no", "9", "75.0"),
        ("3", "no", "0", "0.0"),
    ]
    out = io.StringIO()
    assert services.write_item_analysis_csv([("Quiz", analysis)], out) == len(rows)
