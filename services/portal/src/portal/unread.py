"""The header's unread count, remembered a few seconds per session.

Pages that show the badge (home, reports, lock exceptions, review…) asked notifications for it
on every request: one call in six of the home page's. A person moves from page to page every few
seconds, and a notice comes from an event a moment after what caused it, so a count a few
seconds old is as good as a fresh one: each session's count is kept ``fresh_seconds`` (5 by
default, ``GSI_PORTAL_UNREAD_FRESH_SECONDS``), after which the next page asks again. A new notice
therefore shows in the badge on the first page opened more than that after it arrived. The inbox
pages always ask (they are where the person reads them), and marking a notice read forgets the
session's count, so the badge never lags behind the person's own action.

Keyed by the session's access token (one principal; a refreshed token simply asks again), in
this process's memory: nothing personal but a number, bounded in size.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
MOST = 10_000  # sessions remembered; beyond, the oldest entries are dropped


class UnreadCounts:
    def __init__(self, fresh_seconds: float, clock: Clock = time.monotonic) -> None:
        self._fresh = fresh_seconds
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}

    def get(self, token: str) -> int | None:
        """The count kept for this session, if still fresh."""
        found = self._counts.get(token)
        if found is None or self._clock() - found[0] >= self._fresh:
            return None
        return found[1]

    def put(self, token: str, count: int) -> None:
        if len(self._counts) >= MOST:
            self._drop_stale()
        self._counts.pop(token, None)  # re-inserted last: the dict keeps the oldest first
        self._counts[token] = (self._clock(), count)

    def forget(self, token: str) -> None:
        self._counts.pop(token, None)

    def _drop_stale(self) -> None:
        now = self._clock()
        for token in [t for t, (at, _) in self._counts.items() if now - at >= self._fresh]:
            del self._counts[token]
        while len(self._counts) >= MOST:  # all fresh: the oldest go
            del self._counts[next(iter(self._counts))]
