"""The ranking formula (docs/RANKINGS.md): components, score, order with ties, red flag and snail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from routing.models import Department
from supervision.rankings import components, rank_tier
from supervision.selectors import DepartmentStats


def dept(code: str) -> Department:
    return Department(code=code, name=f"部门{code}")


def stats(
    code,
    *,
    on_time,
    late,
    resolved=0,
    satisfied=0,
    basic=0,
    unsatisfied=0,
    returned=0,
    transferred=0,
    reopened=0,
):
    return DepartmentStats(
        department=dept(code),
        on_time=on_time,
        late=late,
        resolved=resolved,
        satisfied=satisfied,
        basically_satisfied=basic,
        unsatisfied=unsatisfied,
        returned=returned,
        transferred=transferred,
        reopened=reopened,
    )


def test_components_and_score():
    row = stats(
        "A",
        on_time=8,
        late=2,
        resolved=10,
        satisfied=6,
        basic=2,
        unsatisfied=2,
        returned=1,
        transferred=1,
        reopened=1,
    )
    parts = components(row)
    assert parts == {
        "on_time": Decimal("0.8"),
        "satisfaction": Decimal("0.8"),
        "bounce": 1 - Decimal(2) / Decimal(12),
        "reopen": Decimal("0.9"),
    }
    (line,) = rank_tier([row])
    # 100 × (0.5 × 0.8 + 0.25 × 0.8 + 0.15 × 10/12 + 0.1 × 0.9) = 40 + 20 + 12.5 + 9 = 81.50
    assert line.score == Decimal("81.50")


def test_order_ties_share_a_rank_and_the_next_rank_skips():
    rows = [
        stats("D", on_time=5, late=5, resolved=10, satisfied=10),  # 50%: last
        stats("B", on_time=9, late=1, resolved=10, satisfied=10),  # tied with C on score and on-time rate
        stats("C", on_time=9, late=1, resolved=10, satisfied=10),
        stats("A", on_time=10, late=0, resolved=10, satisfied=10),  # first
        stats("E", on_time=9, late=1, resolved=10, satisfied=9, unsatisfied=1),  # same on-time, lower score
    ]
    lines = rank_tier(rows)
    assert [(line.department.code, line.rank) for line in lines] == [
        ("A", 1),
        ("B", 2),
        ("C", 2),  # a tie: listed by code, same rank
        ("E", 4),  # competition ranking: 1, 2, 2, 4
        ("D", 5),
    ]
    assert [line.department.code for line in lines if line.red_flag] == ["A"]
    assert [line.department.code for line in lines if line.snail] == ["D"]


def test_equal_scores_are_split_by_on_time_rate():
    # Same score from different mixes: the one keeping more deadlines ranks first.
    punctual = stats("P", on_time=10, late=0, resolved=10, satisfied=5, unsatisfied=5)  # 50 + 12.5 + 15 + 10
    pleasant = stats("Q", on_time=15, late=5, resolved=20, satisfied=20)  # 37.5 + 25 + 15 + 10
    assert rank_tier([pleasant])[0].score == rank_tier([punctual])[0].score == Decimal("87.50")
    lines = rank_tier([pleasant, punctual, stats("R", on_time=1, late=9, resolved=10)])
    assert [(line.department.code, line.rank) for line in lines] == [("P", 1), ("Q", 2), ("R", 3)]


def test_everyone_tied_first_gets_the_flag_and_nobody_the_snail():
    lines = rank_tier([stats(code, on_time=10, late=0, resolved=10, satisfied=10) for code in "XYZ"])
    assert {line.rank for line in lines} == {1}
    assert all(line.red_flag for line in lines)
    assert not any(line.snail for line in lines)


def test_too_few_cases_are_listed_but_not_ranked():
    lines = rank_tier(
        [
            stats("A", on_time=10, late=0, resolved=10),
            stats("B", on_time=2, late=0, resolved=2),  # 2 decided: below the minimum of 3
            stats("C", on_time=5, late=5, resolved=10),
            stats("D", on_time=3, late=3, resolved=6),
        ]
    )
    assert [(line.department.code, line.rank) for line in lines] == [
        ("A", 1),
        ("C", 2),
        ("D", 2),
        ("B", None),
    ]
    assert lines[-1].score is None and not lines[-1].red_flag and not lines[-1].snail


def test_a_component_without_data_is_left_out_and_the_weights_rescaled():
    lines = rank_tier(
        [
            stats("A", on_time=10, late=0, resolved=10, satisfied=8, unsatisfied=2),
            stats("B", on_time=10, late=0, resolved=10, satisfied=6, unsatisfied=4),
            stats("C", on_time=10, late=0, resolved=10),  # no callbacks
        ]
    )
    c = next(line for line in lines if line.department.code == "C")
    # Nobody else's average: the component is missing, shown "—", and the score uses the other three.
    assert c.components["satisfaction"] is None and c.missing == ["satisfaction"]
    assert sum(c.weights.values()) == 1
    assert c.weights["on_time"] == Decimal("0.50") / Decimal("0.75")
    assert c.score == Decimal("100.00")


def test_no_flags_in_a_tier_too_small_to_rank():
    lines = rank_tier(
        [stats("A", on_time=10, late=0, resolved=10), stats("B", on_time=1, late=9, resolved=10)]
    )
    assert not any(line.red_flag or line.snail for line in lines)


@pytest.mark.parametrize(("threshold", "snail"), [(90, True), (20, False)])
def test_no_snail_above_the_configured_score(threshold, snail):
    rows = [
        stats("A", on_time=10, late=0, resolved=10, satisfied=10),
        stats("B", on_time=9, late=1, resolved=10, satisfied=10),
        stats("C", on_time=6, late=4, resolved=10, satisfied=10),  # 30 + 25 + 15 + 10 = 80
    ]
    with override_settings(SUPERVISION_SNAIL_BELOW=threshold):
        lines = rank_tier(rows)
    assert lines[-1].snail is snail
