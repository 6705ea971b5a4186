"""An :class:`~djangotailoring.tracking.activity.Activity` drawn as an inline SVG bar chart.

Rendered on the server as plain markup: the admin page needs no JavaScript library, no CDN
and no build step, works with scripts blocked by a content security policy, and the chart
is part of the HTML that tests (and screen readers, through ``<title>``) can read.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from djangotailoring.tracking.activity import Activity

__all__ = ["activity_chart"]

WIDTH, HEIGHT = 640, 120
LEFT, BOTTOM, TOP = 34, 18, 8


def _label(activity: Activity, index: int) -> str:
    moment = activity.buckets[index][0]
    if activity.kind == "hour":
        return date_format(moment, "M j, H:i")
    return date_format(moment, "M j")


def activity_chart(activity: Activity) -> SafeString:
    """The SVG markup of ``activity``: one bar per bucket, its count in the bar's title."""
    buckets = activity.buckets
    peak = max((count for _, count in buckets), default=0) or 1
    plot_width, plot_height = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_width / max(len(buckets), 1)
    bar = max(slot * 0.8, 1.0)
    unit = _("per hour") if activity.kind == "hour" else _("per day")
    summary = ngettext("%(count)d event", "%(count)d events", activity.total) % {
        "count": activity.total
    }
    parts = [
        f'<svg class="tracking-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" data-total="{activity.total}" '
        f'data-kind="{activity.kind}" data-start="{activity.start.isoformat()}" '
        f'data-end="{activity.end.isoformat()}">',
        f"<title>{escape(summary)}, {escape(unit)}</title>",
        f'<text class="axis" x="{LEFT - 6}" y="{TOP + 8}" text-anchor="end">{peak}</text>',
        f'<text class="axis" x="{LEFT - 6}" y="{TOP + plot_height}" text-anchor="end">0</text>',
        f'<line class="base" x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH}" '
        f'y2="{TOP + plot_height}"/>',
    ]
    for index, (moment, count) in enumerate(buckets):
        height = plot_height * count / peak
        x = LEFT + index * slot + (slot - bar) / 2
        y = TOP + plot_height - height
        label = escape(f"{_label(activity, index)}: {count}")
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
            f'height="{height:.1f}" data-count="{count}" '
            f'data-bucket="{moment.isoformat()}"><title>{label}</title></rect>'
        )
    ticks = sorted({0, len(buckets) // 2, len(buckets) - 1}) if buckets else []
    for index in ticks:
        x = LEFT + index * slot + slot / 2
        anchor = "start" if index == 0 else "end" if index == len(buckets) - 1 else "middle"
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}">'
            f"{escape(_label(activity, index))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every interpolated text is escaped)
