"""The dashboard: figures, SVG charts with text alternatives and tables, English and Arabic."""

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from lms.core.db import utcnow
from lms.reports import charts, services
from lms.reports.filters import PROGRAMME, ReportFilter
from tests.core.scripts import assert_only_the_exit_script
from tests.reports.conftest import enrol, share

CHART_IDS = (
    "chart-course",
    "chart-organisation",
    "chart-country",
    "chart-gender",
    "chart-time",
    "chart-gain",
)


class _Svgs(HTMLParser):
    """Collect each inline SVG's attributes, title and desc, and the page's tables and scripts."""

    def __init__(self):
        super().__init__()
        self.svgs: list[dict] = []
        self.tables = 0
        self.scripts = 0
        self.styles = 0
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.styles += 1
        if tag == "svg":
            self.svgs.append({"attrs": attrs, "title": "", "desc": "", "rects": 0})
        elif tag in ("title", "desc") and self.svgs and self._in is None:
            self._in = tag
        elif tag == "rect" and self.svgs:
            self.svgs[-1]["rects"] += 1
        elif tag == "table":
            self.tables += 1
        elif tag == "script":
            self.scripts += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in and self.svgs:
            self.svgs[-1][self._in] += data


def parse(html: str) -> _Svgs:
    parser = _Svgs()
    parser.feed(html)
    return parser


@pytest.fixture
def admin(make_user, auth):
    make_user(role="admin", username="report-admin")
    auth.login("report-admin")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_empty_programme_renders_every_chart(client, admin, courses_imported, lang):
    page = client.get("/reports/", headers={"Accept-Language": lang})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = parse(html)
    assert [svg["attrs"]["id"] for svg in found.svgs] == list(CHART_IDS)
    for svg in found.svgs:
        assert svg["attrs"]["role"] == "img" and svg["title"] and svg["desc"]
        assert svg["attrs"]["direction"] == ("rtl" if lang == "ar" else "ltr")
    assert found.tables == len(CHART_IDS)
    assert found.scripts == 1 and found.styles == 0  # the quick exit's file only (checked below)
    assert_only_the_exit_script(html)
    assert f'dir="{"rtl" if lang == "ar" else "ltr"}"' in html


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_seeded_programme_renders_its_figures(client, admin, programme, db, lang):
    share(db, programme.alice, "female", "25_34")
    share(db, programme.bob, "male", None, is_shared=False)
    html = client.get("/reports/", headers={"Accept-Language": lang}).get_data(as_text=True)
    found = parse(html)
    by_id = {svg["attrs"]["id"]: svg for svg in found.svgs}
    assert set(by_id) == set(CHART_IDS)
    assert by_id["chart-course"]["rects"] >= 4  # legend and bars
    # The text alternative carries the figures.
    assert "Organisation B" in by_id["chart-organisation"]["desc"]
    assert re.search(r"Organisation A: [^,]+ 3, [^.]+ 1\.", by_id["chart-organisation"]["desc"])
    assert "<td>" in html and "Organisation C" in html
    if lang == "ar":
        assert "لبنان" in html  # country names in the reader's language
        assert "Course course-a (ar)" in html  # course titles too
    else:
        assert "Lebanon" in html and "Tunisia" in html
    # Gender only where shared: Bob's answer is not counted.
    gender = by_id["chart-gender"]["desc"]
    assert "Woman" in gender or lang == "ar"
    assert "Man" not in gender


def test_headline_figures(db, programme):
    now = datetime(2025, 3, 20, tzinfo=UTC)
    board = services.dashboard(PROGRAMME, ReportFilter(), now=now)
    totals = board.summary.totals
    assert (totals.enrolments, totals.completions) == (6, 2)
    assert totals.completion_rate == pytest.approx(2 / 6)
    assert board.active_learners == 1  # Carol, who enrolled on 3 March
    assert [p.start.isoformat() for p in board.summary.periods] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert [(p.enrolments, p.completions) for p in board.summary.periods] == [(5, 0), (0, 1), (1, 1)]


def test_the_filter_in_the_url_drives_the_dashboard(client, admin, programme):
    html = client.get("/reports/?course=course-b&status=completed").get_data(as_text=True)
    assert 'value="course-b" selected' in html
    assert 'value="completed" selected' in html
    # The download buttons carry the same filter.
    assert "/reports/completions.csv?course=course-b&amp;status=completed" in html


def test_long_spans_are_shown_by_quarter(db, programme, make_user):
    learner = make_user(username="early-bird")
    enrol(db, learner, programme.course, enrolled_at=datetime(2023, 5, 1, tzinfo=UTC))
    summary = services.dashboard(PROGRAMME, ReportFilter()).summary
    assert summary.period_unit == "quarter"
    assert summary.periods[0].start.isoformat() == "2023-04-01"
    assert sum(p.enrolments for p in summary.periods) == 7


def test_the_dashboard_needs_a_fixed_number_of_queries(client, admin, programme, db, make_user):
    def count_queries():
        statements = []

        def listener(*args):
            statements.append(args[2])

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/reports/").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    before = count_queries()
    for index in range(25):
        learner = make_user(username=f"extra{index}")
        enrol(db, learner, programme.course, done=1)
        enrol(db, learner, programme.other_course)
    assert count_queries() == before


def test_charts_mirror_for_right_to_left():
    series = (charts.Series("Enrolments", charts.LIGHT),)
    rows = [charts.ChartRow("<Org & Co>", (10,), ("10",)), charts.ChartRow("B", (5,), ("5",))]
    ltr = str(charts.bar_chart("c", "Title", series, rows))
    rtl = str(charts.bar_chart("c", "Title", series, rows, rtl=True))
    assert "&lt;Org &amp; Co&gt;" in ltr and "<Org" not in ltr
    ltr_bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="12"', ltr)
    rtl_bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="12"', rtl)
    assert len(ltr_bars) == len(rtl_bars) == 3  # legend + two bars
    for (lx, lw), (rx, rw) in zip(ltr_bars, rtl_bars, strict=True):
        assert float(lw) == float(rw)
        assert float(rx) == pytest.approx(charts.WIDTH - float(lx) - float(lw))
    assert 'direction="rtl"' in rtl and 'direction="ltr"' in ltr
    assert charts.describe(series, rows, "none") == "<Org & Co>: Enrolments 10. B: Enrolments 5."


def test_an_empty_chart_says_so():
    svg = str(
        charts.bar_chart("e", "Title", (charts.Series("X", charts.DARK),), [], empty_text="Nothing here")
    )
    assert "Nothing here" in svg and "<rect" not in svg


def test_summary_counts_a_learner_in_two_organisations_in_both(db, programme):
    summary = services.dashboard(PROGRAMME, ReportFilter(course="course-a")).summary
    assert summary.by_organisation["Organisation A"].enrolments == 2
    assert summary.by_organisation["Organisation B"].enrolments == 2
    assert summary.totals.enrolments == 4


def test_active_learners_count_the_last_30_days(db, programme):
    recent = utcnow() - timedelta(days=3)
    db.session.execute(
        sa.text("UPDATE enrolments SET last_activity_at = :t WHERE user_id = :u"),
        {"t": recent, "u": programme.carol.id},
    )
    assert services.dashboard(PROGRAMME, ReportFilter()).active_learners == 1
