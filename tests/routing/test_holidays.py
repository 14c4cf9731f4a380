"""The statutory holidays known in advance (``routing.holidays``) and the calendar past its horizon.

Cross-checked with two independent sources: the ``holidays`` package's rule for China (its "observed"
days, where it guesses the 补假 of a weekend holiday, left out: the notice fixes those) and the
``chinese-calendar`` package's published years.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
import pytest

from routing.calendar import calendar_snapshot
from routing.deadlines import add_working_days
from routing.holidays import statutory_holidays


def test_the_2027_statutory_holidays_are_named():
    assert dict(statutory_holidays(2027)) == {
        date(2027, 1, 1): "元旦",
        date(2027, 2, 5): "春节",  # New Year's Eve (the 12th month has 29 days in lunar 2026)
        date(2027, 2, 6): "春节",  # the 1st of the first month
        date(2027, 2, 7): "春节",
        date(2027, 2, 8): "春节",
        date(2027, 4, 5): "清明节",
        date(2027, 5, 1): "劳动节",
        date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节",
        date(2027, 9, 15): "中秋节",
        date(2027, 10, 1): "国庆节",
        date(2027, 10, 2): "国庆节",
        date(2027, 10, 3): "国庆节",
    }


def test_two_holidays_on_one_day_count_once():
    days = statutory_holidays(2028)
    assert days[date(2028, 10, 3)] == "中秋节、国庆节"
    assert len(days) == 12


@pytest.mark.parametrize("year", range(2027, 2036))
def test_the_rule_agrees_with_the_holidays_package(year):
    theirs = {day for day, name in holidays.China(years=year).items() if "observed" not in name.lower()}
    assert set(statutory_holidays(year)) == theirs


@pytest.mark.parametrize("year", [2025, 2026])
def test_in_published_years_every_statutory_day_is_off(year):
    # The notices give more days off (bridges, 补假); the statutory ones are always among them.
    published = {day for day in chinese_calendar.holidays if day.year == year}
    assert set(statutory_holidays(year)) <= published
    assert set(statutory_holidays(year)) < set(holidays.China(years=year))


@pytest.mark.django_db
def test_past_the_horizon_holidays_are_off_and_no_make_up_day_is_guessed():
    cal = calendar_snapshot()
    assert cal.horizon == date(2026, 12, 31)
    for day in statutory_holidays(2027):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2027, 2, 9))  # Tuesday after 春节: the notice may add it, we do not
    assert cal.is_working_day(date(2027, 10, 4))  # Monday after 国庆
    assert not cal.is_working_day(date(2027, 2, 20))  # a Saturday stays off until a notice says otherwise
    due = add_working_days(datetime(2027, 2, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai")), 1, calendar=cal)
    assert (due.local().date(), due.provisional) == (date(2027, 2, 9), True)
