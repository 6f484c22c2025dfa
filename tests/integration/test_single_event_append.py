"""PostgreSQL's single-event append (issue 23): one event and at most one outbox row go in one
statement with scalar parameters, on a psycopg cursor kept with the pooled connection. The same
rows as the many-event statement, the same guarantees (the expected version checked in the
statement, events and outbox rows together or not at all), errors as SQLAlchemy's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent
from gsi_kernel.store import _pg_bulk
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore, shared_columns
from gsi_kernel.store.outbox import Publication, outbox_row
from gsi_kernel.store.tables import events, outbox
from gsi_kernel.writer import integration_event
from tests.databases import postgres_database

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
CONTEXT = CommandContext(
    actor="karine",
    organization="org-sherbrooke",
    correlation_id="6f1c9a2e-0000-4000-8000-000000000001",
    traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
)
ANONYMOUS = CommandContext(actor="system", organization=None, correlation_id="c-2")


class Noted(DomainEvent):
    event_type = "Noted"
    text: str


class Echoed(DomainEvent):
    event_type = "Echoed"
    text: str


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    with postgres_database(postgres_url) as db:
        yield db


def store() -> EventStore:
    return EventStore(source="gsi/test", clock=FixedClock(NOW))


def publish_once(e: EventEnvelope) -> list[Publication]:
    return [integration_event(e, "test.noted", Noted(text=e.payload["text"]))]


def publish_twice(e: EventEnvelope) -> list[Publication]:
    return [*publish_once(e), integration_event(e, "test.echoed", Echoed(text=e.payload["text"]))]


def stored(db: Database, stream_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The stream's event rows and its outbox rows, as stored (ids, positions and time left out)."""
    with db.transaction() as c:
        event_rows = c.execute(
            select(events).where(events.c.stream_id == stream_id).order_by(events.c.version)
        )
        outbox_rows = c.execute(select(outbox).where(outbox.c.key == stream_id).order_by(outbox.c.id))
        left_out = {"event_id", "position", "tx_id", "id", "message_id", "value", "headers", "created_at"}
        return (
            [{k: v for k, v in r._mapping.items() if k not in left_out} for r in event_rows],
            [{k: v for k, v in r._mapping.items() if k not in left_out} for r in outbox_rows],
        )


@pytest.mark.parametrize("context", [CONTEXT, ANONYMOUS], ids=["traced", "no-organization"])
def test_one_event_is_stored_as_the_many_event_statement_stores_it(
    database: Database, context: CommandContext
) -> None:
    with database.transaction() as c:
        [one] = store().append(c, "one", 0, [Noted(text="a")], context, publish=publish_once)
        store().append(c, "many", 0, [Noted(text="a"), Noted(text="b")], context, publish=publish_once)
    one_events, one_outbox = stored(database, "one")
    many_events, many_outbox = stored(database, "many")
    assert [{**r, "stream_id": "many"} for r in one_events] == many_events[:1]
    assert [{**r, "key": "many"} for r in one_outbox] == many_outbox[:1]
    with database.transaction() as c:
        value, created_at = c.execute(
            select(outbox.c.value, outbox.c.created_at).where(outbox.c.key == "one")
        ).one()
    assert value == integration_event(one, "test.noted", Noted(text="a")).to_message().value
    assert created_at == NOW


def test_the_returned_position_and_transaction_are_the_stored_ones(database: Database) -> None:
    with database.transaction() as c:
        [recorded] = store().append(c, "s", 0, [Noted(text="a")], CONTEXT, publish=publish_once)
        transaction = c.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
    with database.transaction() as c:
        [loaded] = store().load(c, "s")
    assert (recorded.position, recorded.tx_id) == (loaded.position, loaded.tx_id)
    assert recorded.tx_id == transaction
    assert recorded == loaded


