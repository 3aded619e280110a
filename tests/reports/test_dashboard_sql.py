"""The dashboard's SQL aggregates give the figures a plain Python tally of the completion records gives."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from lms.accounts import services as accounts
from lms.courses.models import Module
from lms.reports import completions, services
from lms.reports.filters import PROGRAMME, ReportFilter, Scope
from lms.reports.summary import Summary, Tally, periods
from tests.reports.conftest import enrol, share
from tests.reports.test_exports import _attempt, _quiz


def _add(tally: Tally, record: completions.CompletionRecord) -> None:
    tally.enrolments += 1
    tally.completions += record.status == "completed"
    for _slug, best in record.module_scores:
        if best is not None:
            tally.score_sum += best
            tally.score_count += 1
    for value, total, count in (
        (record.pre_test_score, "pre_sum", "pre_count"),
        (record.post_test_score, "post_sum", "post_count"),
        (record.normalised_gain, "gain_sum", "gain_count"),
    ):
        if value is not None:
            setattr(tally, total, getattr(tally, total) + value)
            setattr(tally, count, getattr(tally, count) + 1)


def reference(scope: Scope, f: ReportFilter) -> Summary:
    """Tally the completion records one by one, as the dashboard did before it used SQL."""
    summary = Summary()
    enrolled: dict[tuple[int, int], int] = {}
    completed: dict[tuple[int, int], int] = {}
    for record in completions.iter_completions(scope, f):
        _add(summary.totals, record)
        _add(summary.by_course.setdefault(record.course_slug, Tally()), record)
        for name in record.organisations or (None,):
            _add(summary.by_organisation.setdefault(name, Tally()), record)
        for country in record.countries or (None,):
            _add(summary.by_country.setdefault(country, Tally()), record)
        _add(summary.by_gender.setdefault(record.gender, Tally()), record)
        key = (record.enrolled_at.year, record.enrolled_at.month)
        enrolled[key] = enrolled.get(key, 0) + 1
        if record.completed_at is not None:
            key = (record.completed_at.year, record.completed_at.month)
            completed[key] = completed.get(key, 0) + 1
    summary.periods, summary.period_unit = periods(enrolled, completed)
    return summary


def _figures(tally: Tally) -> tuple:
    return (
        tally.enrolments,
        tally.completions,
        pytest.approx(tally.score_sum),
        tally.score_count,
        pytest.approx(tally.pre_sum),
        tally.pre_count,
        pytest.approx(tally.post_sum),
        tally.post_count,
        pytest.approx(tally.gain_sum),
        tally.gain_count,
    )


def assert_same(got: Summary, expected: Summary) -> None:
    assert _figures(got.totals) == _figures(expected.totals)
    for name in ("by_course", "by_organisation", "by_country", "by_gender"):
        got_groups, expected_groups = getattr(got, name), getattr(expected, name)
        assert set(got_groups) == set(expected_groups), name
        for key, tally in expected_groups.items():
            assert _figures(got_groups[key]) == _figures(tally), (name, key)
    assert got.period_unit == expected.period_unit
    assert got.periods == expected.periods


@pytest.fixture
def seeded(db, programme, make_organisation, make_user):
    """The programme with quizzes, attempts, demographics, and more learners and organisations."""
    course, other = programme.course, programme.other_course
    modules = db.session.scalars(sa.select(Module).order_by(Module.course_id, Module.position)).all()
    quizzes = [_quiz(db, "module", f"urn:test:m{index}") for index in range(len(modules))]
    for module, quiz in zip(modules, quizzes, strict=True):
        module.quiz_id = quiz.id
    last = _quiz(db, "assessment", "urn:test:a", grading="last")
    highest = _quiz(db, "assessment", "urn:test:b", grading="highest")
    course.assessment_quiz_id, other.assessment_quiz_id = last.id, highest.id
    db.session.flush()
    quiz_of = {(m.course_id, m.position): q for m, q in zip(modules, quizzes, strict=True)}
    first_a, first_b = (
        min(k for k in quiz_of if k[0] == course.id),
        min(k for k in quiz_of if k[0] == other.id),
    )
    alice, bob, carol, dave, erin = (
        programme.alice,
        programme.bob,
        programme.carol,
        programme.dave,
        programme.erin,
    )
    _attempt(db, alice, quiz_of[first_a], 1, 50.0)
    _attempt(db, alice, quiz_of[first_a], 2, 90.0)
    _attempt(db, bob, quiz_of[first_a], 1, 65.0)
    _attempt(db, bob, quiz_of[first_a], 2, 0.0, graded=False)
    _attempt(db, bob, quiz_of[first_b], 1, 72.5)
    _attempt(db, dave, quiz_of[first_a], 1, 33.0)
    _attempt(db, alice, last, 1, 40.0, phase="pre")
    _attempt(db, alice, last, 2, 50.0, phase="pre")  # the first pre-test counts
    _attempt(db, alice, last, 3, 95.0, phase="post")
    _attempt(db, alice, last, 4, 85.0, phase="post")  # graded "last": this one
    _attempt(db, bob, last, 1, 100.0, phase="pre")  # no gain from a perfect pre-test
    _attempt(db, bob, last, 2, 90.0, phase="post")
    _attempt(db, dave, last, 1, 20.0, phase="pre")  # a pre-test alone: no gain
    _attempt(db, bob, highest, 1, 30.0, phase="pre")
    _attempt(db, bob, highest, 2, 80.0, phase="post")  # graded "highest": this one
    _attempt(db, bob, highest, 3, 60.0, phase="post")
    _attempt(db, erin, highest, 1, 10.0, phase="pre")
    _attempt(db, erin, highest, 2, 55.0, phase="post")
    # Bob is in A (LB), B (TN) and D (LB): two organisations, but one country, in Lebanon.
    org_d = make_organisation("Organisation D", "LB")
    accounts.join_organisation(bob, org_d)
    share(db, alice, "female", "25_34")
    share(db, bob, "male", None, is_shared=False)
    share(db, dave, None, "45_54")
    share(db, erin, "female", None)
    frank = make_user(username="frank", display_name="Frank")
    accounts.join_organisation(frank, org_d)
    enrol(db, frank, other, done=1, enrolled_at=datetime(2024, 11, 30, 23, 59, tzinfo=UTC))
    enrol(db, carol, other, completed_at=datetime(2025, 1, 31, 23, 59, tzinfo=UTC))
    programme.org_d = org_d
    return programme


FILTERS = [
    ReportFilter(),
    ReportFilter(course="course-a"),
    ReportFilter(course="course-b", status="completed"),
    ReportFilter(status="in_progress"),
    ReportFilter(status="enrolled"),
    ReportFilter(country="LB"),
    ReportFilter(country="TN"),
    ReportFilter(since=date(2025, 1, 1), until=date(2025, 2, 28)),
    ReportFilter(dates="completed", since=date(2025, 2, 1)),
]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: str(f.as_args()) or "all")
def test_the_programme_figures_match_a_plain_tally(seeded, f):
    assert_same(services.dashboard(PROGRAMME, f).summary, reference(PROGRAMME, f))


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: str(f.as_args()) or "all")
def test_a_managers_figures_match_a_plain_tally(seeded, f):
    for organisations in ({seeded.org_a.id}, {seeded.org_b.id}, {seeded.org_a.id, seeded.org_d.id}):
        scope = Scope(is_programme=False, organisation_ids=frozenset(organisations))
        assert_same(services.dashboard(scope, f).summary, reference(scope, f))
        narrowed = replace(f, organisation=min(organisations))
        assert_same(services.dashboard(scope, narrowed).summary, reference(scope, narrowed))


def test_the_figures_themselves(seeded):
    summary = services.dashboard(PROGRAMME, ReportFilter()).summary
    assert (summary.totals.enrolments, summary.totals.completions) == (8, 3)
    # Bob counts in each of his organisations, and once in Lebanon.
    assert {name: t.enrolments for name, t in summary.by_organisation.items()} == {
        "Organisation A": 3,
        "Organisation B": 4,
        "Organisation C": 1,
        "Organisation D": 3,
        None: 1,
    }
    assert {code: t.enrolments for code, t in summary.by_country.items()} == {
        "LB": 4,
        "TN": 4,
        "EG": 1,
        None: 1,
    }
    # Gender only where shared: Bob's is not; Dave shared an age band only.
    assert {g: t.enrolments for g, t in summary.by_gender.items()} == {"female": 2, None: 6}
    course_a = summary.by_course["course-a"]
    assert course_a.average_score == pytest.approx((90 + 65 + 33) / 3)
    assert (course_a.average_pre, course_a.average_post) == (pytest.approx(160 / 3), pytest.approx(87.5))
    assert course_a.average_gain == pytest.approx(0.75)  # Alice's; Bob's pre-test was perfect
    assert summary.by_course["course-b"].average_gain == pytest.approx(((80 - 30) / 70 + 45 / 90) / 2)
    # Months are UTC months: 23:59 on 30 November is November.
    assert summary.periods[0].start == date(2024, 11, 1) and summary.periods[0].enrolments == 1
    assert [p.completions for p in summary.periods] == [0, 0, 1, 1, 1]


def test_a_manager_never_sees_other_organisations(seeded):
    scope = Scope(is_programme=False, organisation_ids=frozenset({seeded.org_a.id}))
    summary = services.dashboard(scope, ReportFilter()).summary
    assert set(summary.by_organisation) == {"Organisation A"}
    assert set(summary.by_country) == {"LB"}
    assert summary.totals.enrolments == 3  # Alice's one, Bob's two
