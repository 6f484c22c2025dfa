"""The bus on Apache Kafka, through kafka-python.

The producer is idempotent with ``acks=all`` and at most five requests in flight, which is what
keeps the order of a partition while retrying; ``publish`` waits on every future, so a batch is
acknowledged whole or raises. Consumers never auto-commit: the consumer runner commits only
after the effect of a record is durable.

Consumers take keys and values as raw bytes (no deserializer: kafka-python runs those inside
``poll``, where one bad record would fail every poll); the key is decoded leniently here, and
what the bytes mean is the consumer runner's business (:mod:`gsi_kernel.inbound`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KafkaTopicPartition
from kafka.errors import (
    CorruptRecordError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    TopicAlreadyExistsError,
)
from kafka.structs import OffsetAndMetadata

from gsi_kernel.bus.port import (
    GroupLag,
    Message,
    PublishError,
    Record,
    RecordTooLargeError,
    TopicPartition,
    TopicSpec,
)

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
                    self._namespace + m.topic,
                    value=m.value,
                    key=m.key.encode() if isinstance(m.key, str) else m.key,
                    headers=list(m.headers),
                )
                for m in messages
            ]
            self._producer.flush(timeout=_ACK_TIMEOUT_S)
            for future in futures:
                future.get(timeout=_ACK_TIMEOUT_S)
        except (MessageSizeTooLargeError, RecordListTooLargeError) as exc:
            raise RecordTooLargeError(f"Kafka refused a message for its size: {exc!r}") from exc
        except KafkaError as exc:
            raise PublishError(f"Kafka did not acknowledge the batch: {exc!r}") from exc

    def close(self) -> None:
        self._producer.close(timeout=_ACK_TIMEOUT_S)


class KafkaConsumerAdapter:
    def __init__(
        self, bootstrap_servers: str, group: str, topics: Sequence[str], namespace: str = "", **overrides: Any
    ) -> None:
        self._namespace = namespace
        self._topics = [namespace + t for t in topics]
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
        try:
            batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        except CorruptRecordError as exc:
            return [self._skip_unparseable(exc)]
        return [
            Record(
                topic=r.topic.removeprefix(self._namespace),
                partition=r.partition,
                offset=r.offset,
                key=(r.key or b"").decode("utf-8", "replace"),
                value=r.value,
                headers=tuple((k, v or b"") for k, v in (r.headers or [])),  # a null header: empty
                timestamp_ms=r.timestamp,
                raw_key=r.key,
            )
            for batch in batches.values()
            for r in batch
        ]

    def _skip_unparseable(self, exc: CorruptRecordError) -> Record:
        """kafka-python fails on a record it cannot parse (a header key that is not UTF-8, a bad
        CRC) and, polled again, fails or hangs on it for ever. The record in hand when it
        failed is at its fetcher's next offset: seek past it and say what was there."""
        fetcher = getattr(self._consumer, "_fetcher", None)
        part = getattr(fetcher, "_next_partition_records", None)
        if fetcher is None or part is None:  # not the kafka-python this was written against
            raise exc
        tp, offset = part.topic_partition, part.next_fetch_offset
        part.drain()
        fetcher._next_partition_records = None
        self._consumer.seek(tp, offset + 1)
        cause = "a header key is not UTF-8" if "UnicodeDecodeError" in str(exc) else type(exc).__name__
        return Record(
            topic=tp.topic.removeprefix(self._namespace),
            partition=tp.partition,
            offset=offset,
            key="",
            value=None,
            unparseable=f"the Kafka client could not parse the record ({cause})",
        )

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        self._consumer.commit(
            {
                KafkaTopicPartition(self._namespace + tp.topic, tp.partition): OffsetAndMetadata(
                    offset, "", -1
                )
                for tp, offset in offsets.items()
            }
        )

    def assignment(self) -> frozenset[TopicPartition]:
        return frozenset(
            TopicPartition(tp.topic.removeprefix(self._namespace), tp.partition)
            for tp in self._consumer.assignment()
        )

    def lag(self) -> GroupLag:
        """Asks the brokers (a few requests): for the consumer runner's stall check only."""
        partitions = [
            KafkaTopicPartition(topic, p)
            for topic in self._topics
            for p in sorted(self._consumer.partitions_for_topic(topic) or ())
        ]
        ends = self._consumer.end_offsets(partitions)
        committed = [self._consumer.committed(tp) or 0 for tp in partitions]
        return GroupLag(committed=sum(committed), end=sum(ends.values()))

    def partition_lag(self) -> dict[tuple[str, int], int]:
        """The highwater mark each fetch response brings, less the position: no request."""
        behind: dict[tuple[str, int], int] = {}
        for tp in self._consumer.assignment():
            with suppress(KafkaError):  # unassigned meanwhile, or no position yet
                end = self._consumer.highwater(tp)
                position = self._consumer.position(tp, timeout_ms=0) if end is not None else None
                if end is not None and position is not None:
                    behind[tp.topic.removeprefix(self._namespace), tp.partition] = max(end - position, 0)
        return behind

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
        consumer_options: Mapping[str, Any] | None = None,
        replication_factor: int | None = None,
    ) -> None:
        """``namespace``: a prefix of every topic and consumer group name, so a test run or a
        benchmark on a shared broker has logs and offsets of its own (empty in production).
        ``consumer_options``: settings only consumers take (e.g. ``session_timeout_ms``).
        ``replication_factor``: of the topics it creates; None: the brokers' default."""
        self._replication_factor = replication_factor or -1  # -1: the brokers' default
        self._servers = bootstrap_servers
        self._client_id = client_id
        self._options = dict(options or {})  # security protocol, SASL, TLS: shared by every client
        self._consumer_options = dict(consumer_options or {})
        self._namespace = namespace

    def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self._servers, client_id=self._client_id, **self._options)
        try:
            existing = set(admin.list_topics())
            missing = {
                self._namespace + t.name: {
                    "num_partitions": t.partitions,
                    "replication_factor": self._replication_factor,
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
            self._servers,
            group,
            topics,
            self._namespace,
            client_id=self._client_id,
            **self._options,
            **self._consumer_options,
        )

    def close(self) -> None:
        """Nothing is held between calls."""