def test_an_event_that_publishes_nothing_has_no_outbox_row(database: Database) -> None:
    with database.transaction() as c:
        store().append(c, "quiet", 0, [Noted(text="a")], CONTEXT, publish=lambda _e: [])
        store().append(c, "quiet", 1, [Noted(text="b")], CONTEXT)
    assert stored(database, "quiet")[1] == []
    assert [r["version"] for r in stored(database, "quiet")[0]] == [1, 2]


def test_one_event_publishing_twice_keeps_both_outbox_rows(database: Database) -> None:
    with database.transaction() as c:
        store().append(c, "echo", 0, [Noted(text="a")], CONTEXT, publish=publish_twice)
    assert [r["topic"] for r in stored(database, "echo")[1]] == ["test.noted", "test.echoed"]


@pytest.mark.parametrize("expected_version", [1, 3])  # the stream is at 2: behind it, ahead of it
def test_a_stale_version_appends_nothing_and_no_outbox_row(database: Database, expected_version: int) -> None:
    with database.transaction() as c:
        store().append(c, "s", 0, [Noted(text="a"), Noted(text="b")], CONTEXT, publish=publish_once)
    with pytest.raises(ConcurrencyConflict), database.transaction() as c:
        store().append(c, "s", expected_version, [Noted(text="lost")], CONTEXT, publish=publish_once)
    event_rows, outbox_rows = stored(database, "s")
    assert [r["payload"]["text"] for r in event_rows] == ["a", "b"]
    assert len(outbox_rows) == 2


def test_a_taken_version_is_sqlalchemy_s_integrity_error_and_the_next_append_goes_in(
    database: Database,
) -> None:
    """A new stream is not looked up: a creator that lost the race hits the unique version."""
    with database.transaction() as c:
        store().append(c, "s", 0, [Noted(text="first")], CONTEXT, publish=publish_once)
    with pytest.raises(IntegrityError), database.transaction() as c:
        append_one(c, "s", expected_version=0, text_="second")
    with database.transaction() as c:  # the same pooled connection and its kept cursor
        store().append(c, "s", 1, [Noted(text="third")], CONTEXT, publish=publish_once)
    event_rows, outbox_rows = stored(database, "s")
    assert [r["payload"]["text"] for r in event_rows] == ["first", "third"]
    assert len(outbox_rows) == 2


def test_the_kept_cursor_is_reused_and_replaced_with_its_connection(database: Database) -> None:
    with database.transaction() as c:
        append_one(c, "a", expected_version=0, text_="a")
        cursor = kept_cursor(c)
        append_one(c, "b", expected_version=0, text_="b")
        assert kept_cursor(c) is cursor
    assert database.engine.pool.checkedin() == 1  # type: ignore[attr-defined]  # one pooled connection
    with database.engine.connect() as c:
        c.invalidate()  # the server connection is dropped: the pool opens another
    with database.transaction() as c:
        append_one(c, "c", expected_version=0, text_="c")
        assert kept_cursor(c) is not cursor
        assert kept_cursor(c).connection is _pg_bulk.driver(c)
    assert [len(stored(database, s)[0]) for s in "abc"] == [1, 1, 1]


def append_one(
    c: Connection, stream_id: str, *, expected_version: int, text_: str
) -> dict[str, tuple[int, int]]:
    """One event and its outbox row straight through the statement."""
    shared = shared_columns(CONTEXT, NOW)
    new = (str(uuid.uuid4()), stream_id, expected_version + 1, "Noted", 1, {"text": text_})
    row = outbox_row(publish_once(envelope(new))[0], NOW)
    return _pg_bulk.append(c, stream_id, expected_version, [new], shared, [(new[0], row)])


def envelope(new: tuple[str, str, int, str, int, dict[str, Any]]) -> EventEnvelope:
    event_id, stream_id, version, type_, schema_version, payload = new
    return EventEnvelope(
        event_id=event_id,
        type=type_,
        schema_version=schema_version,
        source="gsi/test",
        stream_id=stream_id,
        stream_version=version,
        payload=payload,
        **shared_columns(CONTEXT, NOW),
    )


def kept_cursor(c: Connection) -> Any:
    return c.connection.info[_pg_bulk._KEPT_CURSOR]
