"""Business days in Québec (docs/adr/0014-business-days.md): Easter on known years, the default
calendar's statutory holidays, and the two counts — a deadline some business days ahead, and the
business days between two days (directly, or from a running count over a span)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from reporting.calendar import business_days
from reporting.calendar import domain as calendar
from reporting.calendar.business_days import BusinessDayCount, HolidayRule, business_days_between

DEFAULTS = calendar.load_defaults()


def holidays(start_year: int) -> frozenset[date]:
    return calendar.default_calendar(start_year, DEFAULTS).holiday_dates()


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1818, date(1818, 3, 22)),  # the earliest possible date
        (1943, date(1943, 4, 25)),  # the latest possible date
        (1961, date(1961, 4, 2)),
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),
        (2019, date(2019, 4, 21)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2029, date(2029, 4, 1)),
        (2100, date(2100, 3, 28)),
    ],
)
def test_easter_sunday_on_known_years(year: int, easter: date) -> None:
    assert business_days.easter_sunday(year) == easter
    assert easter.weekday() == 6


def test_the_statutory_holidays_of_fiscal_year_2025_2026() -> None:
    assert sorted(holidays(2025)) == [
        date(2025, 4, 18),  # Good Friday
        date(2025, 4, 21),  # Easter Monday
        date(2025, 5, 19),  # Journée nationale des patriotes: the Monday before May 25
        date(2025, 6, 24),  # Fête nationale
        date(2025, 7, 1),  # Canada Day
        date(2025, 9, 1),  # Labour Day
        date(2025, 10, 13),  # Thanksgiving
        date(2025, 12, 25),  # Christmas
        date(2026, 1, 1),  # New Year's Day (Good Friday 2026, April 3, is the next year's)
    ]


@pytest.mark.parametrize(
    ("rule", "year", "day"),
    [
        (HolidayRule(name_fr="p", name_en="p", kind="weekday_before", month=5, day=25, weekday=0), 2026,
         date(2026, 5, 18)),  # May 25, 2026 is itself a Monday: the one before
        (HolidayRule(name_fr="p", name_en="p", kind="weekday_before", month=5, day=25, weekday=0), 2027,
         date(2027, 5, 24)),
        (HolidayRule(name_fr="c", name_en="c", kind="fixed", month=7, day=1, sunday_to_monday=True), 2029,
         date(2029, 7, 2)),  # July 1 on a Sunday
        (HolidayRule(name_fr="n", name_en="n", kind="fixed", month=1, day=1), 2028, date(2028, 1, 1)),
        (HolidayRule(name_fr="t", name_en="t", kind="nth_weekday", month=10, weekday=0, nth=2), 2026,
         date(2026, 10, 12)),
    ],
)  # fmt: skip
def test_holiday_rules(rule: HolidayRule, year: int, day: date) -> None:
    assert rule.in_year(year) == day


@pytest.mark.parametrize(
    ("start", "end", "expected", "weekends_only"),
    [
        (date(2026, 8, 3), date(2026, 8, 3), 0, 0),  # the same day
        (date(2026, 8, 3), date(2026, 8, 6), 3, 3),  # Monday to Thursday
        (date(2026, 8, 7), date(2026, 8, 10), 1, 1),  # Friday to Monday
        (date(2026, 8, 8), date(2026, 8, 9), 0, 0),  # a weekend
        (date(2026, 4, 1), date(2026, 4, 10), 5, 7),  # over Good Friday and Easter Monday
        (date(2026, 6, 23), date(2026, 7, 2), 5, 7),  # over June 24 and July 1
        (date(2026, 12, 24), date(2027, 1, 4), 5, 7),  # over Christmas and New Year's Day, two years
        (date(2026, 8, 10), date(2026, 8, 3), 0, 0),  # backwards: nothing
    ],
)
def test_business_days_between(start: date, end: date, expected: int, weekends_only: int) -> None:
    closed = holidays(2026)
    assert business_days_between(start, end, closed) == expected
    assert business_days_between(start, end, frozenset()) == weekends_only


def test_a_deadline_and_a_delay_agree() -> None:
    closed = holidays(2026) | holidays(2027)
    start = date(2026, 4, 1)
    for n in range(0, 300, 7):
        assert business_days_between(start, calendar.add_business_days(start, n, closed), closed) == n


def test_the_running_count_answers_like_the_direct_count() -> None:
    first, last = date(2025, 3, 1), date(2027, 4, 30)
    closed = holidays(2024) | holidays(2025) | holidays(2026) | holidays(2027)
    count = BusinessDayCount(first, last, closed)
    draw = random.Random(14)
    for _ in range(200):
        a = first + timedelta(days=draw.randrange((last - first).days + 1))
        b = first + timedelta(days=draw.randrange((last - first).days + 1))
        assert count.between(a, b) == business_days_between(a, b, closed)
    with pytest.raises(ValueError, match="outside"):
        count.between(first - timedelta(days=1), last)


def test_the_histogram_of_many_delays_counts_each_pair_as_between_does() -> None:
    first, last = date(2025, 3, 1), date(2027, 3, 31)
    closed = holidays(2024) | holidays(2025) | holidays(2026)
    count, draw = BusinessDayCount(first, last, closed), random.Random(3)
    pairs = []
    for _ in range(300):
        a = first + timedelta(days=draw.randrange(700))
        pairs.append((a, min(last, a + timedelta(days=draw.randrange(40))), draw.randint(1, 3)))
    expected: dict[int, int] = {}
    for a, b, n in pairs:
        expected[count.between(a, b)] = expected.get(count.between(a, b), 0) + n
    assert count.histogram(pairs) == expected
