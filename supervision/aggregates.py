"""Percentiles: ``percentile_cont`` in PostgreSQL, the same interpolation in Python elsewhere.

Both use linear interpolation between the two nearest ranks (PostgreSQL's ``percentile_cont``): for
sorted values v[0..n-1] the p-th percentile is v[k] + (v[k+1] - v[k]) * f with k + f = p * (n - 1).
The median of 1, 2, 3, 4 is 2.5; their 90th percentile 3.7.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Aggregate, FloatField


class PercentileCont(Aggregate):
    """``percentile_cont(p) WITHIN GROUP (ORDER BY expression)`` (PostgreSQL only)."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        if not 0 <= percentile <= 1:
            raise ValueError("percentile must be within [0, 1]")
        # A float literal we chose, never user input.
        super().__init__(expression, percentile=repr(float(percentile)), **extra)


def percentile(values: Sequence[float | Decimal], p: float) -> float | None:
    """``percentile_cont`` in Python (None for no values)."""
    if not values:
        return None
    ordered = sorted(float(v) for v in values)
    position = p * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
