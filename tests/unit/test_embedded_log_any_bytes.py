"""The embedded log carries what Kafka carries (issue 19): a null value and a key of any
bytes, read back as Kafka's adapter gives them — also in a log made before null values were
allowed, whose records table is rebuilt on opening, its records kept."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.port import Message, Record, TopicSpec


def _old_log(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE topics (name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, config TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE records (topic TEXT NOT NULL, partition_id INTEGER NOT NULL, log_offset INTEGER NOT NULL,"
        " key TEXT NOT NULL, value BLOB NOT NULL, headers TEXT NOT NULL, timestamp_ms INTEGER NOT NULL,"
        " UNIQUE (topic, partition_id, log_offset))"
    )
    conn.execute("INSERT INTO topics VALUES ('t', 1, '{}')")
    conn.execute("INSERT INTO records VALUES ('t', 0, 0, 'old', x'7b7d', '[]', 0)")
    conn.commit()
    conn.close()


def _read(bus: EmbeddedBus, count: int) -> list[Record]:
    consumer = bus.consumer("g", ["t"])
    records: list[Record] = []
    deadline = time.monotonic() + 10
    while len(records) < count and time.monotonic() < deadline:
        records += consumer.poll(0.2)
    consumer.close()
    return records


def test_an_old_log_takes_tombstones_and_byte_keys_and_keeps_its_records(tmp_path: Path) -> None:
    _old_log(tmp_path / "bus.db")
    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics([TopicSpec("t", 1)])
    producer = bus.producer()
    producer.publish([Message("t", b"\xff\xfe", None), Message("t", "text", b"v", (("h", b"\x00"),))])
    producer.close()
    EmbeddedBus(tmp_path / "bus.db").close()  # opened again: nothing more to rebuild

    old, tombstone, text = _read(bus, 3)
    assert (old.key, old.value, old.raw_key) == ("old", b"{}", None)
    assert (tombstone.key, tombstone.value, tombstone.key_bytes) == ("\ufffd\ufffd", None, b"\xff\xfe")
    assert (text.key, text.value, text.headers, text.key_bytes) == ("text", b"v", (("h", b"\x00"),), b"text")
    assert tombstone.offset == 1
    bus.close()
