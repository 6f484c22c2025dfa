"""The consumer's stall check (issue 19, section 2): a stalled group is told from a quiet topic
and from a member left idle while others consume; the health snapshot says what /ready needs."""

from __future__ import annotations

from gsi_kernel.bus.port import GroupLag, TopicPartition
from gsi_kernel.consumer_health import ConsumerWatch

TP = TopicPartition("gsi.registration", 0)


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _watch() -> tuple[ConsumerWatch, Ticks]:
    ticks = Ticks()
    watch = ConsumerWatch("interventions.persons", stall_after_s=30, monotonic=ticks)
    watch.built()
    return watch, ticks


def test_no_lag_is_read_before_the_consumer_has_been_idle_that_long() -> None:
    watch, ticks = _watch()
    ticks.now += 29
    watch.polled(0, frozenset({TP}))
    assert not watch.lag_due()
    ticks.now += 1
    assert watch.lag_due()
    watch.polled(5, frozenset({TP}))  # records came: not idle any more
    assert not watch.lag_due()


def test_records_waiting_while_no_offset_moves_for_a_whole_period_is_a_stall() -> None:
    watch, ticks = _watch()
    ticks.now += 30
    watch.polled(0, frozenset())
    assert watch.stall(GroupLag(committed=40, end=45)) is None  # the first reading: a baseline
    ticks.now += 29
    assert not watch.lag_due()
    ticks.now += 1
    reason = watch.stall(GroupLag(committed=40, end=47))
    assert reason == "7 record(s) waiting and no offset committed for 30 s (with no partition assigned)"


def test_a_quiet_topic_and_a_group_that_progresses_are_not_stalls() -> None:
    watch, ticks = _watch()
    for lag in (GroupLag(40, 40), GroupLag(40, 40), GroupLag(40, 44), GroupLag(43, 47), GroupLag(47, 47)):
        ticks.now += 30
        assert watch.stall(lag) is None, lag


def test_health_counts_restarts_and_rebuilds_across_runners() -> None:
    watch, ticks = _watch()
    assert watch.health().last_poll_at is None
    watch.polled(3, frozenset({TP}))
    ticks.now += 2.5
    watch.restarted("7 record(s) waiting")
    watch.built()  # the worker built a new runner after an error
    health = watch.health()
    assert (health.assigned, health.polled_ago_s, health.restarts, health.rebuilds) == ((TP,), 2.5, 1, 1)
    assert health.last_restart_reason == "7 record(s) waiting"
    assert health.last_records_at == health.last_poll_at is not None
