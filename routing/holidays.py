"""The statutory public holidays of a year, known in advance: what the calendar assumes past its horizon.

The State Council's yearly notice (published each November) fixes the exact days off and the make-up
working days (调休). Before it is imported, ``routing.deadlines`` counts a date with no calendar row on the
weekend rule *and* these holidays, the days fixed by the holiday rules in force since 2025
(《全国年节及纪念日放假办法》, State Council decree of 2024-11):

======== ================================================ ====
元旦      January 1                                         1
春节      New Year's Eve and the 1st–3rd of the first month  4
清明节    the day of the solar term 清明                     1
劳动节    May 1–2                                           2
端午节    the 5th of the fifth month                        1
中秋节    the 15th of the eighth month                      1
国庆节    October 1–3                                       3
======== ================================================ ====

Lunar dates and the solar term come from ``lunar-python`` (pure Python; the 寿星万年历 algorithms).

Deliberately *not* guessed: make-up working days (调休上班) and where a holiday falling on a weekend is made
up (补假), which only the notice fixes. Results counted this way stay provisional until the year is imported.
Pure: no database, no settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

ONE_DAY = timedelta(days=1)

NEW_YEAR = "元旦"
SPRING_FESTIVAL = "春节"
QINGMING = "清明节"
LABOUR_DAY = "劳动节"
DRAGON_BOAT = "端午节"
MID_AUTUMN = "中秋节"
NATIONAL_DAY = "国庆节"


def _lunar_to_solar(year: int, month: int, day: int) -> date:
    from lunar_python import Lunar  # type: ignore[import-untyped]  # the package ships no type hints

    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    from lunar_python import Solar

    # The lunar year around April 1 holds that solar year's 清明 (always April 4–6).
    term = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> Mapping[date, str]:
    """The statutory days off of ``year`` (Gregorian), each with its holiday's name (see the module table).

    When two holidays share a date (2028's 中秋 falls on 10-03, inside 国庆) the names are joined with
    "、" and the day counts once: how many extra days the notice then gives is not guessed either.
    """
    days: dict[date, list[str]] = {}

    def add(day: date, name: str) -> None:
        if day.year == year:
            days.setdefault(day, []).append(name)

    add(date(year, 1, 1), NEW_YEAR)
    first_day = _lunar_to_solar(year, 1, 1)
    for offset in range(-1, 3):  # New Year's Eve (the last day of the 12th month, 29th or 30th) to the 3rd
        add(first_day + offset * ONE_DAY, SPRING_FESTIVAL)
    add(_qingming(year), QINGMING)
    add(date(year, 5, 1), LABOUR_DAY)
    add(date(year, 5, 2), LABOUR_DAY)
    add(_lunar_to_solar(year, 5, 5), DRAGON_BOAT)
    add(_lunar_to_solar(year, 8, 15), MID_AUTUMN)
    for day in (1, 2, 3):
        add(date(year, 10, day), NATIONAL_DAY)
    return MappingProxyType({day: "、".join(names) for day, names in sorted(days.items())})


def is_statutory_holiday(day: date) -> bool:
    """Whether ``day`` is one of its year's statutory days off."""
    return day in statutory_holidays(day.year)


__all__ = ["is_statutory_holiday", "statutory_holidays"]
