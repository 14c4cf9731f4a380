"""The rhythm of supervision: 月度排名 (monthly ranking per tier), 月亮灯 (monthly light board), 季通报
(quarterly bulletin) and the annual summary (年度总结, the basis of 年表彰). Built from the selectors'
numbers and ``supervision.rankings``; rendered as pages (printable) and as XLSX sheets.

At a county (and below) the units ranked are departments, per tier. At a city the units are its counties,
and at a province its cities and then its counties (``routing.choices.SUBREGION_TIER``): each region's
numbers are its departments' sums, scored by the same formula, so a city ranks its counties with the same
red flags, snails, red cards, lights and commendations a county gives its bureaus.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from practice import selectors as practice_selectors
from routing.choices import SUBREGION_TIER, Tier
from routing.models import Department, Region

from . import rankings, selectors
from .periods import MONTH, YEAR, Period, current_period
from .rankings import Ranked

TIER_ORDER = [Tier.COUNTY, Tier.TOWN, Tier.VILLAGE]


def ranked_region_tiers(node: selectors.Node) -> list[str]:
    """The tiers of regions a node above the county ranks (a city: counties; a province: cities, then
    counties); none at a county or below, where departments are ranked."""
    tiers: list[str] = []
    tier = SUBREGION_TIER.get(node.region.tier)
    while tier is not None:
        tiers.append(tier)
        tier = SUBREGION_TIER.get(tier)
    return tiers


def region_tier_label(tier: str) -> str:
    return _("%(tier)s排名") % {"tier": Tier(tier).label}


@dataclass
class TierRanking:
    """One tier's ranking: its departments, or (``of_regions``) its regions at a city or province."""

    tier: str
    label: str
    lines: list[Ranked]
    of_regions: bool = False

    @property
    def red_flags(self) -> list[Ranked]:
        return [line for line in self.lines if line.red_flag]

    @property
    def snails(self) -> list[Ranked]:
        return [line for line in self.lines if line.snail]

    @property
    def red_cards(self) -> list[Ranked]:
        return [line for line in self.lines if line.red_card]


def _by_tier(departments: list[Department]) -> dict[str, list[Department]]:
    grouped: dict[str, list[Department]] = {}
    for department in departments:
        grouped.setdefault(department.region.tier, []).append(department)
    return grouped


def rank_stats(stats: list[selectors.DepartmentStats]) -> list[TierRanking]:
    """Rank departments within their tier, tiers in order county, town, village."""
    grouped: dict[str, list[selectors.DepartmentStats]] = {}
    for entry in stats:
        grouped.setdefault(entry.department.region.tier, []).append(entry)
    return [
        TierRanking(tier, Tier(tier).label, rankings.rank_tier(grouped[tier]))
        for tier in TIER_ORDER
        if tier in grouped
    ]


def _month_tiers(
    *, user, node: selectors.Node, month: Period, now: datetime, departments
) -> list[TierRanking]:
    return _rank_period(user=user, node=node, period=month, now=now, departments=departments)


def _rank_period(
    *, user, node: selectors.Node, period: Period, now: datetime, departments, live: bool = False
) -> list[TierRanking]:
    """The period's ranking of the node's units: departments per tier, or regions per ranked tier
    (``live``: with the open and overdue counts of now, as the dashboard shows them)."""
    region_tiers = ranked_region_tiers(node)
    if not region_tiers:
        return rank_stats(
            selectors.department_table(
                user=user, node=node, period=period, now=now, departments=departments, live=live
            )
        )
    tables = selectors.region_tables(
        user=user,
        node=node,
        period=period,
        now=now,
        tiers=region_tiers,
        departments=departments,
        live=live,
    )
    return [
        TierRanking(tier, region_tier_label(tier), rankings.rank_tier(tables[tier]), of_regions=True)
        for tier in region_tiers
    ]


def region_rankings(*, user, node: selectors.Node, period: Period, now: datetime) -> list[TierRanking]:
    """The dashboard of a city or province: its regions ranked for the period, with open and overdue work
    now; empty at a county and below (the dashboard shows the department table there)."""
    if not ranked_region_tiers(node):
        return []
    departments = selectors.node_departments(node=node)
    return _rank_period(user=user, node=node, period=period, now=now, departments=departments, live=True)


