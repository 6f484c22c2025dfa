"""Reads prefetched together in psycopg's pipeline (gsi_kernel.store._pg_prepared.prefetch,
ADR 25), against the real PostgreSQL: the rows a cursor reads, in one round trip."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from psycopg import pq
from sqlalchemy import Connection, bindparam, column, create_engine, select, table, text
from sqlalchemy.exc import DBAPIError

from gsi_kernel.store._pg_bulk import driver
from gsi_kernel.store.database import Database, connect
from gsi_kernel.store.prepared import PreparedSelect, Read, prefetch
from tests.databases import postgres_schema

items = table("items", column("item_id"), column("owner"), column("due_on"), column("amount"), column("doc"))
ITEMS_OF = PreparedSelect(
    select(items.c.item_id, items.c.owner, items.c.due_on, items.c.amount, items.c.doc)
    .where(items.c.owner == bindparam("owner"))
    .order_by(items.c.item_id)
)
ITEMS_SQL = "SELECT item_id, owner, due_on, amount, doc FROM items WHERE owner = :owner ORDER BY item_id"


@pytest.fixture
def db(postgres_url: str) -> Iterator[Database]:
    with postgres_schema(postgres_url) as schema:
        database = connect(postgres_url, schema=schema, pool_size=1)
        try:
            with database.transaction() as c:
                c.execute(
                    text(
                        "CREATE TABLE items (item_id text PRIMARY KEY, owner text NOT NULL, due_on date, "
                        "amount numeric, doc jsonb)"
                    )
                )
                c.execute(
                    text(
                        "INSERT INTO items VALUES ('a1', 'o1', '2026-12-01', 3.5, '{\"k\": [1, 2]}'), "
                        "('a2', 'o1', NULL, NULL, NULL), ('b1', 'o2', '2027-01-31', 7, '\"x\"')"
                    )
                )
            yield database
        finally:
            database.dispose()


def syncs_sent(c: Connection, reads: list[Read]) -> list[list[str]]:
    """The messages ``prefetch`` sends, from libpq's trace, cut at each Sync: one wait for the
    server per Sync."""
    pgconn = driver(c).pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            prefetch(c, reads)
        finally:
            pgconn.untrace()
        trace.seek(0)
        sent = [line.split("\t")[2].strip() for line in trace if line.startswith("F\t")]
    batches: list[list[str]] = [[]]
    for message in sent:
        if message == "Sync":
            batches.append([])
        elif message != "Flush":
            batches[-1].append(message)
    assert batches[-1] == [], "every message sent is followed by a Sync"
    return batches[:-1]


def test_prefetched_rows_are_the_ones_a_cursor_reads_with_the_same_types_and_names(db: Database) -> None:
    with db.transaction() as c:
        prefetch(c, [(ITEMS_OF, {"owner": "o1"}), (ITEMS_OF, {"owner": "o2"})])
        got = [ITEMS_OF.all(c, {"owner": o}) for o in ("o1", "o2")]
        expected = [c.execute(text(ITEMS_SQL), {"owner": o}).all() for o in ("o1", "o2")]
    assert [[tuple(r) for r in rows] for rows in got] == [[tuple(r) for r in rows] for rows in expected]
    first = got[0][0]
    assert (first.item_id, first.due_on, first.amount, first.doc) == (
        "a1",
        date(2026, 12, 1),
        Decimal("3.5"),
        {"k": [1, 2]},
    )
    assert got[0][1].due_on is None
    assert [r.item_id for r in got[1]] == ["b1"]


def test_the_reads_go_in_one_round_trip_after_the_transactions_begin(db: Database) -> None:
    """psycopg's pipeline waits for the BEGIN it sends on its own (a round trip of its own when
    the reads start the transaction); the reads, however many, then go in one."""
    reads: list[Read] = [(ITEMS_OF, {"owner": o}) for o in ("o1", "o2", "nobody")]
    for _ in range(7):  # before and after psycopg prepares the statement on the server
        with db.transaction() as c:
            begin, together = syncs_sent(c, reads)  # they start the transaction
            assert begin.count("Execute") == 1  # the BEGIN alone
            assert together.count("Execute") == 3
            [under_way] = syncs_sent(c, reads)  # in a transaction under way: one round trip
            assert under_way.count("Execute") == 3


def test_prefetch_still_reads_after_a_failed_transaction_rolled_back(db: Database) -> None:
    """psycopg forgets its server-side prepared statements after a rollback: the next reads
    prepare them again."""
    for _ in range(7):  # past psycopg's threshold: the statement is prepared on the server
        with db.transaction() as c:
            prefetch(c, [(ITEMS_OF, {"owner": "o1"})])
    with pytest.raises(DBAPIError), db.transaction() as c:
        c.execute(text("SELECT * FROM missing"))
    with db.transaction() as c:
        prefetch(c, [(ITEMS_OF, {"owner": "o1"}), (ITEMS_OF, {"owner": "o2"})])
        assert [r.item_id for r in ITEMS_OF.all(c, {"owner": "o1"})] == ["a1", "a2"]
        assert [r.item_id for r in ITEMS_OF.all(c, {"owner": "o2"})] == ["b1"]


def test_a_connection_the_server_dropped_fails_one_transaction_and_the_pool_replaces_it(
    postgres_url: str,
) -> None:
    """A server restart or failover between transactions: the read-ahead of the next one fails
    with a database error, and the transaction after it gets a fresh connection."""
    things = table("things", column("thing_id"), column("owner"))
    of_owner = PreparedSelect(select(things.c.thing_id).where(things.c.owner == bindparam("owner")))
    with postgres_schema(postgres_url) as schema:
        db = connect(postgres_url, schema=schema, pool_size=1)
        admin = create_engine(postgres_url)
        try:
            with db.transaction() as c:
                c.execute(text("CREATE TABLE things (thing_id text PRIMARY KEY, owner text)"))
                c.execute(text("INSERT INTO things VALUES ('t1', 'o1')"))
            with db.transaction() as c:
                prefetch(c, [(of_owner, {"owner": "o1"})])
                backend = c.execute(text("SELECT pg_backend_pid()")).scalar()
            with admin.begin() as a:
                a.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})

            def read() -> list[str]:
                with db.transaction() as c:
                    prefetch(c, [(of_owner, {"owner": "o1"})])
                    return [str(v) for v in of_owner.scalars(c, {"owner": "o1"})]

            with pytest.raises(DBAPIError):
                read()
            assert read() == ["t1"]
        finally:
            admin.dispose()
            db.dispose()
