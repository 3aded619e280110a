"""What the dashboard shows: tallies by group and periods over time (pure; no database, no Flask).

The database adds the figures up (`lms.reports.aggregates`); this module holds them and
turns months into the periods of the time chart.
"""

from dataclasses import dataclass, field, fields
from datetime import date

# Longer spans are shown by quarter so the chart stays readable.
MAX_MONTHS = 18


@dataclass
class Tally:
    """Counts and score sums for one group of records."""

    enrolments: int = 0
    completions: int = 0
    score_sum: float = 0.0
    score_count: int = 0
    pre_sum: float = 0.0
    pre_count: int = 0
    post_sum: float = 0.0
    post_count: int = 0
    gain_sum: float = 0.0
    gain_count: int = 0

    def __iadd__(self, other: "Tally") -> "Tally":
        """Add another group's counts and sums to this one's."""
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def completion_rate(self) -> float | None:
        """Completions over enrolments (0..1), None without enrolments."""
        return self.completions / self.enrolments if self.enrolments else None

    @property
    def average_score(self) -> float | None:
        """Mean of every best module-quiz score (percent)."""
        return self.score_sum / self.score_count if self.score_count else None

    @property
    def average_pre(self) -> float | None:
        """Mean pre-test score (percent)."""
        return self.pre_sum / self.pre_count if self.pre_count else None

    @property
    def average_post(self) -> float | None:
        """Mean post-test score (percent)."""
        return self.post_sum / self.post_count if self.post_count else None

    @property
    def average_gain(self) -> float | None:
        """Mean of the learners' normalised gains (-1..1)."""
        return self.gain_sum / self.gain_count if self.gain_count else None


@dataclass
class Period:
    """Enrolments and completions that fall in one month or quarter."""

    start: date
    enrolments: int = 0
    completions: int = 0


@dataclass
class Summary:
    """Everything the dashboard shows, by group; keys are stable codes, None: not known."""

    totals: Tally = field(default_factory=Tally)
    by_course: dict[str, Tally] = field(default_factory=dict)
    by_organisation: dict[str | None, Tally] = field(default_factory=dict)
    by_country: dict[str | None, Tally] = field(default_factory=dict)
    by_gender: dict[str | None, Tally] = field(default_factory=dict)
    periods: list[Period] = field(default_factory=list)
    period_unit: str = "month"  # or "quarter"


def periods(enrolled: dict[tuple[int, int], int], completed: dict[tuple[int, int], int]) -> tuple[list, str]:
    """Return the periods of counts by (year, month), and their unit: month, or quarter if long."""
    months = sorted(enrolled.keys() | completed.keys())
    if not months:
        return [], "month"
    (first_year, first_month), (last_year, last_month) = months[0], months[-1]
    span = (last_year - first_year) * 12 + last_month - first_month + 1
    unit = "month" if span <= MAX_MONTHS else "quarter"
    step = 1 if unit == "month" else 3
    year, month = first_year, (first_month if unit == "month" else (first_month - 1) // 3 * 3 + 1)
    found = []
    while (year, month) <= (last_year, last_month):
        period = Period(date(year, month, 1))
        for offset in range(step):
            key = (year + (month - 1 + offset) // 12, (month - 1 + offset) % 12 + 1)
            period.enrolments += enrolled.get(key, 0)
            period.completions += completed.get(key, 0)
        found.append(period)
        month += step
        if month > 12:
            year, month = year + 1, month - 12
    return found, unit