def _with_red_cards(tiers: list[TierRanking], earlier: list[list[TierRanking]]) -> list[TierRanking]:
    """Mark 红牌 on ``tiers`` given the rankings of the months before (most recent first)."""
    for tier in tiers:
        snails = [
            {line.unit.pk for other in month if other.tier == tier.tier for line in other.snails}
            for month in earlier
        ]
        rankings.red_cards(tier.lines, snails)
    return tiers


def monthly_rankings(*, user, node: selectors.Node, month: Period, now: datetime) -> list[TierRanking]:
    """The month's ranking of the region's departments, per tier (a month not over yet is provisional),
    with red cards: the months before are ranked too, as many as a red card needs."""
    departments = selectors.node_departments(node=node)
    tiers = _month_tiers(user=user, node=node, month=month, now=now, departments=departments)
    earlier, previous = [], month
    for _step in range(rankings.red_card_after() - 1):
        previous = previous.previous()
        earlier.append(_month_tiers(user=user, node=node, month=previous, now=now, departments=departments))
    return _with_red_cards(tiers, earlier)


@dataclass
class BoardRow:
    unit: object  # a department, or a region on a city's or province's board

    @property
    def is_region(self) -> bool:
        return isinstance(self.unit, Region)

    cells: list[tuple[Period, str | None, float | None]]  # (month, light, on-time rate)


@dataclass
class LightBoard:
    months: list[Period]
    tiers: list[tuple[str, str, list[BoardRow]]]
    thresholds: tuple[float, float]


def light_board(*, node: selectors.Node, year: Period, now: datetime) -> LightBoard:
    """月亮灯 of the region's departments for the months of ``year`` up to the current month."""
    this_month = current_period(MONTH, now)
    months = [m for m in year.months() if m.first_day <= this_month.first_day]
    departments = selectors.node_departments(node=node)
    region_tiers = ranked_region_tiers(node)
    if region_tiers:
        boards = selectors.region_months(
            node=node, tiers=region_tiers, departments=departments, months=months, now=now
        )
        board_tiers = []
        for tier in region_tiers:
            regions, sums = boards[tier]
            rows = [
                BoardRow(
                    region,
                    [
                        (
                            m,
                            rankings.month_light(sums[(region.pk, m.key)]),
                            sums[(region.pk, m.key)].kept_rate,
                        )
                        for m in months
                    ],
                )
                for region in regions
            ]
            board_tiers.append((tier, region_tier_label(tier), rows))
        return LightBoard(months, board_tiers, rankings.light_thresholds())
    cells = selectors.department_months(departments=departments, months=months, now=now)
    tiers = []
    for tier, members in _by_tier(departments).items():
        rows = []
        for department in members:
            row = []
            for month in months:
                stats = cells[(department.pk, month.key)]
                row.append((month, rankings.month_light(stats), stats.kept_rate))
            rows.append(BoardRow(department, row))
        tiers.append((tier, Tier(tier).label, rows))
    tiers.sort(key=lambda t: TIER_ORDER.index(t[0]))
    return LightBoard(months, tiers, rankings.light_thresholds())


@dataclass
class MonthFlags:
    month: Period
    tiers: list[TierRanking]


@dataclass
class PeriodReport:
    """季通报 / 年度总结 of a region: the period's ranking, each month's lights and flags, the cases listed for
    the bulletin, and the region's own numbers per month."""

    node: selectors.Node
    period: Period
    generated_at: datetime
    ranking: list[TierRanking]
    board: LightBoard
    monthly_flags: list[MonthFlags]
    region_months: list[selectors.PeriodNumbers]
    bulletin_cases: list = field(default_factory=list)
    commendations: list[rankings.Commendation] = field(default_factory=list)
    # 常态建设: standing-practice items of the region opened and completed in the period (practice app).
    practice: practice_selectors.PeriodItems = field(default_factory=practice_selectors.PeriodItems)
    # Intake of the period by channel (window, 12345, online …): the dashboard's own split.
    intake_channels: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.period.kind == YEAR:
            return _("%(region)s“办不成事”反映窗口%(period)s工作总结") % {
                "region": self.node.region.name,
                "period": self.period.label,
            }
        return _("%(region)s“办不成事”反映窗口%(period)s督办通报") % {
            "region": self.node.region.name,
            "period": self.period.label,
        }

    @property
    def filename(self) -> str:
        kind = "annual" if self.period.kind == YEAR else "bulletin"
        return f"{kind}-{self.node.region.code}-{self.period.key}"

    def flag_counts(self) -> dict[int, tuple[int, int, int]]:
        """Per ranked unit's id: (red flags, snails, red cards) over the period's months."""
        counts: dict[int, list[int]] = {}
        for month in self.monthly_flags:
            for tier in month.tiers:
                for line in tier.lines:
                    entry = counts.setdefault(line.unit.pk, [0, 0, 0])
                    entry[0] += line.red_flag
                    entry[1] += line.snail
                    entry[2] += line.red_card
        return {k: (v[0], v[1], v[2]) for k, v in counts.items()}


