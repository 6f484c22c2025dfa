"""Reads sent ahead in one write (gsi_kernel.store._pg_pipeline), against the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import pq
from psycopg.rows import namedtuple_row

from gsi_kernel.store import _pg_pipeline as pipeline
from gsi_kernel.store._pg_pipeline import read_ahead
from tests.databases import postgres_schema

ITEMS = "SELECT item_id, owner, due_on, amount, doc FROM items WHERE owner = %(owner)s ORDER BY item_id"
COUNT = "SELECT count(*) AS n FROM items WHERE owner = %(owner)s AND item_id LIKE 'a%%'"
LEVEL = "SELECT current_setting('transaction_isolation') AS level, %(x)s::int + %(x)s::int AS twice"


@pytest.fixture
def conn(postgres_url: str) -> Iterator[psycopg.Connection[Any]]:
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with (
        postgres_schema(postgres_url) as schema,
        psycopg.connect(url, options=f"-c search_path={schema}") as c,
    ):
        c.execute(
            "CREATE TABLE items (item_id text PRIMARY KEY, owner text NOT NULL, due_on date, "
            "amount numeric, doc jsonb)"
        )
        c.execute(
            "INSERT INTO items VALUES ('a1', 'o1', '2026-12-01', 3.5, '{\"k\": [1, 2]}'), "
            "('a2', 'o1', NULL, NULL, NULL), ('b1', 'o2', '2027-01-31', 7, '\"x\"')"
        )
        c.commit()
        yield c


def by_cursor(c: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> list[Any]:
    with c.cursor(row_factory=namedtuple_row) as cursor:
        return cursor.execute(sql, params).fetchall()


def our_statements(c: psycopg.Connection[Any]) -> set[str]:
    with c.cursor() as cursor:
        rows = cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'gsi_%%'").fetchall()
    c.rollback()
    return {name for (name,) in rows}


def test_rows_are_the_ones_a_cursor_reads_with_the_same_types_and_names(
    conn: psycopg.Connection[Any],
) -> None:
    got = read_ahead(conn, [(ITEMS, {"owner": "o1"}), (ITEMS, {"owner": "o2"}), (COUNT, {"owner": "o1"})])
    assert got is not None
    assert conn.pgconn.transaction_status == pq.TransactionStatus.INTRANS  # it began the transaction
    conn.rollback()
    expected = [by_cursor(conn, ITEMS, {"owner": o}) for o in ("o1", "o2")] + [
        by_cursor(conn, COUNT, {"owner": "o1"})
    ]
    conn.rollback()
    assert got == expected
    first = got[0][0]
    assert (first.item_id, first.due_on, first.amount, first.doc) == (
        "a1",
        date(2026, 12, 1),
        Decimal("3.5"),
        {"k": [1, 2]},
    )
    assert got[0][1].due_on is None
    assert got[2][0].n == 2


def test_each_statement_is_prepared_once_per_connection(conn: psycopg.Connection[Any]) -> None:
    read_ahead(conn, [(ITEMS, {"owner": "o1"}), (ITEMS, {"owner": "o2"})])  # the same text twice: one PREPARE
    conn.commit()
    prepared = our_statements(conn)
    assert len(prepared) == 1
    for owner in ("o2", "o1", "nobody"):
        assert read_ahead(conn, [(ITEMS, {"owner": owner}), (COUNT, {"owner": owner})]) is not None
        conn.commit()
    assert len(our_statements(conn)) == 2
    assert prepared < our_statements(conn)


def test_statements_the_server_forgot_are_prepared_again_in_a_fresh_transaction(
    conn: psycopg.Connection[Any],
) -> None:
    read_ahead(conn, [(ITEMS, {"owner": "o1"})])
    conn.commit()
    conn.execute("DEALLOCATE ALL")  # as psycopg does after any rollback when it has statements of its own
    conn.execute(
        "INSERT INTO items VALUES ('a3', 'o1', NULL, NULL, NULL)"
    )  # same transaction as the DEALLOCATE
    conn.commit()
    got = read_ahead(conn, [(ITEMS, {"owner": "o1"}), (COUNT, {"owner": "o1"})])
    assert got is not None
    assert [r.item_id for r in got[0]] == ["a1", "a2", "a3"]
    assert got[1][0].n == 3
    conn.execute("INSERT INTO items VALUES ('a4', 'o1', NULL, NULL, NULL)")  # still the transaction it began
    conn.rollback()
    assert len(by_cursor(conn, ITEMS, {"owner": "o1"})) == 3


def test_in_a_transaction_already_under_way_it_leaves_the_reads_to_the_caller(
    conn: psycopg.Connection[Any],
) -> None:
    conn.execute("SELECT 1")
    assert read_ahead(conn, [(ITEMS, {"owner": "o1"})]) is None
    conn.rollback()
    conn.autocommit = True
    assert read_ahead(conn, [(ITEMS, {"owner": "o1"})]) is None


def test_the_transaction_begins_with_the_connections_settings(conn: psycopg.Connection[Any]) -> None:
    conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    conn.read_only = True
    got = read_ahead(conn, [(LEVEL, {"x": 21})])
    assert got is not None
    assert (got[0][0].level, got[0][0].twice) == ("serializable", 42)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("INSERT INTO items VALUES ('z', 'o9', NULL, NULL, NULL)")
    conn.rollback()


def test_a_failing_read_raises_its_error_and_the_reads_after_it_are_prepared_next_time(
    conn: psycopg.Connection[Any],
) -> None:
    later = "SELECT item_id FROM items WHERE item_id = %(id)s"
    with pytest.raises(psycopg.errors.UndefinedTable):
        read_ahead(
            conn,
            [
                (ITEMS, {"owner": "o1"}),
                ("SELECT * FROM missing WHERE a = %(a)s", {"a": 1}),
                (later, {"id": "b1"}),
            ],
        )
    assert conn.pgconn.transaction_status == pq.TransactionStatus.INERROR
    conn.rollback()
    got = read_ahead(conn, [(later, {"id": "b1"}), (ITEMS, {"owner": "o2"})])  # 'later' was never prepared
    assert got is not None
    assert [r.item_id for r in got[0]] == ["b1"]
    assert [r.item_id for r in got[1]] == ["b1"]
    conn.rollback()


def test_a_value_psycopg_cannot_adapt_fails_before_anything_is_sent(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.ProgrammingError):
        read_ahead(conn, [(ITEMS, {"owner": object()})])
    assert conn.pgconn.transaction_status == pq.TransactionStatus.IDLE
    assert not conn.closed


def test_only_named_text_placeholders_go_ahead() -> None:
    with pytest.raises(ValueError, match="placeholders"):
        pipeline._positional("SELECT %(a)b")
    assert pipeline._positional("SELECT %(a)s, %(b)s, %(a)s LIKE 'x%%'") == (
        b"SELECT $1, $2, $1 LIKE 'x%'",
        ("a", "b"),
    )


def test_an_interruption_mid_protocol_closes_the_connection(
    conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(pgconn: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_until_sync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_ahead(conn, [(ITEMS, {"owner": "o1"})])
    assert conn.closed  # the pool replaces it rather than reuse a connection in an unknown state


def test_a_connection_the_server_dropped_fails_one_transaction_and_the_pool_replaces_it(
    postgres_url: str,
) -> None:
    """A server restart or failover between transactions: the read-ahead of the next one fails
    with a database error, and the transaction after it gets a fresh connection."""
    from sqlalchemy import bindparam, column, create_engine, select, table, text
    from sqlalchemy.exc import DBAPIError

    from gsi_kernel.store.database import connect
    from gsi_kernel.store.prepared import PreparedSelect, prefetch

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
