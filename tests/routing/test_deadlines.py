"""Deadline arithmetic on the real 2026 calendar (seeded from chinese-calendar by migrate) and its laws."""

import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from routing import deadlines
from routing.calendar import (
    BusinessHours,
    CalendarHorizonAlert,
    DayReason,
    calendar_snapshot,
    working_day_set,
)
from routing.choices import Tier
from routing.deadlines import (
    CALENDAR_TIME_ZONE,
    CalendarSnapshot,
    add_working_days,
    add_working_hours,
    add_working_time,
    clock_start,
    intake_day,
    working_days_overdue,
    working_time_between,
)
from routing.models import Region

BJ = CALENDAR_TIME_ZONE


def bj(year, month, day, hour=9, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=BJ)


@pytest.fixture
def cal(db):
    return calendar_snapshot()


# --- The must-pass dates of 2026 ------------------------------------------------------------------------


@pytest.mark.parametrize("taken_in", [bj(2026, 9, 28, 9), bj(2026, 9, 28, 17, 20), bj(2026, 9, 28, 7, 0)])
def test_five_working_days_after_monday_28_september_is_make_up_saturday_10_october(cal, taken_in):
    due = add_working_days(taken_in, 5, calendar=cal)
    # 09-29, 09-30, (国庆节 10-01…10-07 skipped), 10-08, 10-09, and the make-up Saturday 10-10.
    assert due.local() == bj(2026, 10, 10, 17, 30)
    assert due.local().weekday() == 5
    assert due.provisional is False


def test_three_working_days_after_12_february_is_24_february(cal):
    due = add_working_days(bj(2026, 2, 12, 10), 3, calendar=cal)
    # 02-13, the make-up Saturday 02-14, (春节 02-15…02-23 skipped), 02-24.
    assert due.local() == bj(2026, 2, 24, 17, 30)
    assert due.provisional is False
    for step, expected in [(1, date(2026, 2, 13)), (2, date(2026, 2, 14)), (3, date(2026, 2, 24))]:
        assert add_working_days(bj(2026, 2, 12, 10), step, calendar=cal).local().date() == expected


def test_friday_17_20_intake_starts_counting_on_the_next_working_morning(cal):
    friday = bj(2026, 3, 6, 17, 20)
    assert clock_start(friday, calendar=cal).local() == bj(2026, 3, 9, 8, 30)  # Monday morning
    assert add_working_days(friday, 1, calendar=cal).local() == bj(2026, 3, 9, 17, 30)
    # Same as a morning intake that Friday: the intake day is day 0 either way.
    assert add_working_days(friday, 1, calendar=cal) == add_working_days(bj(2026, 3, 6, 9), 1, calendar=cal)
    # Working hours: the 10 minutes left that Friday count, the rest runs from Monday 08:30.
    assert add_working_hours(friday, 1, calendar=cal).local() == bj(2026, 3, 9, 9, 20)


def test_friday_before_a_make_up_saturday_starts_counting_that_saturday(cal):
    friday = bj(2026, 2, 13, 17, 20)
    assert clock_start(friday, calendar=cal).local() == bj(2026, 2, 14, 8, 30)
    assert add_working_days(friday, 1, calendar=cal).local() == bj(2026, 2, 14, 17, 30)


def test_after_close_of_business_or_on_a_rest_day_the_intake_counts_from_the_next_working_day(cal):
    assert intake_day(bj(2026, 3, 6, 17, 30), calendar=cal) == date(2026, 3, 6)  # at close: still that day
    assert intake_day(bj(2026, 3, 6, 17, 40), calendar=cal) == date(2026, 3, 9)
    assert intake_day(bj(2026, 3, 7, 10), calendar=cal) == date(2026, 3, 9)  # Saturday
    assert intake_day(bj(2026, 10, 3, 10), calendar=cal) == date(2026, 10, 8)  # 国庆节
    assert add_working_days(bj(2026, 3, 6, 17, 40), 1, calendar=cal).local() == bj(2026, 3, 10, 17, 30)
    assert add_working_days(bj(2026, 3, 7, 10), 1, calendar=cal).local() == bj(2026, 3, 10, 17, 30)


