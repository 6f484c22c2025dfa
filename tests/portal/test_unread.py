"""The header's unread count kept a few seconds per session (portal.unread): a new notice shows
on the first page opened after that, marking one read is seen at once, and the memory stays
bounded."""

from __future__ import annotations

import pytest

from portal import unread
from portal.unread import UnreadCounts


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_count_is_reused_while_fresh_then_asked_again() -> None:
    clock = Clock()
    counts = UnreadCounts(5.0, clock)
    assert counts.get("session-a") is None
    counts.put("session-a", 3)
    clock.now += 4.9
    assert counts.get("session-a") == 3
    assert counts.get("session-b") is None  # another session's count is its own
    clock.now += 0.1
    assert counts.get("session-a") is None  # 5 s on: the next page asks notifications


def test_forgetting_a_session_makes_its_next_page_ask() -> None:
    counts = UnreadCounts(5.0, Clock())
    counts.put("session-a", 3)
    counts.forget("session-a")
    assert counts.get("session-a") is None
    counts.forget("never-seen")  # no error


def test_zero_seconds_never_reuses_a_count() -> None:
    counts = UnreadCounts(0.0, Clock())
    counts.put("session-a", 3)
    assert counts.get("session-a") is None


def test_the_memory_is_bounded_stale_entries_first_then_the_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(unread, "MOST", 3)  # the bound made small for the test
    counts = UnreadCounts(5.0, clock)
    counts.put("old", 1)
    clock.now += 10
    counts.put("b", 2)
    counts.put("c", 3)
    counts.put("d", 4)  # full: "old" is stale and goes
    assert [counts.get(t) for t in ("old", "b", "c", "d")] == [None, 2, 3, 4]
    counts.put("e", 5)  # full of fresh ones: the oldest, "b", goes
    assert [counts.get(t) for t in ("b", "c", "d", "e")] == [None, 3, 4, 5]
