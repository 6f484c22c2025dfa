"""``make bench``: the kernel's write path against the raw drivers, on PostgreSQL and Kafka.

- append rate: single-event commands through StreamWriter (load, decide, append with expected
  version, outbox row, one transaction each) vs a plain single-row INSERT + COMMIT loop;
- relay rate: the outbox relay (read batch, publish with acks=all + idempotence, mark sent)
  vs a plain kafka-python producer with the same settings.
Figures are printed, never asserted: the machine decides them.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from kafka import KafkaProducer
from sqlalchemy import create_engine, text

from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import TopicSpec
from gsi_kernel.clock import SystemClock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.relay import OutboxRelay
from gsi_kernel.store.database import Database, connect
from gsi_kernel.store.ddl import create_kernel_tables_v1
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.telemetry import Telemetry
from gsi_kernel.writer import StreamWriter, integration_event

PAYLOAD = {"code": "ACC", "service_date": "2026-11-20", "duration_minutes": 60, "notes": "x" * 300}


class Declared(DomainEvent):
    event_type = "bench.Declared"
    code: str
    service_date: str
    duration_minutes: int
    notes: str


def rate(n: int, fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def fresh_schema(url: str) -> tuple[Database, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with create_engine(url).begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = connect(url, schema=schema)
    with db.transaction() as c:
        create_kernel_tables_v1(c)
    return db, schema


def drop_schema(url: str, schema: str) -> None:
    with create_engine(url).begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def raw_insert_rate(url: str, n: int) -> float:
    import psycopg
    from psycopg.types.json import Jsonb

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TEMP TABLE raw_events (id bigserial primary key, stream text, payload jsonb)")
        conn.commit()
        body = Jsonb(PAYLOAD)

        def loop() -> None:
            for i in range(n):
                conn.execute("INSERT INTO raw_events (stream, payload) VALUES (%s, %s)", (f"s{i}", body))
                conn.commit()

        return rate(n, loop)


def append_rate(db: Database, topic: str, n: int) -> float:
    clock = SystemClock()
    store = EventStore(source="gsi/bench", clock=clock)
    writer = StreamWriter(
        db=db,
        store=store,
        registry=EventRegistry([Declared]),
        clock=clock,
        publisher=lambda e: [integration_event(e, topic, Declared(**e.payload))],
    )
    context = CommandContext.new("bench", "org-bench")

    def loop() -> None:
        for i in range(n):
            writer.execute(f"intervention-{i}", lambda _h: [Declared(**PAYLOAD)], context)

    return rate(n, loop)


def bulk_import_rate(db: Database, topic: str, n: int) -> float:
    """``append_new_streams``: n one-event streams, with their outbox rows, in one transaction."""
    clock = SystemClock()
    writer = StreamWriter(
        db=db,
        store=EventStore(source="gsi/bench", clock=clock),
        registry=EventRegistry([Declared]),
        clock=clock,
        publisher=lambda e: [integration_event(e, topic, Declared(**e.payload))],
    )
    streams = [(f"import-{i}", [Declared(**PAYLOAD)]) for i in range(n)]
    context = CommandContext.new("bench", "org-bench")

    def append() -> None:
        writer.append_new_streams(streams, context)

    return rate(n, append)


def raw_producer_rate(servers: str, topic: str, n: int) -> float:
    producer = KafkaProducer(
        bootstrap_servers=servers,
        acks="all",
        enable_idempotence=True,
        max_in_flight_requests_per_connection=5,
        linger_ms=5,
    )
    value = (str(PAYLOAD) * 2).encode()

    def loop() -> None:
        futures = [producer.send(topic, key=f"s{i}".encode(), value=value) for i in range(n)]
        producer.flush()
        for f in futures:
            f.get(timeout=30)

    try:
        return rate(n, loop)
    finally:
        producer.close()


def relay_rate(db: Database, servers: str, n: int) -> float:
    bus = KafkaBus(servers)
    relay = OutboxRelay(
        db=db,
        producer=bus.producer(),
        clock=SystemClock(),
        telemetry=Telemetry("bench"),
        batch_size=1000,
        lease_ttl=timedelta(minutes=5),
    )

    def drain() -> None:
        published = 0
        while published < n:
            published += relay.run_once()

    try:
        return rate(n, drain)
    finally:
        relay.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--imports", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ["GSI_TEST_DATABASE_URL"]
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    KafkaBus(servers).ensure_topics([TopicSpec(topic, 3)])

    raw_insert = raw_insert_rate(url, args.appends)
    db, schema = fresh_schema(url)
    try:
        appends = append_rate(db, topic, args.appends)
        extra = args.messages - args.appends
        if extra > 0:
            append_rate(db, topic, extra)  # fill the outbox for the relay measure (not timed)
        imports = bulk_import_rate(db, topic, args.imports)
        raw_produce = raw_producer_rate(servers, topic, args.messages)
        relay = relay_rate(db, servers, args.messages)
    finally:
        db.dispose()
        drop_schema(url, schema)

    print(f"GSI bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — PostgreSQL + Kafka on this machine")
    print(f"{'measure':<44}{'per second':>12}{'ratio':>10}")
    print(f"{'raw single-row INSERT + COMMIT (psycopg)':<44}{raw_insert:>12,.0f}{'1.00':>10}")
    print(f"{'append, single-event command (+outbox)':<44}{appends:>12,.0f}{appends / raw_insert:>10.2f}")
    label = f"bulk import, {args.imports:,} new streams (+outbox)"
    print(f"{label:<44}{imports:>12,.0f}{imports / raw_insert:>10.2f}")
    print(f"{'raw kafka-python producer (acks=all, idem.)':<44}{raw_produce:>12,.0f}{'1.00':>10}")
    print(f"{'outbox relay (publish + mark sent)':<44}{relay:>12,.0f}{relay / raw_produce:>10.2f}")


if __name__ == "__main__":
    main()
