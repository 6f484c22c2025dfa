"""The embedded log's SQLite file: its schema, connections and write transactions (used by
:mod:`gsi_kernel.bus.embedded`)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from gsi_kernel.bus.port import BusError

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS topics (
        name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, config TEXT NOT NULL)""",
    # A rowid table (values may be large) with a unique index: polling is an index range scan.
    """CREATE TABLE IF NOT EXISTS records (
        topic TEXT NOT NULL, partition_id INTEGER NOT NULL, log_offset INTEGER NOT NULL,
        key TEXT NOT NULL, value BLOB, headers TEXT NOT NULL,
        timestamp_ms INTEGER NOT NULL, UNIQUE (topic, partition_id, log_offset))""",
    """CREATE TABLE IF NOT EXISTS group_offsets (
        grp TEXT NOT NULL, topic TEXT NOT NULL, partition_id INTEGER NOT NULL,
        next_offset INTEGER NOT NULL, PRIMARY KEY (grp, topic, partition_id))""",
    """CREATE TABLE IF NOT EXISTS members (
        grp TEXT NOT NULL, topic TEXT NOT NULL, member TEXT NOT NULL,
        expires_ms INTEGER NOT NULL, PRIMARY KEY (grp, topic, member))""",
    """CREATE TABLE IF NOT EXISTS claims (
        grp TEXT NOT NULL, topic TEXT NOT NULL, partition_id INTEGER NOT NULL,
        member TEXT NOT NULL, PRIMARY KEY (grp, topic, partition_id))""",
)


def now_ms() -> int:
    return time.time_ns() // 1_000_000  # wall clock: leases are compared across processes


def connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves; check_same_thread=False: each
    # object guards its connection with its own lock instead.
    conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


@contextmanager
def write(conn: sqlite3.Connection, error: type[BusError] = BusError) -> Iterator[None]:
    """One write transaction; any SQLite failure becomes ``error`` after a rollback."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise error(f"embedded log: {exc}") from exc
        raise


def scalar(conn: sqlite3.Connection, sql: str, *params: object) -> Any:
    """The first column of the first row, or None when there is no row."""
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def allow_null_values(conn: sqlite3.Connection) -> None:
    """Rebuild a ``records`` table made when values were NOT NULL (SQLite cannot drop the
    constraint in place); in the caller's write transaction, so one opener does it."""
    columns = conn.execute("PRAGMA table_info(records)").fetchall()
    if not any(name == "value" and notnull for _cid, name, _type, notnull, *_ in columns):
        return
    conn.execute("ALTER TABLE records RENAME TO records_before_tombstones")
    conn.execute(SCHEMA[1])
    conn.execute("INSERT INTO records SELECT * FROM records_before_tombstones")
    conn.execute("DROP TABLE records_before_tombstones")


def partition_count(conn: sqlite3.Connection, topic: str) -> int | None:
    count = scalar(conn, "SELECT partitions FROM topics WHERE name = ?", topic)
    return None if count is None else int(count)
