"""The bus on Apache Kafka, through kafka-python.

The producer is idempotent with ``acks=all`` and at most five requests in flight, which is what
keeps the order of a partition while retrying; ``publish`` waits on every future, so a batch is
acknowledged whole or raises. Consumers never auto-commit: the consumer runner commits only
after the effect of a record is durable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KafkaTopicPartition
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from gsi_kernel.bus.port import Message, PublishError, Record, TopicPartition, TopicSpec

_ACK_TIMEOUT_S = 30.0


class KafkaProducerAdapter:
    def __init__(self, bootstrap_servers: str, client_id: str, namespace: str = "", **overrides: Any) -> None:
        self._namespace = namespace
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            max_in_flight_requests_per_connection=5,
            linger_ms=5,
            **overrides,
        )

    def publish(self, messages: Sequence[Message]) -> None:
        """Send the batch, in order, and wait until the brokers acknowledged every message."""
        try:
            futures = [
                self._producer.send(
                    self._namespace + m.topic, value=m.value, key=m.key.encode(), headers=list(m.headers)
                )
                for m in messages
            ]
            self._producer.flush(timeout=_ACK_TIMEOUT_S)
            for future in futures:
                future.get(timeout=_ACK_TIMEOUT_S)
        except KafkaError as exc:
            raise PublishError(f"Kafka did not acknowledge the batch: {exc!r}") from exc

    def close(self) -> None:
        self._producer.close(timeout=_ACK_TIMEOUT_S)


class KafkaConsumerAdapter:
    def __init__(
        self, bootstrap_servers: str, group: str, topics: Sequence[str], namespace: str = "", **overrides: Any
    ) -> None:
        self._namespace = namespace
        self._consumer = KafkaConsumer(
            *(namespace + t for t in topics),
            bootstrap_servers=bootstrap_servers,
            group_id=namespace + group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A member that joins while its topics' metadata is not yet known to it is assigned
            # no partition; it rejoins once its metadata refreshes — within seconds, not the
            # client's default five minutes.
            metadata_max_age_ms=5_000,
            **overrides,
        )
        self._consumer.topics()  # fetch the cluster's metadata before the first join

    def poll(self, timeout_s: float = 1.0, max_records: int = 500) -> list[Record]:
        batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        return [
            Record(
                topic=r.topic.removeprefix(self._namespace),
                partition=r.partition,
                offset=r.offset,
                key=(r.key or b"").decode(),
                value=r.value,
                headers=tuple((k, v) for k, v in (r.headers or [])),
                timestamp_ms=r.timestamp,
            )
            for batch in batches.values()
            for r in batch
        ]

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        self._consumer.commit(
            {
                KafkaTopicPartition(self._namespace + tp.topic, tp.partition): OffsetAndMetadata(
                    offset, "", -1
                )
                for tp, offset in offsets.items()
            }
        )

    def close(self) -> None:
        self._consumer.close(autocommit=False)


class KafkaBus:
    """Factory of producers and consumers for one Kafka cluster."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "gsi",
        options: Mapping[str, Any] | None = None,
        namespace: str = "",
    ) -> None:
        """``namespace``: a prefix of every topic and consumer group name, so a test run or a
        benchmark on a shared broker has logs and offsets of its own (empty in production)."""
        self._servers = bootstrap_servers
        self._client_id = client_id
        self._options = dict(options or {})  # security protocol, SASL, TLS: shared by every client
        self._namespace = namespace

    def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self._servers, client_id=self._client_id, **self._options)
        try:
            existing = set(admin.list_topics())
            missing = {
                self._namespace + t.name: {
                    "num_partitions": t.partitions,
                    "replication_factor": -1,
                    "configs": dict(t.config),
                }
                for t in topics
                if self._namespace + t.name not in existing
            }
            if missing:
                # another process may create one between the listing and here
                with suppress(TopicAlreadyExistsError):
                    admin.create_topics(missing, wait_for_metadata=True)
        finally:
            admin.close()

    def producer(self) -> KafkaProducerAdapter:
        return KafkaProducerAdapter(self._servers, self._client_id, self._namespace, **self._options)

    def consumer(self, group: str, topics: Sequence[str]) -> KafkaConsumerAdapter:
        return KafkaConsumerAdapter(
            self._servers, group, topics, self._namespace, client_id=self._client_id, **self._options
        )

    def close(self) -> None:
        """Nothing is held between calls."""