def period_report(*, user, node: selectors.Node, period: Period, now: datetime) -> PeriodReport:
    """Build the quarterly bulletin or annual summary (months after the current one are left out)."""
    this_month = current_period(MONTH, now)
    months = [m for m in period.months() if m.first_day <= this_month.first_day]
    departments = selectors.node_departments(node=node)
    # Each month ranked once; a red card looks back over the months before (ranked too when they lie
    # before the period).
    before, first = [], months[0] if months else period.months()[0]
    for _step in range(rankings.red_card_after() - 1):
        first = first.previous()
        before.insert(0, _month_tiers(user=user, node=node, month=first, now=now, departments=departments))
    ranked_months: list[list[TierRanking]] = list(before)
    monthly = []
    for month in months:
        tiers = _month_tiers(user=user, node=node, month=month, now=now, departments=departments)
        _with_red_cards(tiers, list(reversed(ranked_months)))
        ranked_months.append(tiers)
        monthly.append(MonthFlags(month, tiers))
    year = Period(
        YEAR,
        period.first_day.replace(month=1, day=1),
        period.first_day.replace(year=period.first_day.year + 1, month=1, day=1),
    )
    board = light_board(node=node, year=year, now=now)
    board.months = [m for m in board.months if period.first_day <= m.first_day < period.next_first_day]
    for _tier, _label, rows in board.tiers:
        for row in rows:
            row.cells = [c for c in row.cells if period.first_day <= c[0].first_day < period.next_first_day]
    ranking = _rank_period(user=user, node=node, period=period, now=now, departments=departments)
    return PeriodReport(
        node=node,
        period=period,
        generated_at=now,
        ranking=ranking,
        commendations=rankings.commendations(
            [line for tier in ranking for line in tier.lines],
            [(m.month.label, [line for tier in m.tiers for line in tier.lines]) for m in monthly],
        ),
        board=board,
        monthly_flags=monthly,
        region_months=selectors.region_periods(node=node, periods=months, now=now),
        bulletin_cases=list(selectors.bulletin_cases(user=user, node=node, period=period)[:500]),
        practice=practice_selectors.period_items(
            user=user, region_path=node.path, start=period.start, end=period.end
        ),
        intake_channels=selectors.intake_by_channel(user=user, node=node, period=period),
    )


# --- XLSX -------------------------------------------------------------------------------------------------


def _pct(value) -> str:
    return "" if value is None else f"{float(value):.1%}"


def _days(value) -> str:
    return "" if value is None else f"{float(value):.2f}"


def _component(line: Ranked, name: str) -> str:
    """A component as the pages show it: the rate and the weight it carried, or "—" without data."""
    value = line.components[name]
    if value is None:
        return "—"
    weight = line.weights.get(name)
    return f"{_pct(value)}" + (f"（{float(weight):.0%}）" if weight is not None else "")


def _verdict(line: Ranked) -> str:
    if line.red_card:
        return _("红牌")
    if line.red_flag:
        return _("红旗")
    if line.snail:
        return _("蜗牛")
    return ""


