"""Server-rendered SVG charts: bars, columns, a line and a heatmap, with no JavaScript.

Pure functions: data, translated labels and number formatters in, an SVG string (Markup) out.
Every chart has a fixed viewBox (its box is known before it paints: no layout shift), a
<title> and <desc> named by aria-labelledby, a <title> on every mark (the tooltip and what a
screen reader reads), and colours as presentation attributes: the CSP forbids style="".
The viewBox is narrow (320 units) so labels stay readable when a phone scales it down.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH = 320  # narrow on purpose: a phone shows it near 1:1, so 12-unit text stays readable
INK, MUTED, BRAND, GRID, TINT = "#1a2a30", "#51636a", "#1f4e5f", "#d3dde0", "#e3eff1"
Formatter = Callable[[float], str]


def _svg(chart_id: str, height: float, title: str, desc: str, body: list[str]) -> Markup:
    """The outer <svg> with its accessible name and description."""
    head = (
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="12" fill="{INK}">'
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title><desc id="{escape(chart_id)}-d">{escape(desc)}</desc>'
    )
    # Every text that goes in (labels, titles, values) went through escape() on the way.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def _text(x: float, y: float, content: str, anchor: str = "start", size: int = 12, fill: str = INK) -> str:
    """A text label (escaped)."""
    place = f'x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"'
    return f"<text {place}>{escape(content)}</text>"


TICKS = 3  # grid lines above zero


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value`: TICKS steps of 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return TICKS
    raw = value / TICKS
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return max(step, 1) * TICKS


def bar_chart(
    chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, float]], fmt: Formatter, empty: str
) -> Markup:
    """Horizontal bars, one per row: the label above its bar, the value at the bar's end."""
    row_h, top = 38, 4
    height = top + max(len(rows), 1) * row_h + 4
    body: list[str] = []
    if not rows:
        body.append(_text(WIDTH / 2, height / 2 + 4, empty, "middle", fill=MUTED))
        return _svg(chart_id, height, title, desc, body)
    peak = max((v for _l, v in rows), default=0) or 1
    room = max(len(fmt(v)) for _l, v in rows) * 7 + 8  # the longest value label fits after its bar
    for index, (label, value) in enumerate(rows):
        y = top + index * row_h
        width = max((WIDTH - room) * value / peak, 1 if value else 0)
        shown = label if len(label) <= 40 else label[:39] + "…"
        body.append(f"<g><title>{escape(label)}: {escape(fmt(value))}</title>")
        body.append(_text(0, y + 13, shown, size=13))
        body.append(f'<rect x="0" y="{y + 18}" width="{width:.1f}" height="14" rx="2" fill="{BRAND}"/>')
        body.append(_text(width + 4, y + 29, fmt(value), size=12, fill=MUTED) + "</g>")
    return _svg(chart_id, height, title, desc, body)


def _frame(peak: float, fmt: Formatter, left: int, top: int, plot_h: int) -> list[str]:
    """Three horizontal grid lines with their values on the left."""
    parts = []
    for step in range(TICKS + 1):
        value = peak * step / TICKS
        y = top + plot_h - plot_h * step / TICKS
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(left - 4, y + 4, fmt(value), "end", size=11, fill=MUTED))
    return parts


def _x_labels(labels: Sequence[str], left: int, slot: float, y: float) -> list[str]:
    """Labels under the columns, every n-th one so that they never overlap."""
    widest = max((len(label) for label in labels), default=1) * 6.8 + 8  # 11-unit text
    every = max(1, math.ceil(widest / max(slot, 1)))
    return [
        _text(left + slot * (i + 0.5), y, label, "middle", size=11, fill=MUTED)
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def column_chart(
    chart_id: str,
    title: str,
    desc: str,
    points: Sequence[tuple[str, float]],
    fmt: Formatter,
    tick_fmt: Formatter | None = None,
    axis_labels: Sequence[str] | None = None,
) -> Markup:
    """Vertical columns (days, buckets): a labelled value axis and spread-out category labels."""
    left, top, plot_h = 48, 8, 150
    height = top + plot_h + 24
    peak = nice_max(max((v for _l, v in points), default=0))
    slot = (WIDTH - left) / max(len(points), 1)
    body = _frame(peak, tick_fmt or fmt, left, top, plot_h)
    for index, (label, value) in enumerate(points):
        bar_h = plot_h * value / peak
        x = left + slot * index + slot * 0.12
        body.append(
            f"<g><title>{escape(label)}: {escape(fmt(value))}</title>"
            f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{slot * 0.76:.1f}" height="{bar_h:.1f}" '
            f'fill="{BRAND}"/></g>'
        )
    body += _x_labels(axis_labels or [label for label, _v in points], left, slot, top + plot_h + 16)
    return _svg(chart_id, height, title, desc, body)


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
    fmt: Formatter,
    axis_labels: Sequence[str] | None = None,
) -> Markup:
    """One or two lines over days sharing a value axis; `series` is (name, values, colour)."""
    left, top, plot_h = 48, 24, 140
    height = top + plot_h + 24
    peak = nice_max(max((max(values, default=0) for _n, values, _c in series), default=0))
    slot = (WIDTH - left) / max(len(labels), 1)
    body = _frame(peak, fmt, left, top, plot_h)
    for index, (name, values, colour) in enumerate(series):
        body.append(f'<rect x="{left + index * 120}" y="4" width="10" height="10" fill="{colour}"/>')
        body.append(_text(left + index * 120 + 14, 13, name, size=11))
        points = [
            (left + slot * (i + 0.5), top + plot_h - plot_h * v / peak) for i, v in enumerate(values[: len(labels)])
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), label, value in zip(points, labels, values):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(name)}, {escape(label)}: {escape(fmt(value))}</title></circle>"
            )
    body += _x_labels(axis_labels or labels, left, slot, top + plot_h + 16)
    return _svg(chart_id, height, title, desc, body)


def shade(value: float, peak: float) -> str:
    """A colour from light (little) to the brand colour (the most); zero stays blank."""
    if value <= 0 or peak <= 0:
        return "#f5f8f8"
    share = 0.15 + 0.85 * min(value / peak, 1)
    low, high = (0xE3, 0xEF, 0xF1), (0x1F, 0x4E, 0x5F)
    return "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in zip(low, high))


def heatmap_chart(
    chart_id: str,
    title: str,
    desc: str,
    grid: Sequence[Sequence[float]],
    row_labels: Sequence[str],
    cell_title: Callable[[int, int, float], str],
) -> Markup:
    """Rows (weekdays) x 24 hour columns, each cell shaded by its value, with a tooltip."""
    left, top, cell_h = 40, 18, 26
    cell_w = (WIDTH - left) / 24
    height = top + len(grid) * cell_h + 4
    peak = max((max(row, default=0) for row in grid), default=0)
    body = [_text(left + cell_w * (h + 0.5), 12, f"{h:02d}", "middle", size=11, fill=MUTED) for h in range(0, 24, 3)]
    for r, row in enumerate(grid):
        y = top + r * cell_h
        body.append(_text(left - 4, y + cell_h / 2 + 5, row_labels[r], "end", size=13))
        for h, value in enumerate(row):
            body.append(
                f'<rect x="{left + h * cell_w:.1f}" y="{y}" width="{cell_w - 1:.1f}" height="{cell_h - 1}" '
                f'fill="{shade(value, peak)}"><title>{escape(cell_title(r, h, value))}</title></rect>'
            )
    return _svg(chart_id, height, title, desc, body)
