"""Issue 19, section 2: a consumer whose client stops heartbeating, is expired from its group
by Kafka and never rejoins — as interventions' persons consumer did under CPU starvation —
is found by its stall check, its client is built again, and events flow by themselves."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from gsi_contracts import registration
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.consumer import ConsumerRunner
from gsi_kernel.consumer_health import ConsumerWatch
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.tables import processed
from tests.faults.conftest import Stack
from tests.faults.poison import person_registered

pytestmark = pytest.mark.faults

# The broker's shortest session by default (group.min.session.timeout.ms): expiry within 6 s.
FAST_GROUP = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000, "max_poll_interval_ms": 10_000}
STALL_AFTER_S = 3.0


def _applied(kernel: Kernel, consumer: str, event_ids: list[str]) -> bool:
    with kernel.db.transaction() as connection:
        done = connection.execute(
            select(processed.c.event_id).where(
                processed.c.consumer == consumer,
                processed.c.event_id.in_(event_ids),
                processed.c.outcome == "applied",
            )
        ).scalars()
        return set(done) == set(event_ids)


def _run_until(runner: ConsumerRunner, done: Any, within_s: float) -> float:
    start = time.monotonic()
    while not done():
        assert time.monotonic() - start < within_s, f"{runner.name} did not consume within {within_s} s"
        runner.run_once()
    return time.monotonic() - start


def _break_like_the_incident(runner: ConsumerRunner) -> None:
    """The client stops heartbeating (the broker expires it) and never rejoins: its polls
    return nothing from then on, as the starved client's did."""
    client = runner._consumer._consumer  # type: ignore[attr-defined]
    client._coordinator._disable_heartbeat()
    client._coordinator.poll = lambda *args, **kwargs: False


@pytest.mark.postgres
@pytest.mark.kafka
@pytest.mark.parametrize("stack", ["postgres+kafka"], indirect=True)
def test_a_consumer_expired_from_its_group_is_rebuilt_and_consumes_again(stack: Stack) -> None:
    kernel, spec = next(
        (k, s) for k, s in stack.consumers(registration.TOPIC) if s.name == "interventions.persons"
    )
    bus = KafkaBus(stack.infra["servers"], namespace=stack.infra["namespace"], consumer_options=FAST_GROUP)
    runner = stack.runner(kernel, spec, bus=bus, watch=ConsumerWatch(spec.name, stall_after_s=STALL_AFTER_S))
    try:
        first = person_registered()
        stack.produce(registration.TOPIC, first.stream_id.encode(), first.to_bytes(), ())
        _run_until(runner, lambda: _applied(kernel, spec.name, [first.event_id]), 60)
        assert runner.health().assigned
        assert runner.health().restarts == 0

        _break_like_the_incident(runner)
        later = [person_registered() for _ in range(3)]
        for event in later:
            stack.produce(registration.TOPIC, event.stream_id.encode(), event.to_bytes(), ())
        recovery_s = _run_until(runner, lambda: _applied(kernel, spec.name, [e.event_id for e in later]), 90)

        health = runner.health()
        print(f"stalled consumer recovered in {recovery_s:.1f} s; health: {health}")
        assert health.restarts == 1
        assert "record(s) waiting and no offset committed" in (health.last_restart_reason or "")
        assert health.assigned
        assert health.polled_ago_s is not None
        assert health.polled_ago_s < 5
    finally:
        runner.close()
