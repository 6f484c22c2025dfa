"""Time, injected: the composition root builds the clock, tests move it.

The kernel's clock is the services' *business* time: it dates events, says what day it is for
deadlines, reminders, lock exceptions and retention. A training or acceptance environment may
run it ahead of the wall clock (``GSI_CLOCK_OFFSET_DAYS``, :class:`OffsetClock`; refused in
production) to rehearse a quarter without waiting for it. Token lifetimes stay on the wall clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

MONTREAL = ZoneInfo("America/Montreal")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = instant


class OffsetClock:
    """Another clock moved by whole days of Montréal's calendar: a rehearsal environment's
    business time. The same hour on the day ``days`` away — not ``days`` × 24 hours, which across
    a change of daylight saving time lands an hour off, and near midnight on another day."""

    def __init__(self, base: Clock, days: int) -> None:
        self.base = base
        self.days = days

    def now(self) -> datetime:
        wall = self.base.now().astimezone(MONTREAL).replace(tzinfo=None)
        return (wall + timedelta(days=self.days)).replace(tzinfo=MONTREAL).astimezone(UTC)


def shifted(clock: Clock, days: int) -> Clock:
    """``clock`` moved by ``days`` (``clock`` itself when 0, so tests keep the clock they pass)."""
    return OffsetClock(clock, days) if days else clock


def montreal_date(instant: datetime) -> date:
    """The calendar day in Montréal at ``instant`` (business dates are Montréal dates)."""
    return instant.astimezone(MONTREAL).date()
