"""A cache of books (rule sets, catalogues) that are right for a whole day.

A new version of a rule set or a catalogue only takes effect from the day after its publication
(no retroactive rules), so a book loaded today stays right until midnight in Montréal. Entries
are still reloaded after a minute, to pick up versions published elsewhere for tomorrow sooner.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

B = TypeVar("B")
RELOAD_AFTER_S = 60.0


class DailyCache:
    """One value per Montréal day, reloaded after ``RELOAD_AFTER_S`` or on ``clear``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, tuple[date, float, object]] = {}

    def get(self, name: str, today: date, load: Callable[[], B]) -> B:
        with self._lock:
            cached = self._values.get(name)
            if cached and cached[0] == today and time.monotonic() - cached[1] < RELOAD_AFTER_S:
                return cached[2]  # type: ignore[return-value]
        value = load()
        with self._lock:
            self._values[name] = (today, time.monotonic(), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
