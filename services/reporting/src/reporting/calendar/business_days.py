"""Business days in Québec: weekdays that are not holidays, and the holidays as rules that give
their date each year (docs/adr/0014-business-days.md). The fiscal-year calendars hold the
holidays as data (``reporting/data/calendar.json`` gives the rules of the defaults); this module
only does the arithmetic. Pure: no I/O.

Two counts, one convention: the start day never counts, the end day does. ``add_business_days``
goes forward a number of business days (a deadline); ``business_days_between`` says how many
lie between two days (a delay), and :class:`BusinessDayCount` answers that in constant time for
many pairs over one span, from a running count built once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from itertools import accumulate
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class HolidayRule(BaseModel):
    """How a holiday falls each year: a fixed date (moved to Monday when it falls on a Sunday,
    where the law says so), an offset from Easter Sunday, the n-th weekday of a month, or the
    last given weekday strictly before a date (Journée nationale des patriotes)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_fr: str
    name_en: str
    kind: Literal["fixed", "easter", "nth_weekday", "weekday_before"]
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    offset_days: int | None = None
    weekday: int | None = Field(default=None, ge=0, le=6)  # Monday = 0
    nth: int | None = Field(default=None, ge=1, le=5)
    sunday_to_monday: bool = False

    @model_validator(mode="after")
    def _complete(self) -> Self:
        needs = {
            "fixed": ("month", "day"),
            "easter": ("offset_days",),
            "nth_weekday": ("month", "weekday", "nth"),
            "weekday_before": ("month", "day", "weekday"),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} holiday needs {', '.join(missing)}")
        return self

    def in_year(self, year: int) -> date:
        if self.kind == "easter":
            return easter_sunday(year) + timedelta(days=self.offset_days or 0)
        month, weekday = self.month or 1, self.weekday or 0
        if self.kind == "nth_weekday":
            first = date(year, month, 1)
            return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * ((self.nth or 1) - 1))
        day = date(year, month, self.day or 1)
        if self.kind == "weekday_before":
            return day - timedelta(days=(day.weekday() - weekday - 1) % 7 + 1)
        return day + timedelta(days=1) if self.sunday_to_monday and day.weekday() == 6 else day


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher")."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday_shift) // 433
    month = (h + weekday_shift - 7 * m + 90) // 25
    return date(year, month, (h + weekday_shift - 7 * m + 33 * month + 19) % 32)


def is_business_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: date, count: int, holidays: frozenset[date]) -> date:
    """The ``count``-th business day after ``start`` (``start`` itself never counts)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day, holidays):
            count -= 1
    return day


def business_days_between(start: date, end: date, holidays: frozenset[date]) -> int:
    """The business days after ``start`` up to and including ``end`` (0 on the same day or
    before it)."""
    if end <= start:
        return 0
    return BusinessDayCount(start, end, holidays).between(start, end)


class BusinessDayCount:
    """A running count of business days over ``[first, last]``: the business days between any
    two days of the span in constant time (one pass over the span, then a subtraction)."""

    def __init__(self, first: date, last: date, holidays: Iterable[date]) -> None:
        closed = frozenset(holidays)
        self.first, self.last = first, max(first, last)
        days = (first + timedelta(days=n) for n in range((self.last - first).days + 1))
        self._running = list(accumulate(1 if is_business_day(d, closed) else 0 for d in days))
        self._base = first.toordinal()

    def histogram(self, pairs: Iterable[tuple[date, date, int]]) -> Counter[int]:
        """``{business days: how many}`` of ``(start, end, how many)`` pairs of days of the span,
        ``start`` not after ``end`` (many pairs: ordinals, no checks)."""
        running, base = self._running, self._base
        delays: Counter[int] = Counter()
        for start, end, n in pairs:
            delays[running[end.toordinal() - base] - running[start.toordinal() - base]] += n
        return delays

    def between(self, start: date, end: date) -> int:
        """As :func:`business_days_between`, for two days of the span."""
        if not (self.first <= start <= self.last and self.first <= end <= self.last):
            raise ValueError(f"{start} – {end} is outside {self.first} – {self.last}")
        if end <= start:
            return 0
        return self._running[(end - self.first).days] - self._running[(start - self.first).days]