def report_sheets(report: PeriodReport) -> list[tuple[str, list[str], Iterator[list]]]:
    """Sheets of the XLSX: ranking with components, intake by channel, light board, flags per month,
    bulletin cases, and the standing-practice items opened and completed in the period."""
    flags = report.flag_counts()

    def ranking_rows():
        yield [_("生成时间"), timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")]
        yield ranking_header
        for tier in report.ranking:
            for line in tier.lines:
                stats = line.stats
                red, snail, cards = flags.get(line.unit.pk, (0, 0, 0))
                yield [
                    tier.label,
                    line.rank or "",
                    line.unit.name,
                    "" if line.score is None else float(line.score),
                    *(_component(line, name) for name in rankings.WEIGHTS),
                    stats.in_scope,
                    stats.on_time,
                    stats.late,
                    stats.carried,
                    _days(stats.overdue_days),
                    stats.resolved,
                    _days(stats.median_days),
                    _days(stats.p90_days),
                    stats.returned,
                    stats.transferred,
                    stats.reopened,
                    stats.callbacks,
                    red,
                    snail,
                    cards,
                    _verdict(line),
                ]

    ranking_header = [
        _("层级"),
        _("名次"),
        _("部门"),
        _("得分"),
        *(str(rankings.COMPONENT_LABELS[name]) for name in rankings.WEIGHTS),
        _("考核案件"),
        _("按期"),
        _("超期"),
        _("跨月超期未办结"),
        _("超期工作日"),
        _("办结"),
        _("办理用时中位数（工作日）"),
        _("办理用时90分位（工作日）"),
        _("退回"),
        _("转办"),
        _("重办"),
        _("回访"),
        _("月度红旗次数"),
        _("月度蜗牛次数"),
        _("红牌次数"),
        _("本期评定"),
    ]

    def board_rows():
        labels = {"green": _("绿灯"), "yellow": _("黄灯"), "red": _("红灯"), None: _("无")}
        for _tier, tier_label, rows in report.board.tiers:
            for row in rows:
                yield [tier_label, row.unit.name] + [
                    f"{labels[light]} {_pct(rate)}".strip() for _m, light, rate in row.cells
                ]

    def flag_rows():
        for month in report.monthly_flags:
            for tier in month.tiers:
                yield [
                    month.month.label,
                    tier.label,
                    "、".join(line.unit.name for line in tier.red_flags),
                    "、".join(line.unit.name for line in tier.snails),
                    "、".join(line.unit.name for line in tier.red_cards),
                ]

    def commendation_rows():
        for item in report.commendations:
            yield [
                item.unit.name,
                len(item.flag_months),
                "、".join(item.flag_months),
                "" if item.score is None else float(item.score),
                item.rank or "",
            ]

    def bulletin_rows():
        for case in report.bulletin_cases:
            yield [
                case.tracking_number,
                case.title,
                case.lead_department.name if case.lead_department else "",
                timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") if case.due_at else "",
                timezone.localtime(case.bulletin_at).strftime("%Y-%m-%d %H:%M") if case.bulletin_at else "",
                case.get_status_display(),
            ]

    def practice_rows():
        rows = [(_("本期立项"), item) for item in report.practice.opened]
        rows += [(_("本期完成"), item) for item in report.practice.completed]
        for label, item in rows:
            yield [
                label,
                item.number,
                item.title,
                item.get_measure_display(),
                item.responsible_department.name,
                timezone.localtime(item.created_at).strftime("%Y-%m-%d"),
                timezone.localtime(item.due_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(item.done_at).strftime("%Y-%m-%d") if item.done_at else "",
                item.get_status_display(),
            ]

    def channel_rows():
        for _value, label, count in report.intake_channels:
            yield [label, count]

    return [
        (_("排名"), [report.title], ranking_rows()),
        (_("受理渠道"), [_("来源渠道"), _("受理")], channel_rows()),
        (_("月亮灯"), [_("层级"), _("部门")] + [m.label for m in report.board.months], board_rows()),
        (_("红旗蜗牛"), [_("月份"), _("层级"), _("红旗"), _("蜗牛"), _("红牌")], flag_rows()),
        (
            _("年度表彰"),
            [_("部门"), _("红旗次数"), _("获红旗月份"), _("本期得分"), _("本期名次")],
            commendation_rows(),
        ),
        (
            _("通报案件"),
            [_("受理编号"), _("事项标题"), _("主办部门"), _("办结时限"), _("列入通报时间"), _("状态")],
            bulletin_rows(),
        ),
        (
            _("常态建设"),
            [
                _("类别"),
                _("编号"),
                _("名称"),
                _("整改措施"),
                _("责任部门"),
                _("立项日期"),
                _("完成时限"),
                _("完成日期"),
                _("状态"),
            ],
            practice_rows(),
        ),
    ]
