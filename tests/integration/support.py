"""A tiny event-sourced model for the kernel's integration tests: tallies that a consumer
counts. The count is not idempotent by itself, so applying an event twice would show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import FixedClock
from gsi_kernel.consumer import ConsumerRunner
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.outbox import Publication
from gsi_kernel.telemetry import Telemetry
from gsi_kernel.writer import StreamWriter, integration_event

CLOCK = FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC))
CONTEXT = CommandContext.new("tester", "org-test")


class Tallied(DomainEvent):
    event_type = "Tallied"
    amount: int


REGISTRY = EventRegistry([Tallied])

metadata = MetaData()
tallies = Table(
    "tallies",
    metadata,
    Column("stream_id", String(200), primary_key=True),
    Column("total", Integer, nullable=False),
    Column("applications", Integer, nullable=False),
)


def create_tables(db: Database) -> None:
    with db.transaction() as connection:
        metadata.create_all(connection)


def writer(db: Database, topic: str) -> StreamWriter:
    def publish(event: EventEnvelope) -> Sequence[Publication]:
        return [integration_event(event, topic, Tallied(amount=event.payload["amount"]))]

    store = EventStore(source="gsi/test", clock=CLOCK)
    return StreamWriter(db=db, store=store, registry=REGISTRY, clock=CLOCK, publisher=publish)


def tally(writer: StreamWriter, stream_id: str, amount: int) -> None:
    writer.execute(stream_id, lambda _history: [Tallied(amount=amount)], CONTEXT)


def count(connection: Connection, event: EventEnvelope) -> None:
    """Add the amount — deliberately not idempotent: only the runner's bookkeeping makes it so."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(
        insert(tallies)
        .values(stream_id=event.stream_id, total=0, applications=0)
        .on_conflict_do_nothing(index_elements=["stream_id"])
    )
    connection.execute(
        update(tallies)
        .where(tallies.c.stream_id == event.stream_id)
        .values(total=tallies.c.total + event.payload["amount"], applications=tallies.c.applications + 1)
    )


def read_tallies(db: Database) -> dict[str, tuple[int, int]]:
    with db.transaction() as connection:
        rows = connection.execute(select(tallies)).all()
    return {r.stream_id: (r.total, r.applications) for r in rows}


def counter(
    db: Database, bus: Bus, topic: str, name: str = "test.counter", **kwargs: object
) -> ConsumerRunner:
    return ConsumerRunner(
        name=name,
        db=db,
        bus=bus,
        topics=[topic],
        handlers={"Tallied": count},
        clock=CLOCK,
        telemetry=Telemetry("test"),
        **kwargs,  # type: ignore[arg-type]
    )
