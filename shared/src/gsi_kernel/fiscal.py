"""Québec's fiscal calendar: the year starts April 1 (Q1 Apr–Jun … Q4 Jan–Mar).

A quarter is written ``2026-2027-Q3``: the fiscal year then the quarter number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_PATTERN = re.compile(r"([0-9]{4})-([0-9]{4})-Q([1-4])")  # ASCII digits only, matched whole


@dataclass(frozen=True, slots=True, order=True)
class FiscalQuarter:
    start_year: int  # the calendar year in which the fiscal year starts (April 1)
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be 1-4, not {self.number}")

    @classmethod
    def of(cls, day: date) -> FiscalQuarter:
        """The fiscal quarter a calendar day falls in."""
        start_year = day.year if day.month >= 4 else day.year - 1
        return cls(start_year, ((day.month - 4) % 12) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> FiscalQuarter:
        match = _PATTERN.fullmatch(text)
        if not match or int(match[2]) != int(match[1]) + 1:
            raise ValueError(f"not a fiscal quarter (expected e.g. 2026-2027-Q3): {text!r}")
        return cls(int(match[1]), int(match[3]))

    @property
    def first_day(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.start_year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> FiscalQuarter:
        if self.number == 4:
            return FiscalQuarter(self.start_year + 1, 1)
        return FiscalQuarter(self.start_year, self.number + 1)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}-Q{self.number}"
