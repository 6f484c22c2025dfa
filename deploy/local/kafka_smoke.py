"""Smoke test of the local Kafka broker with the project's client, kafka-python.

    deploy/local/kafka.sh start && uv run python deploy/local/kafka_smoke.py

Uses the same kwargs as ``gsi_kernel.bus.kafka``: (a) a topic with 3 partitions created by
KafkaAdminClient, (b) an idempotent ``acks='all'`` producer whose futures are all awaited,
(c) a group consumer without auto-commit that commits, closes, reopens and resumes after the
committed offsets. Topics are named per run and deleted at the end. Exit 0 when all held.
"""

from __future__ import annotations

import os
import sys
import time
import uuid

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
RUN = uuid.uuid4().hex[:8]
TOPIC = f"gsi-smoke-{RUN}"
GROUP = f"gsi-smoke-group-{RUN}"
N = 30


def consumer() -> KafkaConsumer:
    return KafkaConsumer(
        TOPIC,
        bootstrap_servers=BOOTSTRAP,
        client_id="gsi-smoke",
        group_id=GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


def drain(c: KafkaConsumer, want: int, deadline_s: float = 30.0) -> list:
    got: list = []
    end = time.monotonic() + deadline_s
    while len(got) < want and time.monotonic() < end:
        for batch in c.poll(timeout_ms=500, max_records=500).values():
            got.extend(batch)
    return got


def main() -> int:
    t0 = time.monotonic()
    print(f"kafka-python {kafka.__version__}, bootstrap {BOOTSTRAP}")

    # (a) topic with 3 partitions, the dict form gsi_kernel uses (NewTopic is deprecated)
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="gsi-smoke")
    print("broker version seen by the client:", admin._manager.broker_version)
    admin.create_topics(
        {TOPIC: {"num_partitions": 3, "replication_factor": -1, "configs": {"cleanup.policy": "delete"}}},
        wait_for_metadata=True,
    )
    described = admin.describe_topics([TOPIC])
    parts = described[0]["partitions"]
    assert len(parts) == 3, described
    print(f"(a) created {TOPIC} with {len(parts)} partitions")

    # (b) idempotent producer, acks=all, wait on every future
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP,
        client_id="gsi-smoke",
        acks="all",
        enable_idempotence=True,
        max_in_flight_requests_per_connection=5,
        linger_ms=5,
    )
    futures = [
        producer.send(TOPIC, key=f"k{i % 7}".encode(), value=f"v{i}".encode(), headers=[("h", b"1")])
        for i in range(N)
    ]
    producer.flush(timeout=30)
    metas = [f.get(timeout=30) for f in futures]
    producer.close(timeout=30)
    used = sorted({m.partition for m in metas})
    print(f"(b) {N} records acknowledged, partitions used {used}")

    # (c) group consumer, manual commit of the first half, close, reopen, resume after it
    c1 = consumer()
    first = drain(c1, N)
    assert len(first) == N, f"first consumer got {len(first)} of {N}"
    half = {}
    per_partition: dict[int, list] = {}
    for r in first:
        per_partition.setdefault(r.partition, []).append(r)
    for p, recs in per_partition.items():
        recs.sort(key=lambda r: r.offset)
        keep = recs[: len(recs) // 2]
        if keep:
            half[TopicPartition(TOPIC, p)] = OffsetAndMetadata(keep[-1].offset + 1, "", -1)
    c1.commit(half)
    committed = {tp.partition: c1.committed(tp) for tp in half}
    c1.close(autocommit=False)
    print(f"(c) committed {committed}")

    expected = {(r.partition, r.offset) for r in first if r.offset >= committed.get(r.partition, 0)}
    c2 = consumer()
    second = drain(c2, len(expected))
    c2.close(autocommit=False)
    seen = {(r.partition, r.offset) for r in second}
    assert seen == expected, f"reopened consumer saw {sorted(seen)}, expected {sorted(expected)}"
    print(f"(c) reopened consumer resumed after the committed offsets: {len(seen)} records")

    admin.delete_topics([TOPIC])
    admin.close()
    print(f"OK in {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
