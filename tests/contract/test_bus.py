"""The bus contract (see gsi_kernel.bus.port), held against every implementation.

Each test uses its own topic and groups (uuid names), so they may share one Kafka broker.
Kafka needs a few seconds to join a group, hence the loops polling up to a deadline.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import (
    Bus,
    Consumer,
    Message,
    Record,
    TopicPartition,
    TopicSpec,
)

DEADLINE_S = 20.0


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bus]:
    if request.param == "embedded":
        bus: Bus = EmbeddedBus(tmp_path / "bus.sqlite")
    else:
        bus = KafkaBus(bootstrap_servers=request.getfixturevalue("kafka_bootstrap"))
    yield bus
    bus.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def topic(bus: Bus) -> str:
    name = unique("contract")
    bus.ensure_topics([TopicSpec(name, partitions=3)])
    return name


def publish(bus: Bus, messages: list[Message]) -> None:
    producer = bus.producer()
    try:
        producer.publish(messages)
    finally:
        producer.close()


def drain(consumer: Consumer, count: int) -> list[Record]:
    """Poll until ``count`` records have come, or fail at the deadline."""
    records: list[Record] = []
    deadline = time.monotonic() + DEADLINE_S
    while len(records) < count and time.monotonic() < deadline:
        records += consumer.poll(timeout_s=0.5)
    assert len(records) >= count, f"got {len(records)} of {count} records in {DEADLINE_S}s"
    return records


def read_all(bus: Bus, topic: str, count: int, group: str | None = None) -> list[Record]:
    consumer = bus.consumer(group or unique("group"), [topic])
    try:
        return drain(consumer, count)
    finally:
        consumer.close()


def next_offsets(records: list[Record]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        offsets[r.topic_partition] = max(offsets.get(r.topic_partition, 0), r.offset + 1)
    return offsets


def values_by_key(records: list[Record]) -> dict[str, list[bytes]]:
    by_key: dict[str, list[bytes]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key[r.key].append(r.value)
    return dict(by_key)


def test_order_per_key_is_kept_within_and_across_batches(bus: Bus, topic: str) -> None:
    keys = ["a", "b", "c", "d"]
    for batch in range(2):
        publish(bus, [Message(topic, k, f"{batch * 10 + n}".encode()) for n in range(10) for k in keys])

    records = read_all(bus, topic, 80)
    assert len(records) == 80
    expected = [f"{n}".encode() for n in range(20)]
    assert values_by_key(records) == dict.fromkeys(keys, expected)
    for key in keys:  # one key, one partition
        assert len({r.partition for r in records if r.key == key}) == 1


def test_keys_spread_over_partitions(bus: Bus, topic: str) -> None:
    publish(bus, [Message(topic, f"key-{n}", b"x") for n in range(50)])
    records = read_all(bus, topic, 50)
    assert {r.partition for r in records} == {0, 1, 2}


def test_offsets_resume_after_a_consumer_restart(bus: Bus, topic: str) -> None:
    publish(bus, [Message(topic, "one-key", f"{n}".encode()) for n in range(10)])
    group = unique("group")

    first = bus.consumer(group, [topic])
    records = drain(first, 10)
    first.commit(next_offsets(records[:6]))
    first.close()

    second = bus.consumer(group, [topic])
    rest = drain(second, 4)
    assert [r.value for r in rest] == [b"6", b"7", b"8", b"9"]
    assert [r.offset for r in rest] == [r.offset for r in records[6:]]
    assert second.poll(timeout_s=1.0) == []
    second.commit(next_offsets(rest))
    second.close()

    publish(bus, [Message(topic, "one-key", b"10")])
    assert [r.value for r in read_all(bus, topic, 1, group)] == [b"10"]


def test_uncommitted_records_are_delivered_again(bus: Bus, topic: str) -> None:
    publish(bus, [Message(topic, f"k{n}", f"{n}".encode()) for n in range(5)])
    group = unique("group")

    crashed = bus.consumer(group, [topic])
    seen = drain(crashed, 5)
    crashed.close()  # stops before committing

    again = read_all(bus, topic, 5, group)
    assert sorted((r.partition, r.offset, r.value) for r in again) == sorted(
        (r.partition, r.offset, r.value) for r in seen
    )


def test_a_new_group_reads_from_the_beginning(bus: Bus, topic: str) -> None:
    publish(bus, [Message(topic, f"k{n}", f"{n}".encode()) for n in range(5)])
    old = bus.consumer(unique("group"), [topic])
    old.commit(next_offsets(drain(old, 5)))
    old.close()

    records = read_all(bus, topic, 5)
    assert sorted(r.value for r in records) == [f"{n}".encode() for n in range(5)]


def test_keys_values_and_headers_round_trip(bus: Bus, topic: str) -> None:
    headers = (("trace", b"\x00\x01\xff"), ("type", b"first"), ("type", b"second"), ("e", b""))
    sent = Message(topic, "clé/ünïcode 🔑", bytes(range(256)), headers)
    publish(bus, [sent, Message(topic, "plain", b"")])

    records = {r.key: r for r in read_all(bus, topic, 2)}
    got = records[sent.key]
    assert (got.topic, got.value, got.headers) == (topic, sent.value, headers)
    assert got.header("type") == b"first"
    assert got.header("missing") is None
    assert got.timestamp_ms > 0
    assert (records["plain"].value, records["plain"].headers) == (b"", ())


def test_ensure_topics_is_idempotent(bus: Bus, topic: str) -> None:
    other = unique("contract")
    bus.ensure_topics([TopicSpec(topic, partitions=3)])
    bus.ensure_topics([TopicSpec(topic, partitions=3), TopicSpec(other, partitions=1)])

    publish(bus, [Message(topic, f"k{n}", b"x") for n in range(30)] + [Message(other, "k", b"y")])
    assert {r.partition for r in read_all(bus, topic, 30)} == {0, 1, 2}
    assert [(r.partition, r.value) for r in read_all(bus, other, 1)] == [(0, b"y")]


@pytest.mark.kafka
def test_a_namespaced_kafka_bus_keeps_its_own_topics_and_offsets(kafka_bootstrap: str) -> None:
    namespace = f"{unique('ns')}."
    spaced = KafkaBus(bootstrap_servers=kafka_bootstrap, namespace=namespace)
    plain = KafkaBus(bootstrap_servers=kafka_bootstrap)
    name = unique("contract")
    spaced.ensure_topics([TopicSpec(name, partitions=1)])
    publish(spaced, [Message(name, "k", b"mine")])
    [record] = read_all(spaced, name, 1)
    assert record.topic == name  # the namespace never shows to the code above the bus
    assert record.value == b"mine"
    plain.ensure_topics([TopicSpec(name, partitions=1)])
    consumer = plain.consumer(unique("group"), [name])
    try:
        seen = [r for _ in range(6) for r in consumer.poll(timeout_s=0.5)]
        assert seen == []  # the un-namespaced topic of that name is another log
    finally:
        consumer.close()
