"""The embedded durable log: Kafka's semantics in one SQLite file, for the zero-install mode.

Several processes (the four services) open the same file at once; SQLite serialises writers
and WAL lets readers run beside them. Choices, and why:

- Durability: WAL journal, ``synchronous=FULL`` (every commit fsyncs the WAL, so an
  acknowledged publish survives a crash or power loss), a busy timeout so writers queue rather
  than fail, and ``BEGIN IMMEDIATE`` for every write so a transaction takes the write lock up
  front (a read that upgrades to a write could fail at once with SQLITE_BUSY). The file must
  sit on a local filesystem: WAL needs shared memory, which network filesystems lack.
- Partitioner: Kafka's own (murmur2 of the UTF-8 key, made positive, modulo the partition
  count), so a key lands in the same partition here as with a Kafka client's default one.
- Log: one table; offsets per partition start at 0 and are dense (the next offset is the
  partition's maximum + 1, read under the write lock). A batch is one transaction: all or
  nothing, in order. Topics are never created implicitly; there is no retention.
- Groups split partitions among live members, like Kafka. A member holds a lease (renewed by
  ``poll``/``commit`` every ``heartbeat_interval_s``; it lapses after ``session_timeout_s``
  without one, like ``max.poll.interval.ms``). Each topic's partitions are dealt round-robin
  to its subscribers sorted by member id. A member reads a partition only once it holds the
  partition's *claim*: it releases claims it is no longer dealt and takes the free ones it is,
  so two live members never read one partition at once. A lapsed member loses its claims to
  the next heartbeat of another member; its later commits are dropped (and logged), so the new
  owner re-reads from the last accepted commit: at-least-once, never a lost record.
- Each consumer keeps its own read position per claimed partition, starting at the group's
  committed offset when it takes the claim; ``poll`` advances it, ``commit`` stores offsets.
- Like Kafka, a record may carry any bytes: a key given as bytes is stored as a BLOB (text keys
  as TEXT), a value may be NULL (a tombstone). Logs made before NULL values were allowed get
  their ``records`` table rebuilt once, on opening (:func:`_allow_null_values`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path

from gsi_kernel.bus.embedded_storage import (
    SCHEMA as _SCHEMA,
)
from gsi_kernel.bus.embedded_storage import allow_null_values as _allow_null_values
from gsi_kernel.bus.embedded_storage import connect as _connect
from gsi_kernel.bus.embedded_storage import now_ms as _now_ms
from gsi_kernel.bus.embedded_storage import partition_count as _partition_count
from gsi_kernel.bus.embedded_storage import scalar as _scalar
from gsi_kernel.bus.embedded_storage import write as _write
from gsi_kernel.bus.partitioner import partition_for
from gsi_kernel.bus.port import (
    BusError,
    GroupLag,
    Headers,
    Message,
    PublishError,
    Record,
    TopicPartition,
    TopicSpec,
)

_log = logging.getLogger(__name__)

_POLL_INTERVAL_S = 0.025  # wait between reads of an empty log: prompt, yet no busy spin


class EmbeddedBus:
    """A :class:`~gsi_kernel.bus.port.Bus` over one SQLite file shared by several processes."""

    messaging_system = "gsi_embedded_log"  # its spans' messaging.system (gsi_kernel.message_spans)

    def __init__(
        self,
        path: str | Path,
        *,
        default_partitions: int = 3,
        session_timeout_s: float = 30.0,
        heartbeat_interval_s: float = 1.0,
        busy_timeout_s: float = 60.0,
    ) -> None:
        self._path = Path(path)
        self._default_partitions = default_partitions
        self._session_timeout_s = session_timeout_s
        self._heartbeat_interval_s = heartbeat_interval_s
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._path.parent.mkdir(parents=True, exist_ok=True)  # zero-install: nothing set up before
        self._conn = _connect(self._path, busy_timeout_s)
        with self._lock, _write(self._conn):
            for ddl in _SCHEMA:
                self._conn.execute(ddl)
            _allow_null_values(self._conn)

    def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        # An existing topic keeps its partition count: changing it would move keys.
        with self._lock, _write(self._conn):
            for spec in topics:
                self._conn.execute(
                    "INSERT OR IGNORE INTO topics VALUES (?, ?, ?)",
                    (
                        spec.name,
                        spec.partitions if spec.partitions > 0 else self._default_partitions,
                        json.dumps(dict(spec.config)),
                    ),
                )

    def producer(self) -> EmbeddedProducer:
        return EmbeddedProducer(_connect(self._path, self._busy_timeout_s))

    def consumer(self, group: str, topics: Sequence[str]) -> EmbeddedConsumer:
        conn = _connect(self._path, self._busy_timeout_s)
        return EmbeddedConsumer(conn, group, topics, self._session_timeout_s, self._heartbeat_interval_s)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class EmbeddedProducer:
    messaging_system = "gsi_embedded_log"  # its spans' messaging.system

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._partitions: dict[str, int] = {}  # partition counts never change once created

    def publish(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        with self._lock, _write(self._conn, PublishError):
            next_offsets: dict[TopicPartition, int] = {}
            now = _now_ms()
            for msg in messages:
                tp = TopicPartition(msg.topic, partition_for(msg.key, self._count(msg.topic)))
                if tp not in next_offsets:
                    next_offsets[tp] = self._end_offset(tp)
                self._conn.execute(
                    "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        tp.topic,
                        tp.partition,
                        next_offsets[tp],
                        msg.key,
                        msg.value,
                        json.dumps([[k, v.hex()] for k, v in msg.headers]),
                        now,
                    ),
                )
                next_offsets[tp] += 1

    def _count(self, topic: str) -> int:
        if topic not in self._partitions:
            count = _partition_count(self._conn, topic)
            if count is None:  # no auto-create, as with our Kafka brokers
                raise PublishError(f"unknown topic {topic!r}")
            self._partitions[topic] = count
        return self._partitions[topic]

    def _end_offset(self, tp: TopicPartition) -> int:
        sql = "SELECT MAX(log_offset) + 1 FROM records WHERE topic = ? AND partition_id = ?"
        return int(_scalar(self._conn, sql, tp.topic, tp.partition) or 0)

    def close(self) -> None:
        with self._lock:
            self._conn.close()  # publish is synchronous: nothing is left to flush


class EmbeddedConsumer:
    def __init__(
        self,
        conn: sqlite3.Connection,
        group: str,
        topics: Sequence[str],
        session_timeout_s: float,
        heartbeat_interval_s: float,
    ) -> None:
        self._conn = conn
        self._group = group
        self._topics = sorted(set(topics))
        self._member = uuid.uuid4().hex
        self._session_ms = int(session_timeout_s * 1000)
        self._heartbeat_interval_s = heartbeat_interval_s
        self._lock = threading.Lock()
        self._positions: dict[TopicPartition, int] = {}  # one per claimed partition
        self._next_heartbeat = 0.0
        self._turn = 0  # rotates the partition read first, so a busy one starves no other
        with self._lock:
            self._heartbeat()  # join now, so the group rebalances before the first poll

    def poll(self, timeout_s: float = 1.0, max_records: int = 500) -> list[Record]:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                if time.monotonic() >= self._next_heartbeat:
                    self._heartbeat()
                records = self._fetch(max_records)
                remaining = deadline - time.monotonic()
                if records or remaining <= 0:
                    return records
                time.sleep(min(_POLL_INTERVAL_S, remaining))

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        with self._lock, _write(self._conn):
            self._conn.execute(
                "UPDATE members SET expires_ms = ? WHERE grp = ? AND member = ?",
                (_now_ms() + self._session_ms, self._group, self._member),
            )
            for tp, offset in offsets.items():
                if self._owner(tp) != self._member:  # lost in a rebalance: the owner re-reads
                    _log.warning("commit of %s dropped: %s no longer owns it", tp, self._member)
                    continue
                self._conn.execute(
                    "INSERT INTO group_offsets VALUES (?, ?, ?, ?) ON CONFLICT"
                    " (grp, topic, partition_id) DO UPDATE SET next_offset = excluded.next_offset",
                    (self._group, tp.topic, tp.partition, offset),
                )

    def assignment(self) -> frozenset[TopicPartition]:
        return frozenset(self._positions)

    def lag(self) -> GroupLag:
        marks = ",".join("?" * len(self._topics))
        with self._lock:
            end = _scalar(
                self._conn,
                "SELECT SUM(n) FROM (SELECT MAX(log_offset) + 1 AS n FROM records"
                f" WHERE topic IN ({marks}) GROUP BY topic, partition_id)",
                *self._topics,
            )
            committed = _scalar(
                self._conn,
                f"SELECT SUM(next_offset) FROM group_offsets WHERE grp = ? AND topic IN ({marks})",
                self._group,
                *self._topics,
            )
        return GroupLag(committed=int(committed or 0), end=int(end or 0))

    def partition_lag(self) -> dict[tuple[str, int], int]:
        sql = "SELECT MAX(log_offset) + 1 FROM records WHERE topic = ? AND partition_id = ?"
        with self._lock:
            ends = {tp: int(_scalar(self._conn, sql, tp.topic, tp.partition) or 0) for tp in self._positions}
            return {(tp.topic, tp.partition): max(ends[tp] - at, 0) for tp, at in self._positions.items()}

    def close(self) -> None:
        with self._lock:
            with suppress(BusError), _write(self._conn):  # else the lease lapses on its own
                for table in ("claims", "members"):
                    self._conn.execute(
                        f"DELETE FROM {table} WHERE grp = ? AND member = ?",
                        (self._group, self._member),
                    )
            self._conn.close()

    def _heartbeat(self) -> None:
        """Renew the lease, drop lapsed members, then release and take claims as dealt."""
        with _write(self._conn):
            self._conn.execute(
                "DELETE FROM members WHERE grp = ? AND expires_ms < ? AND member != ?",
                (self._group, _now_ms(), self._member),
            )
            # Claims of members gone (lapsed, left, or this one if it lapsed) become free.
            self._conn.execute(
                "DELETE FROM claims WHERE grp = ? AND member NOT IN"
                " (SELECT member FROM members WHERE grp = ?)",
                (self._group, self._group),
            )
            for topic in self._topics:
                self._conn.execute(
                    "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)",
                    (self._group, topic, self._member, _now_ms() + self._session_ms),
                )
            held: set[TopicPartition] = set()
            taken: set[TopicPartition] = set()
            for topic in self._topics:
                held |= self._rebalance(topic, taken)
            # A partition just taken (or somehow without a position) reads from the commit.
            starts = {tp: self._committed(tp) for tp in held if tp in taken or tp not in self._positions}
        # Positions change only once the claims are committed.
        self._positions = {tp: starts.get(tp, self._positions.get(tp, 0)) for tp in held}
        self._next_heartbeat = time.monotonic() + self._heartbeat_interval_s

    def _rebalance(self, topic: str, taken: set[TopicPartition]) -> set[TopicPartition]:
        """Settle this member's claims on ``topic``: return the partitions it now holds, and
        add those it has just taken to ``taken``."""
        members = [
            row[0]
            for row in self._conn.execute(
                "SELECT member FROM members WHERE grp = ? AND topic = ? ORDER BY member",
                (self._group, topic),
            )
        ]
        me = members.index(self._member)
        dealt = set(range(me, _partition_count(self._conn, topic) or 0, len(members)))
        held: set[TopicPartition] = set()
        for partition, owner in self._conn.execute(
            "SELECT partition_id, member FROM claims WHERE grp = ? AND topic = ?",
            (self._group, topic),
        ).fetchall():
            tp = TopicPartition(topic, partition)
            if owner == self._member and partition not in dealt:
                self._conn.execute(
                    "DELETE FROM claims WHERE grp = ? AND topic = ? AND partition_id = ?",
                    (self._group, topic, partition),
                )
            elif owner == self._member:
                held.add(tp)
            dealt.discard(partition)  # held by someone: not free to take now
        for partition in dealt:
            tp = TopicPartition(topic, partition)
            self._conn.execute(
                "INSERT INTO claims VALUES (?, ?, ?, ?)",
                (self._group, topic, partition, self._member),
            )
            taken.add(tp)
            held.add(tp)
        return held

    def _owner(self, tp: TopicPartition) -> str | None:
        sql = "SELECT member FROM claims WHERE grp = ? AND topic = ? AND partition_id = ?"
        owner: str | None = _scalar(self._conn, sql, self._group, tp.topic, tp.partition)
        return owner

    def _committed(self, tp: TopicPartition) -> int:
        sql = "SELECT next_offset FROM group_offsets WHERE grp = ? AND topic = ? AND partition_id = ?"
        return int(_scalar(self._conn, sql, self._group, tp.topic, tp.partition) or 0)

    def _fetch(self, max_records: int) -> list[Record]:
        order = sorted(self._positions)
        self._turn += 1
        if order:
            shift = self._turn % len(order)
            order = order[shift:] + order[:shift]
        records: list[Record] = []
        try:
            for tp in order:
                if len(records) >= max_records:
                    break
                batch = self._read(tp, max_records - len(records))
                if batch:
                    self._positions[tp] = batch[-1].offset + 1
                    records.extend(batch)
        except sqlite3.Error as exc:
            raise BusError(f"embedded log: {exc}") from exc
        return records

    def _read(self, tp: TopicPartition, limit: int) -> list[Record]:
        rows = self._conn.execute(
            "SELECT log_offset, key, value, headers, timestamp_ms FROM records"
            " WHERE topic = ? AND partition_id = ? AND log_offset >= ?"
            " ORDER BY log_offset LIMIT ?",
            (tp.topic, tp.partition, self._positions[tp], limit),
        ).fetchall()
        return [_record(tp, offset, key, value, raw, ts) for offset, key, value, raw, ts in rows]


def _record(
    tp: TopicPartition, offset: int, key: str | bytes, value: bytes | None, raw: str, ts: int
) -> Record:
    if isinstance(key, bytes):  # published as bytes: read back as Kafka would give them
        return Record(
            tp.topic, tp.partition, offset, key.decode("utf-8", "replace"), value, _headers(raw), ts, key
        )
    return Record(tp.topic, tp.partition, offset, key, value, _headers(raw), ts)


def _headers(raw: str) -> Headers:
    return tuple((name, bytes.fromhex(value)) for name, value in json.loads(raw))
