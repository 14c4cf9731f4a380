"""Monthly rankings, red flag (红旗) and snail (蜗牛), and the monthly light board (月亮灯): pure functions over
``DepartmentStats`` rows. The formula is docs/RANKINGS.md; change both together.

Score (0–100, two decimals) of a department with at least ``MIN_DECIDED`` cases decided in the month:

    score = 100 × (0.50 × on-time rate + 0.25 × satisfaction rate + 0.15 × (1 − bounce rate)
                   + 0.10 × (1 − reopen rate))

- on-time rate = on time / (on time + late), over the cases due in the month (an open case past its
  deadline is late: ``cases.clocks.on_time``);
- satisfaction rate = (满意 + 基本满意) / callbacks, over the cases resolved in the month;
- bounce rate = (returns + transfers) / (returns + transfers + decided): the share of the cases that reached
  the department that it passed on instead of seeing through;
- reopen rate = min(1, reopens / resolutions).
A component without data (no callbacks, no resolutions) takes the average of that component over the
tier's ranked departments that have it (neither a reward nor a punishment); 1 when none has it.

Departments are ranked within their tier (county bureaus together, town offices together, village
committees together) by score, then on-time rate; departments equal on both share the rank (1, 2, 2, 4).
The red flag goes to rank 1, the snail to the last rank, when the tier has at least ``MIN_RANKED`` ranked
departments, the last rank is not also the first, and the last score is below ``SNAIL_BELOW``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .selectors import DepartmentStats

WEIGHTS = {
    "on_time": Decimal("0.50"),
    "satisfaction": Decimal("0.25"),
    "bounce": Decimal("0.15"),
    "reopen": Decimal("0.10"),
}
COMPONENT_LABELS = {
    "on_time": _("按期办结率"),
    "satisfaction": _("满意率"),
    "bounce": _("不推诿率"),
    "reopen": _("不重办率"),
}
HUNDREDTH = Decimal("0.01")


def _setting(name: str, default):
    return getattr(settings, name, default)


def min_decided() -> int:
    """Fewer cases decided in the month than this: listed, not ranked (a small sample decides nothing)."""
    return int(_setting("SUPERVISION_RANKING_MIN_DECIDED", 3))


def min_ranked() -> int:
    return int(_setting("SUPERVISION_FLAGS_MIN_RANKED", 3))


def snail_below() -> Decimal:
    return Decimal(str(_setting("SUPERVISION_SNAIL_BELOW", 90)))


def light_thresholds() -> tuple[float, float]:
    """(green, yellow) on-time rates of the monthly light board: green at or above the first, yellow at or
    above the second, red below (``SUPERVISION_LIGHT_THRESHOLDS``, default 95% and 85%)."""
    configured = _setting("SUPERVISION_LIGHT_THRESHOLDS", {"green": 0.95, "yellow": 0.85})
    return float(configured["green"]), float(configured["yellow"])


@dataclass
class Ranked:
    """One department's line of a ranking: its numbers, each component, the score, rank and flags."""

    stats: DepartmentStats
    components: dict[str, Decimal | None]
    filled: set[str]  # components that had no data and took the tier average
    score: Decimal | None = None
    rank: int | None = None
    red_flag: bool = False
    snail: bool = False

    @property
    def department(self):
        return self.stats.department

    @property
    def ranked(self) -> bool:
        return self.score is not None


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    return Decimal(numerator) / Decimal(denominator) if denominator else None


def components(stats: DepartmentStats) -> dict[str, Decimal | None]:
    """The four components in [0, 1] (None without data)."""
    bounced = stats.returned + stats.transferred
    reopen = _ratio(stats.reopened, stats.resolved)
    bounce = _ratio(bounced, bounced + stats.decided)
    return {
        "on_time": _ratio(stats.on_time, stats.decided),
        "satisfaction": _ratio(stats.satisfied + stats.basically_satisfied, stats.callbacks),
        "bounce": None if bounce is None else 1 - bounce,
        "reopen": None if reopen is None else 1 - min(reopen, Decimal(1)),
    }


def rank_tier(rows: Iterable[DepartmentStats]) -> list[Ranked]:
    """Rank the departments of one tier (see the module docstring); ranked lines first, by rank."""
    lines = [Ranked(stats, components(stats), set()) for stats in rows]
    eligible = [line for line in lines if line.stats.decided >= min_decided()]
    for name in WEIGHTS:
        known = [line.components[name] for line in eligible if line.components[name] is not None]
        average = sum(known) / len(known) if known else Decimal(1)
        for line in eligible:
            if line.components[name] is None:
                line.components[name] = average
                line.filled.add(name)
    for line in eligible:
        total = sum(WEIGHTS[name] * line.components[name] for name in WEIGHTS)
        line.score = (100 * total).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    eligible.sort(key=lambda line: (-line.score, -line.components["on_time"], line.department.code))
    previous_key, rank = None, 0
    for position, line in enumerate(eligible, start=1):
        key = (line.score, line.components["on_time"])
        if key != previous_key:
            rank, previous_key = position, key
        line.rank = rank
    if len(eligible) >= min_ranked():
        last_rank = eligible[-1].rank
        for line in eligible:
            line.red_flag = line.rank == 1
            line.snail = last_rank != 1 and line.rank == last_rank and line.score < snail_below()
    others = sorted((line for line in lines if line.score is None), key=lambda line: line.department.code)
    return eligible + others


def month_light(stats: DepartmentStats) -> str | None:
    """The department's monthly light (月亮灯): green / yellow / red by on-time rate, None without cases."""
    rate = stats.on_time_rate
    if rate is None:
        return None
    green, yellow = light_thresholds()
    if rate >= green:
        return "green"
    if rate >= yellow:
        return "yellow"
    return "red"
