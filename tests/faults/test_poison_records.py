"""Issue 19, section 1: the six kinds of record that once stopped registration's consumers for
ever are each dead-lettered once, with their reason, and the next valid event is applied — on
PostgreSQL + Kafka (written with a raw Kafka producer) and on SQLite + the embedded log. A
consumer that crashes before committing its offsets reads them all again and dead-letters
nothing twice, neither in its table nor on its dead-letter topic."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from gsi_contracts import registration
from gsi_kernel.consumer import ConsumerRunner, dead_letter_topic
from gsi_kernel.runtime import ConsumerSpec, Kernel
from gsi_kernel.store.tables import dead_letters, processed
from tests.faults.conftest import Stack, outcomes
from tests.faults.poison import person_registered, six_kinds

pytestmark = pytest.mark.faults
DEADLINE_S = 60.0


def _run_until_caught_up(runner: ConsumerRunner, done: callable) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + DEADLINE_S
    while not done():
        assert time.monotonic() < deadline, f"{runner.name} did not get through the records"
        runner.run_once()


def _applied(kernel: Kernel, consumer: str, event_id: str) -> bool:
    with kernel.db.transaction() as connection:
        outcome = connection.execute(
            select(processed.c.outcome).where(
                processed.c.consumer == consumer, processed.c.event_id == event_id
            )
        ).scalar()
    return outcome == "applied"


def _copies_on_the_dead_letter_topic(stack: Stack, consumer: str, at_least: int) -> list[dict[str, bytes]]:
    """Every copy on ``gsi.deadletter.<consumer>``: read until ``at_least`` came, then 3 s more."""
    reader = stack.bus.consumer(f"reader-{consumer}-{time.monotonic_ns()}", [dead_letter_topic(consumer)])
    copies, deadline, quiet_until = [], time.monotonic() + DEADLINE_S, None
    try:
        while time.monotonic() < (quiet_until or deadline):
            copies += [dict(r.headers) | {"value": r.value} for r in reader.poll(0.5)]
            if len(copies) >= at_least and quiet_until is None:
                quiet_until = time.monotonic() + 3
    finally:
        reader.close()
    return copies  # type: ignore[return-value]


def test_each_poison_is_dead_lettered_once_and_the_next_event_applied(stack: Stack) -> None:
    poisons = six_kinds()
    for poison in poisons:
        stack.produce(registration.TOPIC, poison.key, poison.value, poison.headers)
    valid = person_registered()
    stack.produce(registration.TOPIC, valid.stream_id.encode(), valid.to_bytes(), ())

    followers = stack.consumers(registration.TOPIC)
    assert sorted(spec.name for _, spec in followers) == ["interventions.persons", "reporting.persons"]
    for kernel, spec in followers:
        _first_crashes_before_committing_then_a_second_reads_all_again(stack, kernel, spec, valid.event_id)

        assert outcomes(kernel, spec.name) == {"applied": 1, "dead_letters": len(poisons)}
        with kernel.db.transaction() as connection:
            rows = connection.execute(select(dead_letters).where(dead_letters.c.consumer == spec.name)).all()
        by_key = {r.raw_key: r for r in rows}
        for poison in poisons:
            row = by_key[poison.key]
            assert row.error.startswith(poison.reason), (poison.name, row.error)
            assert row.value == poison.value
            assert len(row.key) <= 200
            assert "\x00" not in row.key
        copies = _copies_on_the_dead_letter_topic(stack, spec.name, len(poisons))
        places = sorted(
            int(c["gsi-original-offset"]) + 1000 * int(c["gsi-original-partition"]) for c in copies
        )
        assert len(places) == len(set(places)) == len(poisons), "a record was dead-lettered twice"
        assert sum(c["value"] is None for c in copies) == 1  # the tombstone's copy is one too


def _first_crashes_before_committing_then_a_second_reads_all_again(
    stack: Stack, kernel: Kernel, spec: ConsumerSpec, valid_id: str
) -> None:
    first = stack.runner(kernel, spec)
    first._consumer.commit = lambda _offsets: None  # type: ignore[method-assign]  # the crash
    _run_until_caught_up(
        first,
        lambda: _applied(kernel, spec.name, valid_id) and outcomes(kernel, spec.name)["dead_letters"] == 6,
    )
    first.close()
    second = stack.runner(kernel, spec)
    try:
        _run_until_caught_up(second, lambda: second._consumer.lag().behind == 0)
    finally:
        second.close()


class _NotUtf8(str):
    """A header name that reaches the wire as bytes that are not UTF-8 (kafka-python's
    producer encodes header names with ``str.encode``; other clients send any bytes)."""

    def encode(self, *_args: object, **_kwargs: object) -> bytes:  # type: ignore[override]
        return b"\xff\xfe"


@pytest.mark.postgres
@pytest.mark.kafka
@pytest.mark.parametrize("stack", ["postgres+kafka"], indirect=True)
def test_a_record_the_kafka_client_cannot_parse_is_dead_lettered_and_skipped(stack: Stack) -> None:
    """kafka-python fails inside ``poll`` on a header name that is not UTF-8, then hangs on it:
    the adapter skips the record and hands its place over to be dead-lettered."""
    stack.produce(registration.TOPIC, b"person-9", person_registered().to_bytes(), [(_NotUtf8("h"), b"v")])
    valid = person_registered()
    stack.produce(registration.TOPIC, b"person-9", valid.to_bytes(), ())  # same key: same partition

    for kernel, spec in stack.consumers(registration.TOPIC):
        runner = stack.runner(kernel, spec)
        try:
            _run_until_caught_up(runner, lambda: _applied(kernel, spec.name, valid.event_id))  # noqa: B023
        finally:
            runner.close()
        with kernel.db.transaction() as connection:
            rows = connection.execute(select(dead_letters).where(dead_letters.c.consumer == spec.name)).all()
        assert [(r.offset, r.value, r.error) for r in rows] == [
            (
                0,
                None,
                "unreadable event: the Kafka client could not parse the record (a header key is not UTF-8)",
            )
        ]
