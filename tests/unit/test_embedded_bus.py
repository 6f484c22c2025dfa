"""Behaviour of the embedded log beyond the bus contract: the file, processes, group leases."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from gsi_kernel.bus.embedded import EmbeddedBus, EmbeddedConsumer
from gsi_kernel.bus.partitioner import murmur2, partition_for
from gsi_kernel.bus.port import Message, PublishError, Record, TopicPartition, TopicSpec

TOPIC = "events"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "bus.sqlite"


@pytest.fixture
def bus(path: Path) -> EmbeddedBus:
    bus = EmbeddedBus(path, session_timeout_s=5.0, heartbeat_interval_s=0.02)
    bus.ensure_topics([TopicSpec(TOPIC, partitions=3)])
    return bus


def publish(bus: EmbeddedBus, *messages: Message) -> None:
    producer = bus.producer()
    producer.publish(messages)
    producer.close()


def drain(consumer: EmbeddedConsumer, count: int, deadline_s: float = 10.0) -> list[Record]:
    records: list[Record] = []
    end = time.monotonic() + deadline_s
    while len(records) < count and time.monotonic() < end:
        records += consumer.poll(timeout_s=0.1)
    return records


def next_offsets(records: list[Record]) -> dict[TopicPartition, int]:
    return {r.topic_partition: r.offset + 1 for r in records}


def test_partitioner_is_kafkas_murmur2() -> None:
    # Values from Kafka's UtilsTest.testMurmur2 (Java ints), made positive as Kafka does.
    for key, java_hash in [("21", -973932308), ("foobar", -790332482), ("abc", 479470107)]:
        assert partition_for(key, 7) == (java_hash & 0x7FFFFFFF) % 7
    kafka_default = pytest.importorskip("kafka.partitioner.default")
    for n in range(200):
        data = f"clé-{n}".encode() * (n % 5)  # every tail length, multi-byte characters
        assert murmur2(data) == kafka_default.murmur2(data) & 0xFFFFFFFF


def test_log_and_offsets_survive_reopening_the_file(bus: EmbeddedBus, path: Path) -> None:
    publish(bus, *(Message(TOPIC, "k", str(i).encode()) for i in range(5)))
    bus.close()

    reopened = EmbeddedBus(path)
    consumer = reopened.consumer("g", [TOPIC])
    first = drain(consumer, 5)
    assert [r.value for r in first] == [b"0", b"1", b"2", b"3", b"4"]
    consumer.commit(next_offsets(first[:3]))
    consumer.close()
    reopened.close()

    again = EmbeddedBus(path)
    consumer = again.consumer("g", [TOPIC])
    assert [r.value for r in drain(consumer, 2)] == [b"3", b"4"]
    assert consumer.poll(timeout_s=0.1) == []
    consumer.close()


def test_the_file_and_its_directory_are_created(tmp_path: Path) -> None:
    EmbeddedBus(tmp_path / "new" / "dir" / "bus.db").close()
    assert (tmp_path / "new" / "dir" / "bus.db").exists()


def test_an_existing_topic_keeps_its_partition_count(bus: EmbeddedBus) -> None:
    bus.ensure_topics([TopicSpec(TOPIC, partitions=1)])
    publish(bus, *(Message(TOPIC, f"k{i}", b"x") for i in range(30)))
    consumer = bus.consumer("g", [TOPIC])
    assert {r.partition for r in drain(consumer, 30)} == {0, 1, 2}
    consumer.close()


def test_unknown_topic_rejects_the_whole_batch(bus: EmbeddedBus) -> None:
    producer = bus.producer()
    with pytest.raises(PublishError, match="nowhere"):
        producer.publish([Message(TOPIC, "k", b"kept?"), Message("nowhere", "k", b"x")])
    producer.close()
    consumer = bus.consumer("g", [TOPIC])
    assert consumer.poll(timeout_s=0.1) == []
    consumer.close()


def test_offsets_are_dense_from_zero_and_timestamps_set(bus: EmbeddedBus) -> None:
    before = time.time_ns() // 1_000_000
    publish(bus, *(Message(TOPIC, "k", b"a") for _ in range(3)))
    publish(bus, *(Message(TOPIC, "k", b"b") for _ in range(2)))
    consumer = bus.consumer("g", [TOPIC])
    records = drain(consumer, 5)
    assert [r.offset for r in records] == [0, 1, 2, 3, 4]
    assert all(before <= r.timestamp_ms <= time.time_ns() // 1_000_000 for r in records)
    consumer.close()


def test_poll_waits_for_a_record_then_returns_it_promptly(bus: EmbeddedBus) -> None:
    consumer = bus.consumer("g", [TOPIC])
    started = time.monotonic()
    assert consumer.poll(timeout_s=0.2) == []
    assert time.monotonic() - started >= 0.2
    timer = threading.Timer(0.2, publish, (bus, Message(TOPIC, "k", b"late")))
    timer.start()
    started = time.monotonic()
    records = consumer.poll(timeout_s=5.0)
    assert [r.value for r in records] == [b"late"]
    assert time.monotonic() - started < 2.0
    timer.join()
    consumer.close()


def test_max_records_is_respected(bus: EmbeddedBus) -> None:
    publish(bus, *(Message(TOPIC, f"k{i}", b"x") for i in range(20)))
    consumer = bus.consumer("g", [TOPIC])
    assert len(consumer.poll(timeout_s=1.0, max_records=7)) == 7
    consumer.close()


_PUBLISHER = """
import sys
from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.port import Message
path, name, batches = sys.argv[1], sys.argv[2], int(sys.argv[3])
bus = EmbeddedBus(path)
producer = bus.producer()
for n in range(batches):
    producer.publish([Message("events", f"{name}-{k}", f"{n}".encode()) for k in range(4)])
