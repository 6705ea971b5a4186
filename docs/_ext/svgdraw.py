"""Small SVG drawing helpers for the documentation's pictures: text, boxes, arrows, bars."""

from __future__ import annotations

import math
from html import escape

FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'
INK, QUIET, ACCENT, OURS = "#1f2933", "#616e7c", "#417690", "#c2410c"


def text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 13,
    anchor: str = "start",
    colour: str = INK,
    bold: bool = False,
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{colour}"{weight}>{escape(content)}</text>'
    )


def box(
    x: float,
    y: float,
    width: float,
    height: float,
    lines: list[str],
    *,
    fill: str = "#f0f4f8",
    stroke: str = ACCENT,
) -> str:
    parts = [
        f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
    ]
    top = y + height / 2 - (len(lines) - 1) * 8 + 4
    for index, line in enumerate(lines):
        parts.append(text(x + width / 2, top + index * 16, line, anchor="middle", bold=index == 0))
    return "".join(parts)


def arrow(
    points: list[tuple[float, float]],
    label: str = "",
    *,
    dashed: bool = False,
    colour: str = QUIET,
    label_at: int = 0,
    dx: float = 0,
    dy: float = -6,
) -> str:
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    parts = [
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.6"'
        f'{dash} marker-end="url(#head)"/>'
    ]
    if label:
        (x1, y1), (x2, y2) = points[label_at], points[label_at + 1]
        parts.append(
            text(
                (x1 + x2) / 2 + dx,
                (y1 + y2) / 2 + dy,
                label,
                size=11,
                anchor="middle",
                colour=QUIET,
            )
        )
    return "".join(parts)


def svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" {FONT}>'
        f"<title>{escape(title)}</title>"
        '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{QUIET}"/></marker></defs>'
        f'<rect width="{width}" height="{height}" fill="white"/>' + "".join(body) + "</svg>\n"
    )


def bar_chart(
    title: str,
    unit: str,
    groups: list[tuple[str, list[tuple[str, float, bool]]]],
    *,
    log: bool = False,
    width: int = 900,
) -> str:
    """Horizontal bars: ``groups`` of ``(label, value, ours)``; ours are drawn in orange.

    Every bar carries its value in ``data-value``, so a test can compare it with the data.
    """
    label_width, right, row, gap = 450, 80, 22, 30
    plot = width - label_width - right
    values = [value for _, bars in groups for _, value, _ in bars if value > 0]
    top_value = max(values, default=1.0)
    low = min(values, default=1.0)

    def length(value: float) -> float:
        if value <= 0:
            return 0.0
        if not log:
            return plot * value / top_value
        floor = math.log10(low) - 0.3
        return plot * (math.log10(value) - floor) / (math.log10(top_value) - floor)

    body = [
        text(10, 24, title, size=15, bold=True),
        text(10, 44, unit + (" (log scale)" if log else ""), size=12, colour=QUIET),
    ]
    y = 64.0
    for group, bars in groups:
        body.append(text(10, y + 14, group, size=13, bold=True))
        y += gap - 8
        for label, value, ours in bars:
            colour = OURS if ours else ACCENT
            bar = length(value)
            body.append(
                text(
                    label_width - 8,
                    y + 15,
                    label,
                    size=12,
                    anchor="end",
                    colour=INK if ours else QUIET,
                    bold=ours,
                )
            )
            body.append(
                f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{bar:.1f}" '
                f'height="{row - 6}" fill="{colour}" data-label="{escape(label)}" '
                f'data-value="{value!r}"/>'
            )
            body.append(text(label_width + bar + 6, y + 15, f"{value:,.1f}", size=12))
            y += row
        y += 8
    return svg(width, y + 10, body, title)