def test_zero_working_days_is_close_of_business_of_the_intake_day(cal):
    assert add_working_days(bj(2026, 3, 6, 10), 0, calendar=cal).local() == bj(2026, 3, 6, 17, 30)
    assert add_working_days(bj(2026, 3, 6, 18), 0, calendar=cal).local() == bj(2026, 3, 9, 17, 30)


def test_2026_make_up_days_are_working_days_in_the_snapshot(cal):
    for day in ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]:
        assert deadlines.is_working_day(date.fromisoformat(day), calendar=cal), day
    assert not deadlines.is_working_day(date(2026, 10, 1), calendar=cal)
    assert deadlines.next_working_day(date(2026, 9, 30), calendar=cal) == date(2026, 10, 8)


def test_results_are_aware_utc_and_naive_inputs_are_refused(cal):
    due = add_working_days(bj(2026, 9, 28, 9), 5, calendar=cal)
    assert due.at.tzinfo is UTC
    assert due.at == datetime(2026, 10, 10, 9, 30, tzinfo=UTC)
    # Any zone in, the same instant out.
    assert add_working_days(due.at - timedelta(days=12), 5, calendar=cal).at == due.at
    with pytest.raises(ValueError, match="aware"):
        add_working_days(datetime(2026, 9, 28, 9), 5, calendar=cal)
    with pytest.raises(ValueError):
        add_working_days(bj(2026, 9, 28), -1, calendar=cal)
    with pytest.raises(ValueError):
        add_working_time(bj(2026, 9, 28), timedelta(hours=-1), calendar=cal)


# --- Working hours, elapsed time, overdue days ----------------------------------------------------------


def test_working_hours_skip_lunch_nights_and_holidays(cal):
    assert add_working_hours(bj(2026, 3, 9, 11), 2, calendar=cal).local() == bj(2026, 3, 9, 15)
    # Exactly the morning's end is 12:00, not 14:00.
    assert add_working_hours(bj(2026, 3, 9, 11), 1, calendar=cal).local() == bj(2026, 3, 9, 12)
    # One working day (7 h) from 2026-09-30 10:00 runs over 国庆节 to 2026-10-08 10:00.
    assert add_working_hours(bj(2026, 9, 30, 10), 7, calendar=cal).local() == bj(2026, 10, 8, 10)
    assert add_working_hours(bj(2026, 3, 9, 11), 1.5, calendar=cal).local() == bj(2026, 3, 9, 14, 30)
    assert add_working_time(bj(2026, 3, 8, 3), timedelta(0), calendar=cal).local() == bj(2026, 3, 8, 3)


def test_working_time_between_counts_business_time_only(cal):
    elapsed = working_time_between(bj(2026, 3, 6, 17, 20), bj(2026, 3, 9, 9, 20), calendar=cal)
    assert elapsed.duration == timedelta(hours=1)
    assert elapsed.hours == 1.0
    assert elapsed.provisional is False
    # A whole week around 国庆节: 09-28, 09-29, 09-30 and 10-08, 10-09, 10-10 (Saturday) — 6 days.
    week = working_time_between(bj(2026, 9, 28, 0), bj(2026, 10, 11, 0), calendar=cal)
    assert week.duration == 6 * cal.working_day_length == timedelta(hours=42)
    assert working_time_between(
        bj(2026, 3, 9, 9, 20), bj(2026, 3, 6, 17, 20), calendar=cal
    ).duration == -timedelta(hours=1)


