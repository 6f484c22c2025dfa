"""The message-bus port: what the kernel needs from a log with Kafka's semantics.

Two real implementations sit behind it: :mod:`gsi_kernel.bus.kafka` (Apache Kafka through
kafka-python) and :mod:`gsi_kernel.bus.embedded` (a durable log in a SQLite file, for the
zero-install embedded mode). Both are held to one contract suite (tests/contract/test_bus.py).

Semantics both implementations keep:
- a topic has a fixed number of partitions; a message goes to the partition its key hashes to,
  so messages with one key are read in the order they were published;
- ``Producer.publish`` returns only once the log has durably acknowledged every message of the
  batch, and keeps their order; it raises :class:`PublishError` otherwise;
- a consumer belongs to a group; the group's committed offsets survive consumer restarts and
  process restarts; a consumer that stops without committing has its records delivered again;
- offsets are committed explicitly (never automatically): ``commit`` stores, per partition,
  the offset of the next record to read;
- reading never fails on a record's bytes: a key that is not UTF-8 arrives decoded leniently in
  ``Record.key`` (its exact bytes in ``Record.raw_key``), a null value (tombstone) as ``None``;
  what those bytes mean is the reader's business (:mod:`gsi_kernel.inbound`); a record the
  client cannot parse at all comes as a ``Record`` saying so (``unparseable``), its place
  skipped, so that it can be dead-lettered like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

Headers = tuple[tuple[str, bytes], ...]


class BusError(Exception):
    """Base of the errors a bus raises."""


class PublishError(BusError):
    """The log did not acknowledge a message: nothing may be assumed about the batch."""


class RecordTooLargeError(PublishError):
    """The log refuses a message for its size: sending it again will not help."""


@dataclass(frozen=True, slots=True)
class Message:
    """A message to publish."""

    topic: str
    key: str | bytes  # bytes: passed on as they are (a dead letter keeps the original's)
    value: bytes | None  # None: a tombstone (only a dead letter of one carries it on)
    headers: Headers = ()


@dataclass(frozen=True, slots=True, order=True)
class TopicPartition:
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class Record:
    """A message as read back from the log, with its place in it."""

    topic: str
    partition: int
    offset: int
    key: str  # the key's bytes decoded leniently (U+FFFD for what is not UTF-8): never fails
    value: bytes | None  # None: a null value (a tombstone)
    headers: Headers = ()
    timestamp_ms: int = 0
    raw_key: bytes | None = None  # the key's bytes exactly as the log holds them, when known
    # Set when the client could not parse the record at this place (its bytes are then not
    # known: key, value and headers are empty): why, in the code's words.
    unparseable: str | None = None

    @property
    def key_bytes(self) -> bytes:
        """The key as the log holds it (a null key as no bytes)."""
        return self.raw_key if self.raw_key is not None else self.key.encode()

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)

    def header(self, name: str) -> bytes | None:
        """The first header of that name, or None."""
        return next((v for k, v in self.headers if k == name), None)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int = 3
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupLag:
    """Sums over every partition of a group's topics: its committed offsets and the log ends."""

    committed: int
    end: int

    @property
    def behind(self) -> int:
        return max(self.end - self.committed, 0)


class Producer(Protocol):
    def publish(self, messages: Sequence[Message]) -> None:
        """Publish in order; return once every message is acknowledged, else raise PublishError."""

    def close(self) -> None:
        """Flush and release the connection."""


class Consumer(Protocol):
    def poll(self, timeout_s: float = 1.0, max_records: int = 500) -> list[Record]:
        """Return the next records of the assigned partitions (possibly none), in log order."""

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Store, per partition, the offset of the next record the group should read."""

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions the group gives this consumer now (none while it is out of it)."""

    def lag(self) -> GroupLag:
        """How far the whole group (every member) is behind the ends of its topics."""

    def partition_lag(self) -> dict[tuple[str, int], int]:
        """Per partition assigned to this consumer, (topic, partition): records between its
        position and the partition's end, as far as the client knows without a request where
        it can (a metric, read every few seconds)."""

    def close(self) -> None:
        """Leave the group without committing anything more."""


class Bus(Protocol):
    def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        """Create the topics that do not exist yet (idempotent)."""

    def producer(self) -> Producer:
        """A new producer (acks from all in-sync replicas, idempotent where the log supports it)."""

    def consumer(self, group: str, topics: Sequence[str]) -> Consumer:
        """A new consumer of ``topics`` in ``group``, starting at the group's committed offsets
        (at the beginning of the log for a new group)."""

    def close(self) -> None:
        """Release what the bus holds."""
