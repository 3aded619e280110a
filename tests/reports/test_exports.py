"""Completion records as CSV and XLSX, read back with csv and openpyxl."""

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from lms.certificates.models import Certificate
from lms.courses.models import Module
from lms.quizzes.models import Attempt, Quiz
from lms.reports import completions, exports, services
from lms.reports.filters import PROGRAMME, STATUSES, ReportFilter
from lms.reports.models import ExportAudit
from tests.reports.conftest import enrol, share

DOC = Path(__file__).resolve().parents[2] / "docs" / "exports.md"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def export_csv(scope=PROGRAMME, f=None, actor=None) -> list[dict[str, str]]:
    f = f or ReportFilter()
    out = io.BytesIO()
    services.export_completions(actor, scope, f, "csv", out)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 byte order mark"
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == exports.COLUMNS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def export_xlsx(scope=PROGRAMME, f=None, locale="en"):
    f = f or ReportFilter()
    out = io.BytesIO()
    services.export_completions(None, scope, f, "xlsx", out, locale=locale)
    out.seek(0)
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert tuple(rows[0]) == exports.COLUMNS
    return sheet, [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def documented_columns() -> list[str]:
    text = DOC.read_text("utf-8")
    dictionary = text.split("### Data dictionary", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9_]+)` \|", dictionary, flags=re.M)


def test_header_row_is_the_documented_data_dictionary(db, courses_imported):
    assert documented_columns() == list(exports.COLUMNS)
    assert f"**version {exports.FORMAT_VERSION}**" in DOC.read_text("utf-8")
    assert export_csv() == []  # an empty programme: header only
    _sheet, rows = export_xlsx()
    assert rows == []


def test_one_row_per_learner_and_course_with_documented_values(db, programme, app):
    rows = export_csv()
    assert len(rows) == 6
    by = {(r["display_name"], r["course_slug"]): r for r in rows}
    alice = by[("Alice", "course-a")]
    assert alice["learner_id"] == programme.alice.public_id
    assert "alice" not in {v for r in rows for v in r.values()}  # never the username
    assert alice["status"] == "completed"
    assert alice["enrolled_at"] == "2025-01-15T09:30:00Z"
    assert alice["completed_at"] == "2025-02-01T12:00:00Z"
    assert (alice["lessons_done"], alice["lessons_total"], alice["percent_complete"]) == ("4", "4", "100.0")
    assert alice["course_title"] == "Course course-a (en)"
    assert alice["course_version"] == "1"
    assert alice["course_language"] == "ar"  # her interface language, offered by the course
    assert by[("Bob", "course-a")]["course_language"] == "en"
    assert by[("Bob", "course-a")]["status"] == "in_progress"
    assert by[("Bob", "course-a")]["percent_complete"] == "25.0"
    assert by[("Carol", "course-a")]["status"] == "enrolled"
    assert by[("Carol", "course-a")]["completed_at"] == ""
    for row in rows:
        assert ISO.match(row["enrolled_at"]) and ISO.match(row["last_activity_at"])
        assert row["status"] in STATUSES
    assert by[("Bob", "course-a")]["organisations"] == "Organisation A; Organisation B"
    assert by[("Bob", "course-a")]["countries"] == "LB; TN"
    assert by[("Erin", "course-b")]["organisations"] == ""


def test_filters_narrow_the_rows(db, programme):
    def names(**kw):
        return sorted((r["display_name"], r["course_slug"]) for r in export_csv(f=ReportFilter(**kw)))

    assert names(course="course-b") == [("Bob", "course-b"), ("Erin", "course-b")]
    assert names(organisation=programme.org_b.id) == [
        ("Bob", "course-a"),
        ("Bob", "course-b"),
        ("Carol", "course-a"),
    ]
    assert names(country="EG") == [("Dave", "course-a")]
    assert names(status="completed") == [("Alice", "course-a"), ("Erin", "course-b")]
    assert names(status="in_progress") == [("Bob", "course-a"), ("Dave", "course-a")]
    assert names(status="enrolled") == [("Bob", "course-b"), ("Carol", "course-a")]
    since = datetime(2025, 3, 1).date()
    assert names(since=since) == [("Carol", "course-a")]
    assert names(dates="completed", since=since) == [("Erin", "course-b")]
    assert names(dates="completed", until=datetime(2025, 2, 1).date()) == [("Alice", "course-a")]


def test_hostile_names_are_neutralised_in_csv_and_xlsx(db, programme, make_user):
    hostile = {
        '=HYPERLINK("http://evil.example","x")': "'=HYPERLINK",
        "+1+2": "'+1+2",
        "-2+3": "'-2+3",
        "@SUM(A1)": "'@SUM(A1)",
        "\tTab": "'\tTab",
        "\rReturn": "'\rReturn",
    }
    for index, name in enumerate(hostile):
        user = make_user(username=f"hostile{index}")
        user.display_name = name  # set directly: the sign-up form would clean control characters
        enrol(db, user, programme.course)
    rows = export_csv(f=ReportFilter(course="course-a"))
    names = {r["display_name"] for r in rows}
    sheet, xrows = export_xlsx(f=ReportFilter(course="course-a"))
    # OOXML stores a carriage return as _x000D_; Excel reads it back, openpyxl leaves it.
    xnames = {r["display_name"].replace("_x000D_", "\r") for r in xrows}
    for name, expected in hostile.items():
        assert "'" + name in names and "'" + name in xnames, name
        assert any(n.startswith(expected) for n in names)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"  # no formulas anywhere


def test_arabic_survives_both_formats_and_the_arabic_xlsx_is_right_to_left(db, programme):
    programme.alice.display_name = "أليس الحلبي"
    programme.org_a.name = "منظمة المجتمع المدني"
    rows = export_csv(f=ReportFilter(organisation=programme.org_a.id))
    assert {r["display_name"] for r in rows} >= {"أليس الحلبي"}
    assert "منظمة المجتمع المدني" in {r["organisations"] for r in rows}
    sheet, xrows = export_xlsx(f=ReportFilter(organisation=programme.org_a.id), locale="ar")
    assert sheet.sheet_view.rightToLeft is True
    assert "أليس الحلبي" in {r["display_name"] for r in xrows}
    english, _rows = export_xlsx()
    assert not english.sheet_view.rightToLeft


def test_xlsx_cells_are_typed(db, programme):
    _sheet, rows = export_xlsx(f=ReportFilter(course="course-a"))
    alice = next(r for r in rows if r["display_name"] == "Alice")
    assert alice["enrolled_at"] == datetime(2025, 1, 15, 9, 30)  # a real date-time cell, UTC
    assert alice["lessons_done"] == 4 and alice["percent_complete"] == 100.0
    assert alice["completed_at"] == datetime(2025, 2, 1, 12, 0)
    carol = next(r for r in rows if r["display_name"] == "Carol")
    assert carol["completed_at"] is None


def test_gender_and_age_band_only_where_shared(db, programme):
    share(db, programme.alice, "female", "25_34")
    share(db, programme.bob, "male", "35_44", is_shared=False)
    rows = {r["display_name"]: r for r in export_csv(f=ReportFilter(course="course-a"))}
    assert (rows["Alice"]["gender"], rows["Alice"]["age_band"]) == ("female", "25_34")
    assert (rows["Bob"]["gender"], rows["Bob"]["age_band"]) == ("", "")
    assert (rows["Carol"]["gender"], rows["Carol"]["age_band"]) == ("", "")


def _quiz(db, kind, activity, grading="highest"):
    quiz = Quiz(kind=kind, activity_id=activity, default_locale="en", locales=["en"], grading=grading)
    db.session.add(quiz)
    db.session.flush()
    return quiz


def _attempt(db, user, quiz, number, score, *, phase=None, passed=False, graded=True):
    now = datetime(2025, 2, 1, tzinfo=UTC)
    db.session.add(
        Attempt(
            user_id=user.id,
            quiz_id=quiz.id,
            number=number,
            locale="en",
            phase=phase,
            layout=[],
            submitted_at=now,
            graded_at=now if graded else None,
            score=score if graded else None,
            is_passed=passed,
        )
    )
    db.session.flush()


@pytest.fixture
def linked_quizzes(db, programme):
    """Module quizzes for both modules of course-a and a course assessment graded "last"."""
    modules = db.session.scalars(
        sa.select(Module).where(Module.course_id == programme.course.id).order_by(Module.position)
    ).all()
    quiz_1 = _quiz(db, "module", "urn:test:m1")
    quiz_2 = _quiz(db, "module", "urn:test:m2")
    assessment = _quiz(db, "assessment", "urn:test:assessment", grading="last")
    modules[0].quiz_id, modules[1].quiz_id = quiz_1.id, quiz_2.id
    programme.course.assessment_quiz_id = assessment.id
    db.session.flush()
    return quiz_1, quiz_2, assessment


def test_best_module_scores_attempts_and_normalised_gain(db, programme, linked_quizzes):
    quiz_1, quiz_2, assessment = linked_quizzes
    alice, bob = programme.alice, programme.bob
    _attempt(db, alice, quiz_1, 1, 50.0)
    _attempt(db, alice, quiz_1, 2, 90.0, passed=True)
    _attempt(db, alice, quiz_1, 3, 70.0, passed=True)
    _attempt(db, alice, quiz_2, 1, 80.0, passed=True)
    _attempt(db, alice, assessment, 1, 40.0, phase="pre")
    _attempt(db, alice, assessment, 2, 50.0, phase="pre")  # a second pre-test does not count
    _attempt(db, alice, assessment, 3, 95.0, phase="post")
    _attempt(db, alice, assessment, 4, 85.0, phase="post")  # grading "last": this one counts
    _attempt(db, bob, quiz_1, 1, 0.0, graded=False)  # waiting for marking
    _attempt(db, bob, assessment, 1, 60.0, phase="pre")
    _attempt(db, bob, assessment, 2, 30.0, phase="post")
    rows = {r["display_name"]: r for r in export_csv(f=ReportFilter(course="course-a"))}
    alice_row, bob_row = rows["Alice"], rows["Bob"]
    assert alice_row["module_best_scores"] == "module-1=90.0; module-2=80.0"
    assert (alice_row["module_quizzes_passed"], alice_row["module_quizzes_total"]) == ("2", "2")
    assert alice_row["quiz_attempts"] == "4"
    assert (alice_row["pre_test_score"], alice_row["post_test_score"]) == ("40.0", "85.0")
    assert alice_row["normalised_gain"] == "0.750"  # (85 - 40) / (100 - 40)
    assert bob_row["module_best_scores"] == "module-1=; module-2="
    assert bob_row["quiz_attempts"] == "1"
    assert bob_row["normalised_gain"] == "-0.750"  # a number: not neutralised
    assert rows["Carol"]["pre_test_score"] == rows["Carol"]["normalised_gain"] == ""
    _sheet, xrows = export_xlsx(f=ReportFilter(course="course-a"))
    xbob = next(r for r in xrows if r["display_name"] == "Bob")
    assert xbob["normalised_gain"] == -0.75


def test_normalised_gain_is_undefined_at_a_perfect_pre_test():
    assert completions.normalised_gain(100.0, 100.0) is None
    assert completions.normalised_gain(None, 50.0) is None
    assert completions.normalised_gain(50.0, 75.0) == 0.5


def test_certificate_code_status_and_verify_url(db, programme, app):
    now = datetime(2025, 2, 2, tzinfo=UTC)
    db.session.add_all(
        [
            Certificate(
                user_id=programme.alice.id,
                course_id=programme.course.id,
                course_version=1,
                code="A" * 26,
                name_on_certificate="Alice",
                locale="ar",
                issued_at=now,
            ),
            Certificate(
                user_id=programme.erin.id,
                course_id=programme.other_course.id,
                course_version=1,
                code="B" * 26,
                name_on_certificate="Erin",
                locale="en",
                issued_at=now,
                revoked_at=now,
            ),
            Certificate(
                user_id=programme.bob.id,
                course_id=programme.course.id,
                course_version=1,
                code="C" * 26,
                name_on_certificate="Bob",
                locale="en",
            ),
        ]
    )
    db.session.flush()
    rows = {(r["display_name"], r["course_slug"]): r for r in export_csv()}
    alice = rows[("Alice", "course-a")]
    assert alice["certificate_code"] == "A" * 26
    assert alice["certificate_status"] == "valid"
    assert alice["certificate_verify_url"] == app.config["SITE_URL"].rstrip("/") + "/verify/" + "A" * 26
    assert rows[("Erin", "course-b")]["certificate_status"] == "revoked"
    bob = rows[("Bob", "course-a")]
    assert (bob["certificate_status"], bob["certificate_code"], bob["certificate_verify_url"]) == (
        "pending",
        "",
        "",
    )
    assert rows[("Carol", "course-a")]["certificate_status"] == ""


def test_every_export_is_audited_without_the_data(db, programme):
    export_csv(f=ReportFilter(course="course-a"), actor=programme.programme_manager)
    entry = db.session.scalars(sa.select(ExportAudit).order_by(ExportAudit.id.desc())).first()
    assert entry.actor_id == programme.programme_manager.id
    assert entry.actor_name == "manager-all"
    assert (entry.kind, entry.format, entry.row_count) == ("completions", "csv", 4)
    assert entry.filters == {"scope": "programme", "course": "course-a", "locale": "en"}
    assert "Alice" not in str(entry.filters)


def test_results_of_an_imported_course_through_the_quiz_services(db, make_user):
    from lms.courses import services as courses
    from lms.quizzes import services as quizzes
    from tests.test_access_matrix import SAMPLE_COURSE

    course = courses.import_path(SAMPLE_COURSE).course
    learner = make_user(username="quiz-taker", display_name="Quiz Taker")
    courses.enroll(learner, course)
    module = next(m for m in courses.load_outline(course) if m.quiz_id)
    for quiz_id, phase in (
        (module.quiz_id, None),
        (course.assessment_quiz_id, "pre"),
        (course.assessment_quiz_id, "post"),
    ):
        attempt = quizzes.start_attempt(learner, quizzes.get_quiz(quiz_id), "en", phase=phase)
        quizzes.submit_attempt(learner, attempt, {})  # nothing answered: graded 0
    row = next(r for r in export_csv() if r["display_name"] == "Quiz Taker")
    assert row["module_best_scores"] == f"{module.slug}=0.0"
    assert (row["module_quizzes_passed"], row["module_quizzes_total"], row["quiz_attempts"]) == (
        "0",
        "1",
        "1",
    )
    assert (row["pre_test_score"], row["post_test_score"], row["normalised_gain"]) == ("0.0", "0.0", "0.000")


def test_scores_are_rounded_from_the_exact_stored_value(db, programme, linked_quizzes):
    # The database hands over every digit and Python rounds: 6.25 is a tie (half to even),
    # which SQL's round() would take up; 200/3 needs all 17 digits to read back the same.
    quiz_1, quiz_2, assessment = linked_quizzes
    _attempt(db, programme.alice, quiz_1, 1, 6.25)
    _attempt(db, programme.alice, quiz_2, 1, 200 / 3)
    _attempt(db, programme.alice, assessment, 1, 0.05, phase="pre")
    _attempt(db, programme.alice, assessment, 2, 12.35, phase="post")
    alice = next(r for r in export_csv(f=ReportFilter(course="course-a")) if r["display_name"] == "Alice")
    assert (
        alice["module_best_scores"]
        == f"module-1={6.25:.1f}; module-2={200 / 3:.1f}"
        == "module-1=6.2; module-2=66.7"
    )
    assert (alice["pre_test_score"], alice["post_test_score"]) == (f"{0.05:.1f}", f"{12.35:.1f}")
    record = next(
        r for r in completions.iter_completions(PROGRAMME, ReportFilter()) if r.display_name == "Alice"
    )
    assert record.module_scores == (("module-1", 6.25), ("module-2", 200 / 3))


def test_organisations_in_code_point_order_whatever_the_collation(db, programme, make_organisation):
    from lms.accounts import services as accounts

    for name, country in (("beta", "JO"), ("Zeta", "MA"), ("Alpha", "MA")):
        accounts.join_organisation(programme.carol, make_organisation(name, country))
    carol = next(r for r in export_csv() if r["display_name"] == "Carol")
    assert carol["organisations"] == "Alpha; Organisation B; Zeta; beta"  # as Python sorts
    assert carol["countries"] == "MA; TN; JO"  # in the order of the names, without repeats
    record = next(
        r for r in completions.iter_completions(PROGRAMME, ReportFilter()) if r.display_name == "Carol"
    )
    assert record.organisations == ("Alpha", "Organisation B", "Zeta", "beta")


def test_times_are_cut_to_the_second_and_the_issued_certificate_wins(db, programme, make_user):
    from tests.reports.conftest import T0

    learner = make_user(username="frank", display_name="Frank")
    enrol(db, learner, programme.course, enrolled_at=T0.replace(second=59, microsecond=999_999))
    issued = datetime(2025, 2, 2, tzinfo=UTC)
    for version, code, issued_at in ((1, "D" * 26, issued), (2, "E" * 26, None)):
        db.session.add(
            Certificate(
                user_id=learner.id,
                course_id=programme.course.id,
                course_version=version,
                code=code,
                name_on_certificate="Frank",
                locale="en",
                issued_at=issued_at,
            )
        )
    db.session.flush()
    frank = next(r for r in export_csv() if r["display_name"] == "Frank")
    assert frank["enrolled_at"] == "2025-01-15T09:30:59Z"
    assert (frank["certificate_code"], frank["certificate_status"]) == ("D" * 26, "valid")
    db.session.execute(sa.update(Certificate).where(Certificate.code == "E" * 26).values(issued_at=issued))
    frank = next(r for r in export_csv() if r["display_name"] == "Frank")
    assert (frank["certificate_code"], frank["certificate_status"]) == ("E" * 26, "valid")  # the newest


def test_every_csv_field_is_quoted_and_formulas_after_separators_are_neutralised(db, programme, make_user):
    hostile = {
        "Amal;=1+1": "Amal;'=1+1",
        "Amal,@SUM(A1)": "Amal,'@SUM(A1)",
        "Line one\n-2+3": "Line one\n'-2+3",
        "Semi; +cmd": "Semi;' +cmd",
        "=1;=2": "'=1;'=2",
        "Harmless a=b, c-d": "Harmless a=b, c-d",
    }
    for index, name in enumerate(hostile):
        user = make_user(username=f"splitter{index}")
        user.display_name = name
        enrol(db, user, programme.course)
    out = io.BytesIO()
    services.export_completions(None, PROGRAMME, ReportFilter(course="course-a"), "csv", out)
    text = out.getvalue().decode("utf-8-sig")
    # QUOTE_ALL: every field of every record, the header too, is in double quotes.
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert text.startswith('"learner_id","display_name",')
    assert text.count('"') >= 2 * sum(len(record) for record in records)
    names = {r["display_name"] for r in export_csv(f=ReportFilter(course="course-a"))}
    for expected in hostile.values():
        assert expected in names, expected
    assert exports.neutralise_csv("x;\r=1") == "x;'\r'=1"