def test_working_days_overdue_counts_whole_working_days_after_the_deadline(cal):
    deadline = bj(2026, 9, 29, 17, 30)  # Tuesday
    assert working_days_overdue(deadline, bj(2026, 9, 29, 17, 0), calendar=cal).days == 0
    assert working_days_overdue(deadline, bj(2026, 9, 30, 17, 29), calendar=cal).days == 0
    assert working_days_overdue(deadline, bj(2026, 9, 30, 17, 30), calendar=cal).days == 1
    # 国庆节 does not count: still 1 on 10-07, 2 at the close of 10-08.
    assert working_days_overdue(deadline, bj(2026, 10, 7, 20), calendar=cal).days == 1
    assert working_days_overdue(deadline, bj(2026, 10, 8, 17, 30), calendar=cal).days == 2
    # A deadline in the middle of a day: that day's remainder is not a whole working day.
    assert working_days_overdue(bj(2026, 3, 9, 10), bj(2026, 3, 9, 18), calendar=cal).days == 0
    assert working_days_overdue(bj(2026, 3, 9, 8), bj(2026, 3, 9, 18), calendar=cal).days == 1


# --- Past the horizon: provisional and alerted ----------------------------------------------------------


def test_past_the_horizon_the_deadline_is_provisional_and_an_alert_is_raised(cal, caplog):
    assert cal.horizon == date(2026, 12, 31)
    with caplog.at_level(logging.WARNING, logger="routing.calendar"):
        due = add_working_days(bj(2026, 12, 30, 10), 5, calendar=cal)
        again = add_working_days(bj(2026, 12, 29, 10), 6, calendar=cal)
    # 12-31, then 2027 on the weekend rule and the statutory holidays: 01-01 (元旦, a Friday) is off,
    # so 01-04, 01-05, 01-06, 01-07.
    assert due.local() == bj(2027, 1, 7, 17, 30)
    assert due.provisional is True
    assert due.past_horizon_years == (2027,)
    assert again.provisional is True
    alert = CalendarHorizonAlert.objects.get()
    assert (alert.year, alert.first_needed_on, alert.horizon, alert.resolved_at) == (
        2027,
        date(2027, 1, 1),
        date(2026, 12, 31),
        None,
    )
    assert caplog.text.count("provisional") == 1  # once, although two computations ran past the horizon
    assert "2027" in caplog.text


def test_inside_the_horizon_nothing_is_provisional_and_no_alert(cal):
    due = add_working_days(bj(2026, 12, 24, 10), 5, calendar=cal)
    assert due.local() == bj(2026, 12, 31, 17, 30)
    assert due.provisional is False
    # Starting late on the last loaded day does not need 2027 for elapsed time either.
    assert working_time_between(bj(2026, 12, 31, 9), bj(2027, 1, 1, 0), calendar=cal).provisional is False
    assert not CalendarHorizonAlert.objects.exists()


# --- County overrides -----------------------------------------------------------------------------------


@pytest.fixture
def county(db):
    return Region.objects.create(code="330681", name="诸暨市", tier=Tier.COUNTY)


def test_a_county_closure_applies_to_the_county_and_below_and_nowhere_else(county):
    town = Region.objects.create(code="330681001", name="暨阳街道", tier=Tier.TOWN, parent=county)
    other = Region.objects.create(code="330682", name="上虞区", tier=Tier.COUNTY)
    working_day_set(
        day=date(2026, 3, 10), region=county, reason=DayReason.COUNTY_CLOSURE, note="台风停止办公"
    )
    start = bj(2026, 3, 9, 10)
    for region in (county, town):
        assert add_working_days(start, 1, calendar=calendar_snapshot(region=region)).local() == bj(
            2026, 3, 11, 17, 30
        )
    assert add_working_days(start, 1, calendar=calendar_snapshot(region=other)).local() == bj(
        2026, 3, 10, 17, 30
    )
    assert add_working_days(start, 1, calendar=calendar_snapshot()).local() == bj(2026, 3, 10, 17, 30)


