"""The snapshot loader (``calendar_snapshot``) and its per-process cache, invalidated by the save/delete
signals of ``WorkingDay`` and ``BusinessHours`` (connected once, when this module is imported) and by the
bulk writers, re-checked across processes by a fingerprint query."""

from __future__ import annotations

import threading
import time as monotonic_time
from datetime import date, time
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from ..deadlines import CALENDAR_TIME_ZONE, DEFAULT_PERIODS, CalendarSnapshot
from .horizon import _report_past_horizon, _reported_years, _warnings
from .models import BusinessHours, WorkingDay


class _CacheEntry:
    __slots__ = ("checked_at", "fingerprint", "snapshot")

    def __init__(self, snapshot: CalendarSnapshot, fingerprint: tuple, checked_at: float):
        self.snapshot = snapshot
        self.fingerprint = fingerprint
        self.checked_at = checked_at


_cache: dict[tuple[str, date | None], _CacheEntry] = {}
_cache_lock = threading.Lock()


def calendar_cache_clear() -> None:
    """Forget every cached snapshot (and the alert rate limit, the banners' warning): the next load reads
    the table again."""
    with _cache_lock:
        _cache.clear()
        _reported_years.clear()
        _warnings.clear()


def _calendar_changed() -> None:
    # Now, for this process's next read inside the transaction, and after commit, so no snapshot built
    # from the pre-commit state by another thread survives.
    calendar_cache_clear()
    transaction.on_commit(calendar_cache_clear)


# Sent inside the transaction that loaded whole years (import or package seed), after the cache was
# cleared, with ``years`` and ``now``: deadlines computed on the rule known in advance may now be exact.
# ``cases`` connects its recompute of provisional deadlines here (routing never imports cases); a
# receiver that fails rolls the load back.
calendar_loaded = Signal()


def _calendar_loaded(years) -> None:
    """Inside the loading transaction: forget cached snapshots, then tell ``calendar_loaded``."""
    _calendar_changed()
    calendar_loaded.send(sender=WorkingDay, years=tuple(years), now=timezone.now())


@receiver([post_save, post_delete], sender=WorkingDay, dispatch_uid="routing.calendar.day_changed")
@receiver([post_save, post_delete], sender=BusinessHours, dispatch_uid="routing.calendar.hours_changed")
def _row_changed(sender, **kwargs):
    _calendar_changed()


def _parse_clock(value) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def default_business_periods() -> tuple[tuple[time, time], ...]:
    """``settings.BUSINESS_HOURS`` as time pairs (default 08:30–12:00 and 14:00–17:30)."""
    configured = getattr(settings, "BUSINESS_HOURS", None)
    if not configured:
        return DEFAULT_PERIODS
    return tuple((_parse_clock(start), _parse_clock(end)) for start, end in configured)


def _county_code(region) -> str:
    return region.county_code if region is not None else ""


def _scope_filter(county: str, start: date | None) -> Q:
    scope = Q(region__isnull=True)
    if county:
        scope |= Q(region__code=county)
    if start is not None:
        scope &= Q(date__gte=start)
    return scope


def _fingerprint(county: str, start: date | None) -> tuple:
    days = WorkingDay.objects.filter(_scope_filter(county, start)).aggregate(
        n=Count("pk"), last=Max("updated_at")
    )
    hours = (
        BusinessHours.objects.filter(region__code=county).values_list("updated_at", flat=True).first()
        if county
        else None
    )
    return (days["n"], days["last"], hours)


def _build(county: str, start: date | None) -> tuple[CalendarSnapshot, tuple]:
    national: dict[date, bool] = {}
    local: dict[date, bool] = {}
    last_change = None
    count = 0
    # The one query for the date range: national rows and this county's overrides together.
    for day, region_id, working, updated_at in WorkingDay.objects.filter(
        _scope_filter(county, start)
    ).values_list("date", "region_id", "is_working_day", "updated_at"):
        (local if region_id else national)[day] = working
        count += 1
        last_change = updated_at if last_change is None or updated_at > last_change else last_change
    hours = BusinessHours.objects.filter(region__code=county).first() if county else None
    horizon = max(national) if national else None
    snapshot = CalendarSnapshot(
        days={**national, **local},
        horizon=horizon,
        periods=hours.periods if hours is not None else default_business_periods(),
        tz=CALENDAR_TIME_ZONE,
        scope=county,
        on_past_horizon=partial(_report_past_horizon, horizon=horizon),
    )
    return snapshot, (count, last_change, hours.updated_at if hours is not None else None)


def calendar_snapshot(*, region=None, start: date | None = None) -> CalendarSnapshot:
    """The calendar of ``region``'s county (national rows plus the county's overrides and hours), or the
    national calendar when ``region`` is None, for dates from ``start`` on (all dates when None).

    Dates before ``start`` count as unloaded (weekends and statutory holidays off, results provisional,
    no alert). Built with one
    query for the days (plus one for a county's business hours); cached per process: a change in this
    process invalidates at once, a change made elsewhere is noticed within
    ``settings.CALENDAR_CACHE_RECHECK_SECONDS`` (default 30) by a fingerprint query.
    """
    key = (_county_code(region), start)
    recheck = float(getattr(settings, "CALENDAR_CACHE_RECHECK_SECONDS", 30))
    now = monotonic_time.monotonic()
    with _cache_lock:
        entry = _cache.get(key)
    if entry is not None:
        if now - entry.checked_at < recheck:
            return entry.snapshot
        if _fingerprint(*key) == entry.fingerprint:
            entry.checked_at = now
            return entry.snapshot
        calendar_cache_clear()
    snapshot, fingerprint = _build(*key)
    with _cache_lock:
        _cache[key] = _CacheEntry(snapshot, fingerprint, now)
    return snapshot
