"""Kernel schema v4 for dead letters (issue 19): a table made by an earlier version takes NULL
values and the key's bytes, keeps one row per place in the log (the copies a stuck consumer
made are dropped but the first), and the upgrade may run again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, Column, Integer, LargeBinary, MetaData, String, Table, Text, insert, select
from sqlalchemy.exc import IntegrityError

from gsi_kernel.store.database import Database
from gsi_kernel.store.ddl import upgrade_kernel_tables_v4
from gsi_kernel.store.tables import dead_letters
from gsi_kernel.store.types import AutoId, UtcDateTime

# dead_letters as kernel versions 1 to 3 made it.
_before = Table(
    "dead_letters",
    MetaData(),
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("consumer", String(120), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failed_at", UtcDateTime(), nullable=False),
)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _row(offset: int, error: str) -> dict[str, object]:
    return {"consumer": "c", "topic": "t", "partition": 0, "offset": offset, "key": "k", "value": b"v",
            "error": error, "attempts": 1, "failed_at": NOW}  # fmt: skip


def test_v4_takes_any_record_and_keeps_one_row_per_place(database: Database) -> None:
    with database.transaction() as connection:
        dead_letters.drop(connection)
        _before.create(connection)
        connection.execute(
            insert(_before), [_row(7, "first"), _row(7, "again"), _row(7, "again"), _row(8, "x")]
        )
    for _ in range(2):  # idempotent
        with database.transaction() as connection:
            upgrade_kernel_tables_v4(connection)

    with database.transaction() as connection:
        kept = connection.execute(select(dead_letters.c.offset, dead_letters.c.error).order_by("id")).all()
        connection.execute(
            insert(dead_letters).values(_row(9, "tombstone") | {"value": None, "raw_key": b"\xff"})
        )
    assert [tuple(r) for r in kept] == [(7, "first"), (8, "x")]
    with pytest.raises(IntegrityError), database.transaction() as connection:
        connection.execute(insert(dead_letters).values(_row(9, "a second copy")))
