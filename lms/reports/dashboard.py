"""The dashboard's charts and tables, in the reader's language, from a Summary (no queries)."""

from collections.abc import Callable
from dataclasses import dataclass

from babel import Locale
from flask_babel import format_date, format_decimal, format_number, format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from lms.reports import charts
from lms.reports.forms import GENDER_LABELS
from lms.reports.summary import Summary, Tally

MAX_BARS = 20  # the table under each chart lists every group


@dataclass(frozen=True)
class Figure:
    """A chart with its caption, text alternative and table view."""

    id: str
    title: str
    note: str
    svg: Markup
    description: str
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Headline:
    """One figure at the top of the dashboard."""

    label: str
    value: str


def _score(value: float | None) -> str:
    return "" if value is None else format_decimal(value, "0.0")


def _gain(value: float | None) -> str:
    return "" if value is None else format_decimal(value, "0.00")


def _rate(value: float | None) -> str:
    return "" if value is None else format_percent(value, "0%")


def headlines(summary: Summary, active_learners: int) -> list[Headline]:
    """Return the headline figures."""
    totals = summary.totals
    return [
        Headline(_("Enrolments"), format_number(totals.enrolments)),
        Headline(_("Learners active in the last 30 days"), format_number(active_learners)),
        Headline(_("Completions"), format_number(totals.completions)),
        Headline(_("Completion rate"), _rate(totals.completion_rate) or "–"),
        Headline(_("Average module quiz score"), _score(totals.average_score) or "–"),
        Headline(_("Average pre-test score"), _score(totals.average_pre) or "–"),
        Headline(_("Average post-test score"), _score(totals.average_post) or "–"),
        Headline(_("Average normalised gain"), _gain(totals.average_gain) or "–"),
    ]


def _group_headers(first: str) -> list[str]:
    return [
        first,
        _("Enrolments"),
        _("Completions"),
        _("Completion rate"),
        _("Average module quiz score"),
        _("Average pre-test score"),
        _("Average post-test score"),
        _("Average normalised gain"),
    ]


def _group_row(label: str, tally: Tally) -> list[str]:
    return [
        label,
        format_number(tally.enrolments),
        format_number(tally.completions),
        _rate(tally.completion_rate),
        _score(tally.average_score),
        _score(tally.average_pre),
        _score(tally.average_post),
        _gain(tally.average_gain),
    ]


def _group_figure(
    figure_id: str, title: str, groups: list[tuple[str, Tally]], first_header: str, rtl: bool
) -> Figure:
    series = (charts.Series(_("Enrolments"), charts.LIGHT), charts.Series(_("Completions"), charts.DARK))
    shown = sorted(groups, key=lambda item: (-item[1].enrolments, item[0]))[:MAX_BARS]
    rows = [
        charts.ChartRow(
            label,
            (tally.enrolments, tally.completions),
            (format_number(tally.enrolments), format_number(tally.completions)),
        )
        for label, tally in shown
    ]
    empty = _("No enrolments match these filters.")
    note = (
        _("The chart shows the %(count)d largest groups; the table lists all of them.", count=MAX_BARS)
        if len(groups) > MAX_BARS
        else ""
    )
    return Figure(
        id=figure_id,
        title=title,
        note=note,
        svg=charts.bar_chart(figure_id, title, series, rows, rtl=rtl, empty_text=empty),
        description=charts.describe(series, rows, empty),
        headers=_group_headers(first_header),
        rows=[_group_row(label, tally) for label, tally in groups],
    )


def figures(summary: Summary, course_titles: dict[str, str], locale: str, rtl: bool) -> list[Figure]:
    """Return every chart of the dashboard with its table."""
    territories = Locale.parse(locale).territories

    def labelled(groups: dict, label: Callable[[object], str]) -> list[tuple[str, Tally]]:
        return sorted(((label(key), tally) for key, tally in groups.items()), key=lambda item: item[0])

    by_course = labelled(summary.by_course, lambda slug: course_titles.get(slug, slug))
    result = [
        _group_figure("chart-course", _("Enrolments and completions by course"), by_course, _("Course"), rtl),
        _group_figure(
            "chart-organisation",
            _("Enrolments and completions by organisation"),
            labelled(summary.by_organisation, lambda name: name or _("No organisation")),
            _("Organisation"),
            rtl,
        ),
        _group_figure(
            "chart-country",
            _("Enrolments and completions by country"),
            labelled(
                summary.by_country, lambda code: territories.get(code, code) if code else _("No country")
            ),
            _("Country"),
            rtl,
        ),
        _group_figure(
            "chart-gender",
            _("Enrolments and completions by gender (where learners chose to share it)"),
            labelled(summary.by_gender, lambda g: str(GENDER_LABELS.get(g, g)) if g else _("Not shared")),
            _("Gender"),
            rtl,
        ),
        _time_figure(summary, rtl),
        _gain_figure(by_course, rtl),
    ]
    return result


def _period_label(summary: Summary, start) -> str:
    return format_date(start, "QQQ y" if summary.period_unit == "quarter" else "MMM y")


def _time_figure(summary: Summary, rtl: bool) -> Figure:
    title = (
        _("Enrolments and completions by quarter")
        if summary.period_unit == "quarter"
        else _("Enrolments and completions by month")
    )
    series = (charts.Series(_("Enrolments"), charts.LIGHT), charts.Series(_("Completions"), charts.DARK))
    rows = [
        charts.ChartRow(
            _period_label(summary, p.start),
            (p.enrolments, p.completions),
            (format_number(p.enrolments), format_number(p.completions)),
        )
        for p in summary.periods
    ]
    empty = _("No enrolments match these filters.")
    return Figure(
        id="chart-time",
        title=title,
        note=_("Enrolments are counted when learners enrolled, completions when they completed."),
        svg=charts.bar_chart("chart-time", title, series, rows, rtl=rtl, empty_text=empty),
        description=charts.describe(series, rows, empty),
        headers=[_("Period"), _("Enrolments"), _("Completions")],
        rows=[[row.label, *row.texts] for row in rows],
    )


def _gain_figure(by_course: list[tuple[str, Tally]], rtl: bool) -> Figure:
    title = _("Learning gain: average pre-test and post-test scores by course")
    series = (charts.Series(_("Pre-test"), charts.LIGHT), charts.Series(_("Post-test"), charts.DARK))
    measured = [(label, t) for label, t in by_course if t.pre_count or t.post_count]
    rows = [
        charts.ChartRow(
            label, (t.average_pre, t.average_post), (_score(t.average_pre), _score(t.average_post))
        )
        for label, t in measured[:MAX_BARS]
    ]
    empty = _("No pre-test or post-test results match these filters.")
    return Figure(
        id="chart-gain",
        title=title,
        note=_(
            "Scores are percentages. The normalised gain is (post − pre) / (100 − pre): "
            "the share of what there was left to learn that was learned."
        ),
        svg=charts.bar_chart("chart-gain", title, series, rows, rtl=rtl, scale_max=100, empty_text=empty),
        description=charts.describe(series, rows, empty),
        headers=[
            _("Course"),
            _("Average pre-test score"),
            _("Average post-test score"),
            _("Average normalised gain"),
        ],
        rows=[
            [label, _score(t.average_pre), _score(t.average_post), _gain(t.average_gain)]
            for label, t in measured
        ],
    )
