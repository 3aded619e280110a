"""Server-rendered SVG bar charts: no library, no JavaScript, mirrored for right-to-left.

The layout is worked out in logical coordinates (x grows from the inline start) and mirrored
for right-to-left pages; the `direction` attribute makes `text-anchor` start and end follow.
Every chart carries its text alternative (`<title>` and `<desc>`); the page shows the same
figures as a table.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 190
GAP = 8
VALUE_ROOM = 64
BAR = 12
BAR_GAP = 3
ROW_PAD = 12
LEGEND = 30
MAX_LABEL = 28
INK = "#1b1f24"
MUTED = "#4a5561"
LINE = "#c9d1d9"
LIGHT = "#9ec5de"
DARK = "#0b5c8c"


@dataclass(frozen=True)
class Series:
    """One kind of bar in every row (e.g. enrolments), with its legend name and colour."""

    name: str
    colour: str


@dataclass(frozen=True)
class ChartRow:
    """One group: its label, a value per series (None: no bar) and the values as shown."""

    label: str
    values: tuple[float | None, ...]
    texts: tuple[str, ...]


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def describe(series: Sequence[Series], rows: Sequence[ChartRow], empty_text: str) -> str:
    """Return the chart's figures as one sentence per row: its text alternative."""
    if not rows:
        return empty_text
    parts = []
    for row in rows:
        figures = ", ".join(f"{s.name} {text}" for s, text in zip(series, row.texts, strict=True) if text)
        parts.append(f"{row.label}: {figures}.")
    return " ".join(parts)


def bar_chart(
    chart_id: str,
    title: str,
    series: Sequence[Series],
    rows: Sequence[ChartRow],
    *,
    rtl: bool = False,
    scale_max: float | None = None,
    empty_text: str = "",
) -> Markup:
    """Return a horizontal bar chart as inline SVG: one row per group, one bar per series."""

    def x(logical: float) -> float:
        return WIDTH - logical if rtl else logical

    per_row = len(series) * (BAR + BAR_GAP) + ROW_PAD
    height = LEGEND + len(rows) * per_row + 4 if rows else 48
    description = describe(series, rows, empty_text)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="13" '
        f'direction="{"rtl" if rtl else "ltr"}" class="chart" id="{chart_id}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    if not rows:
        parts.append(
            f'<text x="{WIDTH / 2:g}" y="28" text-anchor="middle" fill="{MUTED}">{escape(empty_text)}</text>'
        )
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 - every text above is escaped

    start = LABEL_WIDTH + GAP
    legend_x = start
    for s in series:
        box = x(legend_x) - (12 if rtl else 0)
        parts.append(f'<rect x="{box:g}" y="8" width="12" height="12" fill="{s.colour}"/>')
        parts.append(
            f'<text x="{x(legend_x + 18):g}" y="18" text-anchor="start" fill="{INK}">{escape(s.name)}</text>'
        )
        legend_x += 18 + 8 * len(s.name) + 24

    area = WIDTH - start - VALUE_ROOM
    top_value = scale_max or max((v for row in rows for v in row.values if v is not None), default=0) or 1
    bottom = LEGEND + len(rows) * per_row
    parts.append(
        f'<line x1="{x(start):g}" y1="{LEGEND - 4}" x2="{x(start):g}" y2="{bottom:g}" stroke="{LINE}"/>'
    )
    for index, row in enumerate(rows):
        top = LEGEND + index * per_row
        middle = top + len(series) * (BAR + BAR_GAP) / 2 + 4
        parts.append(
            f'<text x="{x(LABEL_WIDTH):g}" y="{middle:g}" text-anchor="end" fill="{INK}">'
            f"<title>{escape(row.label)}</title>{escape(_short(row.label))}</text>"
        )
        for position, (s, value, text) in enumerate(zip(series, row.values, row.texts, strict=True)):
            y = top + position * (BAR + BAR_GAP)
            length = 0.0 if value is None else max(0.0, min(value, top_value)) / top_value * area
            if length > 0:
                left = x(start) - length if rtl else start
                parts.append(
                    f'<rect x="{left:g}" y="{y:g}" width="{length:.1f}" height="{BAR}" fill="{s.colour}"/>'
                )
            if text:
                parts.append(
                    f'<text x="{x(start + length + 4):g}" y="{y + BAR - 2:g}" text-anchor="start" '
                    f'font-size="11" fill="{MUTED}">{escape(text)}</text>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
