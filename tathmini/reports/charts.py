"""Server-rendered SVG charts: one renderer for the web page and the PDF.

Each chart is plain SVG text with a <title> and <desc>, and every caller shows the same numbers
as a table beside it (the text alternative). No JavaScript and no fonts to download: a chart is a
few kilobytes inside the page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 640, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 16, 44

RATING_COLOURS = {
    "on_track": "#1a7f37",
    "at_risk": "#b26a00",
    "off_track": "#c62828",
    "no_data": "#8a939c",
    "no_target": "#5b6770",
}


@dataclass
class Series:
    label: str
    points: list[Decimal | None]  # one per x label; None = no value
    style: str = "solid"  # solid, dashed (targets), dotted (forecast)
    colour: str = "#0b5e3c"


def _fmt(value: Decimal | float) -> str:
    v = float(value)
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def _id(chart_id: str, title: str, description: str) -> str:
    # Every chart's <title>/<desc> ids must be unique on a page that holds many charts, and stable
    # so that a frozen report renders byte for byte the same.
    return chart_id or "c" + hashlib.sha1(f"{title}|{description}".encode(), usedforsecurity=False).hexdigest()[:10]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def line_chart(
    title: str,
    description: str,
    x_labels: list[str],
    series: list[Series],
    baseline: Decimal | None = None,
    chart_id: str = "",
    baseline_label: str = "",
) -> str:
    """Values over periods: one line per series, an optional horizontal baseline."""
    cid = _id(chart_id, title, description)
    numbers = [float(p) for s in series for p in s.points if p is not None]
    if baseline is not None:
        numbers.append(float(baseline))
    low = min([0.0, *numbers])
    high = _nice_max(max(numbers)) if numbers else 1.0
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    n = max(len(x_labels), 1)

    def x(i: int) -> float:
        return PAD_LEFT + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return PAD_TOP + plot_h - (v - low) / ((high - low) or 1) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" class="chart" font-family="sans-serif" font-size="11">',
        f'<title id="{cid}-t">{escape(title)}</title><desc id="{cid}-d">{escape(description)}</desc>',
    ]
    # The grid is one path and each series' markers another (round dots: zero-length segments
    # with round caps), not an element per line or dot: WeasyPrint draws each element of the PDF's
    # charts with a graphics state of its own.
    ticks = [low + (high - low) * k / 4 for k in range(5)]
    grid = "".join(f"M{PAD_LEFT} {y(v):.1f}H{WIDTH - PAD_RIGHT}" for v in ticks)
    parts.append(f'<path d="{grid}" stroke="#e3e7eb" fill="none"/>')
    for v in ticks:
        parts.append(f'<text x="{PAD_LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#555e68">{_fmt(v)}</text>')
    # Labels that would overlap are thinned out: every k-th one is written, the table has them all.
    every = max(1, -(-n * 7 * max((len(label) for label in x_labels), default=1) // plot_w))
    for i, label in enumerate(x_labels):
        if i % every:
            continue
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" text-anchor="middle" fill="#555e68">{escape(label)}</text>'
        )
    if baseline is not None:
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y(float(baseline)):.1f}" y2="{y(float(baseline)):.1f}" '
            f'stroke="#5b6770" stroke-dasharray="2 4"/>'
        )
        if baseline_label:
            parts.append(
                f'<text x="{WIDTH - PAD_RIGHT}" y="{y(float(baseline)) - 4:.1f}" text-anchor="end" fill="#5b6770">{escape(baseline_label)}</text>'
            )
    dash = {"solid": "", "dashed": ' stroke-dasharray="6 4"', "dotted": ' stroke-dasharray="2 3"'}
    for s in series:
        segment: list[str] = []
        dots: list[str] = []
        for i, p in enumerate(s.points):
            if p is None:
                if len(segment) > 1:
                    parts.append(
                        f'<polyline fill="none" stroke="{s.colour}" stroke-width="2"{dash[s.style]} points="{" ".join(segment)}"/>'
                    )
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(float(p)):.1f}")
            dots.append(f"M{x(i):.1f} {y(float(p)):.1f}h0")
        if len(segment) > 1:
            parts.append(
                f'<polyline fill="none" stroke="{s.colour}" stroke-width="2"{dash[s.style]} points="{" ".join(segment)}"/>'
            )
        if dots:
            parts.append(
                f'<path d="{"".join(dots)}" fill="none" stroke="{s.colour}" stroke-width="6" stroke-linecap="round"/>'
            )
    # legend
    lx = PAD_LEFT
    for s in series:
        parts.append(
            f'<line x1="{lx}" x2="{lx + 18}" y1="{HEIGHT - 10}" y2="{HEIGHT - 10}" stroke="{s.colour}" stroke-width="2"{dash[s.style]}/>'
            f'<text x="{lx + 22}" y="{HEIGHT - 6}" fill="#1b1f23">{escape(s.label)}</text>'
        )
        lx += 30 + 7 * len(s.label)
    parts.append("</svg>")
    return "".join(parts)


def ratings_bars(
    title: str,
    description: str,
    rows: list[tuple[str, dict[str, int]]],
    labels: dict[str, str],
    chart_id: str = "",
) -> str:
    """One stacked horizontal bar per objective: how many of its indicators have each rating."""
    cid = _id(chart_id, title, description)
    bar_h, gap = 18, 10
    height = PAD_TOP + len(rows) * (bar_h + gap) + 40
    total_w = WIDTH - 120 - PAD_RIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{cid}-t {cid}-d" '
        f'class="chart" font-family="sans-serif" font-size="11">',
        f'<title id="{cid}-t">{escape(title)}</title><desc id="{cid}-d">{escape(description)}</desc>',
    ]
    for r, (name, counts) in enumerate(rows):
        top = PAD_TOP + r * (bar_h + gap)
        parts.append(f'<text x="112" y="{top + 13}" text-anchor="end" fill="#1b1f23">{escape(name)}</text>')
        total = sum(counts.values()) or 1
        left = 120.0
        for rating, colour in RATING_COLOURS.items():
            count = counts.get(rating, 0)
            if not count:
                continue
            w = total_w * count / total
            parts.append(
                f'<rect x="{left:.1f}" y="{top}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                f"<title>{escape(labels.get(rating, rating))}: {count}</title></rect>"
            )
            if w > 14:
                parts.append(
                    f'<text x="{left + w / 2:.1f}" y="{top + 13}" text-anchor="middle" fill="#fff">{count}</text>'
                )
            left += w
    lx, ly = 120, height - 14
    for rating, colour in RATING_COLOURS.items():
        label = labels.get(rating, rating)
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/><text x="{lx + 14}" y="{ly}">{escape(label)}</text>'
        )
        lx += 24 + 7 * len(label)
    parts.append("</svg>")
    return "".join(parts)
