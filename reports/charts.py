"""Charts as server-rendered SVG, for the dashboards (issue 11) and the PDF reports (issue 12).

No JavaScript and no charting library: each function returns a :class:`Chart`,
an ``<svg>`` whose labels are ``<text>`` (so Chinese reads, copies and prints
with the page's own font) plus the figures behind it as a table (``columns``,
``rows``) that the template ``reports/_chart.html`` prints under or beside the
picture for screen readers and for copying. Colours are given as SVG
presentation attributes, never ``style=""`` (the Content-Security-Policy
forbids inline styles).

    bar_chart(title, [(label, value), …], value_label=…)
    stacked_bar_chart(title, [(label, {key: value}), …], series=[(key, name, colour), …])
    line_chart(title, [date, …], [(name, colour, [value or None, …]), …])

Values are numbers; ``percent=True`` prints them as rates with one decimal.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, sans-serif"
INK = "#1f2328"
MUTED = "#59636e"
GRID = "#d1d9e0"
# Colours of the warning levels (the product's badges) and a neutral series colour.
COLOURS = {
    "none": "#1a7f37",
    "yellow": "#b07d00",
    "red": "#b4232a",
    "escalated": "#6e1116",
    "blue": "#0b57a4",
    "grey": "#8c959f",
}
WIDTH = 640
LABEL_WIDTH = 150  # the unit names left of horizontal bars
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_CHARS = 10  # longer labels are cut with "…" in the picture, whole in the table and tooltip


@dataclass(frozen=True)
class Chart:
    title: str
    svg: SafeString
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    percent: bool = False

    def __str__(self):
        return self.svg

    def table(self):
        """The rows as printed under the chart: the first column as is, the figures formatted."""
        return [(row[0], *(format_value(v, self.percent) for v in row[1:])) for row in self.rows]


def format_value(value, percent=False):
    """A figure as the speech writes it: whole numbers bare, rates with one decimal and %."""
    if value is None:
        return "—"
    if percent:
        return f"{value:.1f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


def _short(label, chars=LABEL_CHARS):
    label = str(label)
    return label if len(label) <= chars else label[: chars - 1] + "…"


def _text(x, y, content, *, anchor="start", size=12, fill=INK, weight=None):
    attrs = f'x="{x:g}" y="{y:g}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    return f"<text {attrs}>{escape(content)}</text>"


def _svg(title, width, height, body):
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}" role="img" font-family="{FONT}">'
        f"<title>{escape(title)}</title>"
    )
    return mark_safe(head + "".join(body) + "</svg>")


def _scale_max(values):
    """A round upper bound for an axis: 1, 2 or 5 times a power of ten."""
    top = max([v for v in values if v is not None] or [0])
    if top <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= top:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= top:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop above always returns


def bar_chart(title, items, *, value_label, label_heading="", percent=False, colour=COLOURS["blue"]):
    """Horizontal bars, one per (label, value): units ranked, ages by bucket, …"""
    items = [(str(label), value) for label, value in items]
    top = 100 if percent else _scale_max(v for _, v in items)
    plot = WIDTH - LABEL_WIDTH - 60
    body = []
    y = 28
    body.append(_text(0, 16, title, size=14, weight="bold"))
    for label, value in items:
        length = 0 if not value else max(1.0, plot * min(value, top) / top)
        body.append(f"<g><title>{escape(label)}: {escape(format_value(value, percent))}</title>")
        body.append(_text(LABEL_WIDTH - 6, y + BAR_HEIGHT * 0.7, _short(label), anchor="end"))
        body.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{colour}"/>'
        )
        body.append(_text(LABEL_WIDTH + length + 4, y + BAR_HEIGHT * 0.7, format_value(value, percent)))
        body.append("</g>")
        y += BAR_HEIGHT + BAR_GAP
    if not items:
        body.append(_text(LABEL_WIDTH, y + 14, "—", fill=MUTED))
        y += BAR_HEIGHT
    height = y + 4
    rows = tuple((label, value) for label, value in items)
    return Chart(title, _svg(title, WIDTH, height, body), (label_heading, value_label), rows, percent)


def stacked_bar_chart(title, items, *, series, label_heading=""):
    """Horizontal bars split by series, with a legend: open tasks of each unit by warning level."""
    items = [(str(label), dict(values)) for label, values in items]
    totals = [sum(values.get(key) or 0 for key, _, _ in series) for _, values in items]
    top = _scale_max(totals)
    plot = WIDTH - LABEL_WIDTH - 60
    body = [_text(0, 16, title, size=14, weight="bold")]
    # The legend, on one line under the title.
    x = 0
    for _key, name, colour in series:
        body.append(f'<rect x="{x}" y="26" width="12" height="12" fill="{colour}"/>')
        body.append(_text(x + 16, 36, name))
        x += 24 + 13 * len(name)
    y = 48
    for (label, values), total in zip(items, totals):
        parts = [f"{name} {format_value(values.get(key) or 0)}" for key, name, _ in series]
        body.append(f"<g><title>{escape(label)}: {escape('，'.join(parts))}</title>")
        body.append(_text(LABEL_WIDTH - 6, y + BAR_HEIGHT * 0.7, _short(label), anchor="end"))
        x = float(LABEL_WIDTH)
        for key, _name, colour in series:
            value = values.get(key) or 0
            if value:
                length = plot * value / top
                body.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{colour}"/>'
                )
                x += length
        body.append(_text(x + 4, y + BAR_HEIGHT * 0.7, format_value(total)))
        body.append("</g>")
        y += BAR_HEIGHT + BAR_GAP
    columns = (label_heading, *(name for _, name, _ in series))
    rows = tuple((label, *((values.get(key) or 0) for key, _, _ in series)) for label, values in items)
    return Chart(title, _svg(title, WIDTH, y + 4, body), columns, rows)


def line_chart(title, dates, series, *, percent=False, date_heading=""):
    """Lines over days: completion, overdue and escalated tasks over the campaign."""
    dates = list(dates)
    height = 260
    left, right, top_margin, bottom = 48, 16, 48, 40
    plot_w = WIDTH - left - right
    plot_h = height - top_margin - bottom
    values = [v for _, _, points in series for v in points]
    top = 100 if percent else _scale_max(values)
    body = [_text(0, 16, title, size=14, weight="bold")]
    x = 0
    for name, colour, _points in series:
        body.append(f'<rect x="{x}" y="26" width="12" height="12" fill="{colour}"/>')
        body.append(_text(x + 16, 36, name))
        x += 24 + 13 * len(name)
    # Axis: four grid lines with their values.
    for i in range(5):
        value = top * i / 4
        y = top_margin + plot_h - plot_h * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 4, y + 4, format_value(value, percent), anchor="end", size=10, fill=MUTED))

    def x_of(i):
        return left + (plot_w * i / (len(dates) - 1) if len(dates) > 1 else plot_w / 2)

    for i in sorted({0, len(dates) - 1, (len(dates) - 1) // 2}):
        if 0 <= i < len(dates):
            body.append(_text(x_of(i), height - bottom + 16, _day(dates[i]), anchor="middle", size=10, fill=MUTED))
    for name, colour, points in series:
        coords = [
            f"{x_of(i):.1f},{top_margin + plot_h - plot_h * min(v, top) / top:.1f}"
            for i, v in enumerate(points)
            if v is not None
        ]
        if len(coords) > 1:
            body.append(f'<polyline points="{" ".join(coords)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for c in coords:
            cx, cy = c.split(",")
            body.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
    if not dates:
        body.append(_text(left, top_margin + 20, "—", fill=MUTED))
    columns = (date_heading, *(name for name, _, _ in series))
    rows = tuple((_day(d), *(points[i] for _, _, points in series)) for i, d in enumerate(dates))
    svg = _svg(title, WIDTH, height, body)
    return Chart(title, svg, columns, rows, percent)


def _day(value):
    if isinstance(value, datetime.date):
        return f"{value.month}月{value.day}日"
    return str(value)
