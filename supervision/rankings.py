"""Monthly rankings, red flag (红旗), snail (蜗牛) and red card (红牌), the annual commendation (年表彰) and
the monthly light board (月亮灯): pure functions over ``PeriodStats`` rows (a department's, or at a city
or province a county's or city's: the same formula ranks counties against each other). The formula is
docs/RANKINGS.md (with a worked example); change both together.

Score (0–100, two decimals) of a department with at least ``min_decided()`` cases in scope:

    score = 100 × Σ wᵢ × cᵢ / Σ wᵢ   over the components cᵢ that have data

| component | weight | value |
|---|---|---|
| timeliness (按期办结) | 0.50 | Σ case credits / cases in scope: 1 on time; a late resolution 0.5 × 0.9^(working days late); a case still open past its deadline 0 (0.2 when a reasoned answer reached the requester in time); cases due earlier and still open and overdue in the month count again, with 0 |
| satisfaction (满意) | 0.25 | (满意 + 基本满意) / callbacks of the cases resolved in the month |
| no buck-passing (不推诿) | 0.15 | 1 − (returns + transfers) / (returns + transfers + cases in scope) |
| no redo (不重办) | 0.10 | 1 − min(1, reopens / resolutions) |

A component without data is shown as "—" and left out of the score, whose weights are re-scaled over the
components that have data (``Ranked.weights``): nobody is given someone else's average. Doing nothing
never helps: a case left open is in scope (credit 0) in its due month and in every later month while it
stays open and overdue, and a department with no case in scope is not ranked.

Departments are ranked within their tier (county bureaus together, town offices together, village
committees together) by score, then timeliness; departments equal on both share the rank (1, 2, 2, 4).
The red flag goes to rank 1, the snail to the last rank, when the tier has at least ``min_ranked()``
ranked departments, the last rank is not also the first, and the last score is below ``snail_below()``.
A snail in ``red_card_after()`` consecutive months (this one included) is a red card (红牌). The annual
commendation goes to ranked departments with at least ``commendation_flags()`` red flags in the year and
no snail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .selectors import PeriodStats

WEIGHTS = {
    "on_time": Decimal("0.50"),
    "satisfaction": Decimal("0.25"),
    "bounce": Decimal("0.15"),
    "reopen": Decimal("0.10"),
}
COMPONENT_LABELS = {
    "on_time": _("按期办结"),
    "satisfaction": _("满意率"),
    "bounce": _("不推诿率"),
    "reopen": _("不重办率"),
}
HUNDREDTH = Decimal("0.01")

# Credit of one late case (docs/RANKINGS.md, "Timeliness").
RESOLVED_LATE_CREDIT = Decimal("0.5")
LATE_DECAY = Decimal("0.9")  # per whole working day late
ANSWERED_CREDIT = Decimal("0.2")


def _setting(name: str, default):
    return getattr(settings, name, default)


def min_decided() -> int:
    """Fewer cases in scope than this: listed, not ranked (a small sample decides nothing)."""
    return int(_setting("SUPERVISION_RANKING_MIN_DECIDED", 3))


def min_ranked() -> int:
    return int(_setting("SUPERVISION_FLAGS_MIN_RANKED", 3))


def snail_below() -> Decimal:
    return Decimal(str(_setting("SUPERVISION_SNAIL_BELOW", 90)))


def red_card_after() -> int:
    """Consecutive months with a snail that make a red card (红牌)."""
    return int(_setting("SUPERVISION_RED_CARD_AFTER", 3))


def commendation_flags() -> int:
    """Red flags in a year (and no snail) that put a department on the annual commendation list."""
    return int(_setting("SUPERVISION_COMMENDATION_MIN_FLAGS", 3))


def light_thresholds() -> tuple[float, float]:
    """(green, yellow) on-time rates of the monthly light board: green at or above the first, yellow at or
    above the second, red below (``SUPERVISION_LIGHT_THRESHOLDS``, default 95% and 85%)."""
    configured = _setting("SUPERVISION_LIGHT_THRESHOLDS", {"green": 0.95, "yellow": 0.85})
    return float(configured["green"]), float(configured["yellow"])


def thresholds() -> dict[str, object]:
    """Every number the ranking and the awards use, as the pages show them."""
    green, yellow = light_thresholds()
    return {
        "weights": {name: WEIGHTS[name] for name in WEIGHTS},
        "min_decided": min_decided(),
        "min_ranked": min_ranked(),
        "snail_below": snail_below(),
        "red_card_after": red_card_after(),
        "commendation_flags": commendation_flags(),
        "light_green": green,
        "light_yellow": yellow,
        "resolved_late_credit": RESOLVED_LATE_CREDIT,
        "late_decay": LATE_DECAY,
        "answered_credit": ANSWERED_CREDIT,
    }


def case_credit(*, resolved: bool, days_late: int, answered_in_time: bool) -> Decimal:
    """The timeliness credit of one late case (an on-time case earns 1).

    Resolved late: half, less a tenth for each whole working day late (0.5 × 0.9^days), so lateness
    always costs and costs more the longer it lasted. Not resolved (still open, withdrawn after the
    deadline, suspended past its limit): 0 — except that a reasoned answer the requester got in time
    ("cannot be done yet" with a new date) earns ``ANSWERED_CREDIT``, which no late resolution falls below.
    """
    credit = RESOLVED_LATE_CREDIT * LATE_DECAY ** int(days_late) if resolved else Decimal(0)
    if answered_in_time:
        credit = max(credit, ANSWERED_CREDIT)
    return credit


@dataclass
class Ranked:
    """One line of a ranking, a department's or (at a city or province) a county's or city's: its numbers,
    each component (None: no data, shown "—"), the weights actually used, the score, rank and awards."""

    stats: PeriodStats
    components: dict[str, Decimal | None]
    weights: dict[str, Decimal] = field(default_factory=dict)
    score: Decimal | None = None
    rank: int | None = None
    red_flag: bool = False
    snail: bool = False
    red_card: bool = False

    @property
    def unit(self):
        """What is ranked: a department, or a region in a ranking of regions."""
        return self.stats.unit  # type: ignore[attr-defined]

    @property
    def department(self):
        return getattr(self.stats, "department", None)

    @property
    def is_region(self) -> bool:
        return hasattr(self.stats, "region")

    @property
    def ranked(self) -> bool:
        return self.score is not None

    @property
    def missing(self) -> list[str]:
        """Components without data (left out of the score)."""
        return [name for name, value in self.components.items() if value is None]


def _ratio(numerator, denominator) -> Decimal | None:
    return Decimal(numerator) / Decimal(denominator) if denominator else None


def components(stats: PeriodStats) -> dict[str, Decimal | None]:
    """The four components in [0, 1] (None without data)."""
    bounced = stats.returned + stats.transferred
    reopen = _ratio(stats.reopened, stats.resolved)
    bounce = _ratio(bounced, bounced + stats.in_scope)
    return {
        "on_time": stats.timeliness,
        "satisfaction": _ratio(stats.satisfied + stats.basically_satisfied, stats.callbacks),
        "bounce": None if bounce is None else 1 - bounce,
        "reopen": None if reopen is None else 1 - min(reopen, Decimal(1)),
    }


def score(parts: dict[str, Decimal | None]) -> tuple[Decimal | None, dict[str, Decimal]]:
    """The score over the components with data, and the re-scaled weights it used."""
    present = {name: WEIGHTS[name] for name, value in parts.items() if value is not None}
    total = sum(present.values())
    if not total:
        return None, {}
    weights = {name: weight / total for name, weight in present.items()}
    value = 100 * sum(weights[name] * parts[name] for name in weights)  # type: ignore[operator]
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP), weights


def rank_tier(rows: Iterable[PeriodStats]) -> list[Ranked]:
    """Rank the departments of one tier, or the regions of one tier (see the module docstring); ranked
    lines first, by rank."""
    lines = [Ranked(stats, components(stats)) for stats in rows]
    eligible = []
    for line in lines:
        if line.stats.in_scope >= min_decided():
            line.score, line.weights = score(line.components)
            eligible.append(line)
    eligible.sort(key=lambda line: (-line.score, -(line.components["on_time"] or 0), line.unit.code))
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
    others = sorted((line for line in lines if line.score is None), key=lambda line: line.unit.code)
    return eligible + others


def red_cards(lines: Iterable[Ranked], earlier_snails: Iterable[set[int]]) -> None:
    """Mark 红牌 on this month's snails that were also snails in each of the months before (most recent
    first; ``red_card_after() - 1`` of them are needed)."""
    needed = red_card_after() - 1
    history = list(earlier_snails)[:needed]
    if len(history) < needed:
        return
    for line in lines:
        line.red_card = line.snail and all(line.unit.pk in month for month in history)


@dataclass
class Commendation:
    """A department (or, at a city or province, a county or city) on the annual commendation list (年表彰)
    and its evidence."""

    unit: object  # a department, or a region in a ranking of regions
    flag_months: list[str]
    score: Decimal | None
    rank: int | None


def commendations(
    year_lines: Iterable[Ranked], monthly: Iterable[tuple[str, Iterable[Ranked]]]
) -> list[Commendation]:
    """Ranked in the year, at least ``commendation_flags()`` red flags in its months, no snail or red card;
    by red flags, then the year's rank."""
    flags: dict[int, list[str]] = {}
    blemished: set[int] = set()
    for label, lines in monthly:
        for line in lines:
            if line.red_flag:
                flags.setdefault(line.unit.pk, []).append(label)
            if line.snail or line.red_card:
                blemished.add(line.unit.pk)
    result = [
        Commendation(line.unit, flags.get(line.unit.pk, []), line.score, line.rank)
        for line in year_lines
        if line.ranked
        and len(flags.get(line.unit.pk, [])) >= commendation_flags()
        and line.unit.pk not in blemished
    ]
    result.sort(key=lambda c: (-len(c.flag_months), c.rank or 0, c.unit.code))  # type: ignore[attr-defined]
    return result


def month_light(stats: PeriodStats) -> str | None:
    """The department's monthly light (月亮灯): green / yellow / red by the share of its cases in scope kept
    on time (open overdue cases carried in count against it), None without cases."""
    rate = stats.kept_rate
    if rate is None:
        return None
    green, yellow = light_thresholds()
    if rate >= green:
        return "green"
    if rate >= yellow:
        return "yellow"
    return "red"
