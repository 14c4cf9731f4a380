"""Trend charts as inline SVG drawn on the server: no script, no library, no network; they print.

``trend_svg(points)`` draws, per period, bars for cases taken in and resolved and a line for the on-time
rate (right axis, 0–100%). Text is escaped; numbers are formatted by us.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .selectors import PeriodNumbers

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 48, 24, 40
TAKEN_COLOUR, RESOLVED_COLOUR, RATE_COLOUR = "#90a4ae", "#1565c0", "#c62828"


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return value  # pragma: no cover - the loop always returns


def trend_svg(points: list[PeriodNumbers], *, title: str, labels: list[str] | None = None) -> SafeString:
    """One chart (see the module docstring); ``labels`` under the bars (default: the periods' labels)."""
    labels = labels or [p.period.label for p in points]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_max(max([max(p.taken_in, p.resolved) for p in points] or [0]))
    slot = plot_w / max(len(points), 1)
    bar = max(2.0, slot * 0.35)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
    ]
    for i in range(5):
        y = TOP + plot_h * i / 4
        value = top * (4 - i) / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#555">{value:g}</text>'
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}" font-size="11" fill="{RATE_COLOUR}">'
            f"{100 - 25 * i}%</text>"
        )
    rate_points = []
    for i, point in enumerate(points):
        x0 = LEFT + slot * i + (slot - 2 * bar) / 2
        for offset, value, colour, name in (
            (0, point.taken_in, TAKEN_COLOUR, _("受理")),
            (bar, point.resolved, RESOLVED_COLOUR, _("办结")),
        ):
            h = plot_h * value / top if top else 0
            parts.append(
                f'<rect x="{x0 + offset:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(labels[i])} {escape(name)} {value}</title></rect>'
            )
        centre = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" text-anchor="middle" '
            f'fill="#555">{escape(labels[i])}</text>'
        )
        rate = point.on_time_rate
        if rate is not None:
            rate_points.append((centre, TOP + plot_h * (1 - rate), labels[i], rate))
    if len(rate_points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _l, _r in rate_points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{RATE_COLOUR}" stroke-width="2"/>')
    for x, y, label, rate in rate_points:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{RATE_COLOUR}">'
            f"<title>{escape(label)} {escape(_('按期率'))} {rate:.1%}</title></circle>"
        )
    legend_y = HEIGHT - 8
    for i, (colour, name) in enumerate(
        ((TAKEN_COLOUR, _("受理")), (RESOLVED_COLOUR, _("办结")), (RATE_COLOUR, _("按期办结率（右轴）")))
    ):
        x = LEFT + i * 150
        parts.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{legend_y}" font-size="11" fill="#333">{escape(name)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped; numbers are ours)