def test_county_business_hours_override_the_default(county):
    BusinessHours.objects.create(
        region=county,
        morning_start=time(9),
        morning_end=time(12),
        afternoon_start=time(13, 30),
        afternoon_end=time(17),
    )
    county_cal = calendar_snapshot(region=county)
    assert county_cal.working_day_length == timedelta(hours=6, minutes=30)
    assert add_working_days(bj(2026, 3, 9, 10), 1, calendar=county_cal).local() == bj(2026, 3, 10, 17)
    assert add_working_hours(bj(2026, 3, 9, 11), 2, calendar=county_cal).local() == bj(2026, 3, 9, 14, 30)
    assert calendar_snapshot().close == time(17, 30)


def test_snapshot_validates_its_business_periods():
    with pytest.raises(ValueError):
        CalendarSnapshot(days={}, horizon=None, periods=((time(14), time(17)), (time(9), time(12))))
    with pytest.raises(ValueError):
        CalendarSnapshot(days={}, horizon=None, periods=())


def test_an_empty_calendar_works_on_weekends_and_statutory_holidays_and_reports_every_year():
    reported = []
    empty = CalendarSnapshot(days={}, horizon=None, on_past_horizon=reported.append)
    due = add_working_days(bj(2026, 12, 31, 10), 2, calendar=empty)
    assert due.local() == bj(2027, 1, 5, 17, 30)  # 01-01 元旦 off, then Monday 01-04 and Tuesday 01-05
    assert due.past_horizon_years == (2026, 2027)
    assert reported == [(date(2026, 12, 31), date(2027, 1, 1))]


# --- Laws (hypothesis) on the real calendar, including past the horizon ---------------------------------

moments = st.datetimes(
    min_value=datetime(2025, 1, 1),  # naive bounds: timezones= makes the drawn values aware
    max_value=datetime(2027, 3, 31),
    timezones=st.just(BJ),
)
PROPERTY_SETTINGS = hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_adding_working_days_is_monotonic_and_additive(cal):
    @PROPERTY_SETTINGS
    @given(moments, moments, st.integers(0, 25), st.integers(0, 25))
    def check(t1, t2, a, b):
        early, late = min(t1, t2), max(t1, t2)
        assert add_working_days(early, a, calendar=cal).at <= add_working_days(late, a, calendar=cal).at
        assert add_working_days(early, a, calendar=cal).at <= add_working_days(early, a + b, calendar=cal).at
        step = add_working_days(early, a, calendar=cal)
        assert (
            add_working_days(step.at, b, calendar=cal).at == add_working_days(early, a + b, calendar=cal).at
        )
        # A deadline is always at close of business of a working day.
        local = step.local()
        assert local.time() == cal.close
        assert deadlines.is_working_day(local.date(), calendar=cal)

    check()


def test_working_time_added_is_working_time_elapsed(cal):
    @PROPERTY_SETTINGS
    @given(moments, st.integers(0, 60 * 7 * 30), moments)
    def check(t, minutes, u):
        duration = timedelta(minutes=minutes)
        due = add_working_time(t, duration, calendar=cal)
        assert due.at >= t
        assert working_time_between(t, due.at, calendar=cal).duration == duration
        # Adding a+b equals adding a then b.
        half = add_working_time(t, duration / 2, calendar=cal)
        assert add_working_time(half.at, duration - duration / 2, calendar=cal).at == due.at
        # Elapsed is additive over a split point and antisymmetric.
        split = min(t, u) + (max(t, u) - min(t, u)) / 3
        whole = working_time_between(min(t, u), max(t, u), calendar=cal).duration
        parts = (
            working_time_between(min(t, u), split, calendar=cal).duration
            + working_time_between(split, max(t, u), calendar=cal).duration
        )
        assert whole == parts
        assert (
            working_time_between(u, t, calendar=cal).duration
            == -working_time_between(t, u, calendar=cal).duration
        )

    check()