producer.close()
bus.close()
"""


def test_processes_publish_concurrently_without_loss_or_reordering(bus: EmbeddedBus, path: Path) -> None:
    batches = 100
    children = [
        subprocess.Popen([sys.executable, "-c", _PUBLISHER, str(path), name, str(batches)])
        for name in ("p1", "p2", "p3")
    ]
    consumer = bus.consumer("g", [TOPIC])  # reads while the others write
    records = drain(consumer, 3 * batches * 4, deadline_s=60.0)
    assert [child.wait(timeout=60) for child in children] == [0, 0, 0]
    records += consumer.poll(timeout_s=0.2)

    per_key: dict[str, list[int]] = defaultdict(list)
    per_partition: dict[int, list[int]] = defaultdict(list)
    for r in records:
        per_key[r.key].append(int(r.value))
        per_partition[r.partition].append(r.offset)
    assert len(per_key) == 12
    assert all(values == list(range(batches)) for values in per_key.values())
    assert all(offs == list(range(len(offs))) for offs in per_partition.values())
    consumer.close()


def rebalance(*consumers: EmbeddedConsumer) -> None:
    time.sleep(0.05)  # past the heartbeat interval
    for consumer in consumers:  # the first releases what later members are dealt
        consumer.poll(timeout_s=0)


def test_group_members_split_the_partitions(bus: EmbeddedBus) -> None:
    one, two = bus.consumer("g", [TOPIC]), bus.consumer("g", [TOPIC])
    rebalance(one, two)
    publish(bus, *(Message(TOPIC, f"k{i}", b"x") for i in range(30)))

    got_one, got_two = one.poll(timeout_s=1), two.poll(timeout_s=1)
    parts_one = {r.partition for r in got_one}
    parts_two = {r.partition for r in got_two}
    assert parts_one
    assert parts_two
    assert not parts_one & parts_two
    assert len(got_one) + len(got_two) == 30
    one.close()
    two.close()


def test_a_leaving_member_hands_its_uncommitted_records_over(bus: EmbeddedBus) -> None:
    one, two = bus.consumer("g", [TOPIC]), bus.consumer("g", [TOPIC])
    rebalance(one, two)
    publish(bus, *(Message(TOPIC, f"k{i}", b"x") for i in range(30)))
    got_two = two.poll(timeout_s=1)
    assert 0 < len(got_two) < 30
    two.close()  # without committing

    got_one = drain(one, 30, 5.0)
    assert len(got_one) == 30  # its own partitions and those two left behind
    assert {(r.partition, r.offset) for r in got_two} <= {(r.partition, r.offset) for r in got_one}
    one.close()


def test_a_lapsed_member_loses_its_partitions_and_its_commits(path: Path) -> None:
    bus = EmbeddedBus(path, session_timeout_s=0.5, heartbeat_interval_s=0.02)
    bus.ensure_topics([TopicSpec(TOPIC, partitions=3)])
    stale = bus.consumer("g", [TOPIC])
    publish(bus, *(Message(TOPIC, f"k{i}", b"x") for i in range(30)))
    read = drain(stale, 30)
    time.sleep(0.7)  # longer than the session: the member looks dead

    alive = bus.consumer("g", [TOPIC])  # its join evicts the lapsed member
    stale.commit(next_offsets(read))  # dropped: it owns nothing now
    assert len(drain(alive, 30)) == 30
    assert stale.poll(timeout_s=0.1) == []  # it rejoins, but alive holds every partition
    stale.close()
    alive.close()


def test_one_bus_serves_producers_on_several_threads(bus: EmbeddedBus) -> None:
    def work(name: str) -> None:
        for n in range(20):
            publish(bus, Message(TOPIC, name, str(n).encode()))

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    consumer = bus.consumer("g", [TOPIC])
    per_key: dict[str, list[int]] = defaultdict(list)
    for r in drain(consumer, 80):
        per_key[r.key].append(int(r.value))
    assert per_key == {f"t{i}": list(range(20)) for i in range(4)}
    consumer.close()
