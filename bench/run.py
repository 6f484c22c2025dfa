"""``make bench``: the kernel's write path against the raw drivers and a peer library, on
PostgreSQL and Kafka (issue 23). Each pair runs in rounds, interleaved (A B, B A, A B…,
``--rounds``), and prints per run and then as medians: the rate, this process's CPU per
operation, its PostgreSQL backends' CPU per operation, and the ratio of A to B.

- single-event commands through StreamWriter, each the first event of a new stream as a
  declaration records it (``new_stream``: no history to load; decide, append with the expected
  version 0, outbox row, one transaction each — the peer's work too, one event per new
  aggregate; until 2026-12-08 the bench also loaded each empty stream, a round trip more) against a durable single-row INSERT into the same events
  table (autocommit: a COMMIT per row, each waiting for its WAL flush), and against
  pyeventsourcing's PostgreSQL recorder appending one stored event per new aggregate
  (:mod:`bench.peers.pyeventsourcing`, in a virtual environment of its own);
- a bulk import (``append_new_streams``: new one-event streams and their outbox rows, one
  transaction) against a binary COPY of the same rows into the same tables;
- the outbox relay (read a batch, publish with acks=all + idempotence, mark sent) against a
  plain kafka-python producer with the same settings and messages.

Each run writes into a fresh schema of its own (dropped after); the topic is dropped at the
end. Figures are printed, never asserted: the machine decides them.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from kafka import KafkaAdminClient
from sqlalchemy import Engine

from bench.machinery import watching
from bench.peers import baselines, pyeventsourcing
from bench.peers.measure import application, metered, named
from bench.peers.rounds import Figures, compare
from bench.peers.workload import ORG, PAYLOAD, Declared, drop_schema, fresh_schema, sample_message, scratch
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import TopicSpec
from gsi_kernel.clock import SystemClock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import EventRegistry
from gsi_kernel.relay import OutboxRelay
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.telemetry import Telemetry
from gsi_kernel.writer import StreamWriter, integration_event

# Kept importable from here (bench.machinery's append child uses them).
__all__ = ["PAYLOAD", "Declared", "drop_schema", "fresh_schema", "main"]

WARM_UP = 100
STALL_S = 60.0  # a relay that publishes nothing this long is reported, not waited for


def writer(db: Database, topic: str) -> StreamWriter:
    clock = SystemClock()
    return StreamWriter(
        db=db,
        store=EventStore(source="gsi/bench", clock=clock),
        registry=EventRegistry([Declared]),
        clock=clock,
        publisher=lambda e: [integration_event(e, topic, Declared(**e.payload))],
    )


def append(url: str, topic: str, count: int, watcher: Engine, writers: int = 1) -> Figures:
    """``count`` single-event commands on new streams (``new_stream``), one transaction each,
    in a fresh schema, by ``writers`` threads at once (as a service's request threads run
    commands)."""
    name = application()
    with named(name), scratch(url) as (db, _):
        streams = writer(db, topic)
        context = CommandContext.new("bench", ORG)

        def commands(prefix: str, n: int) -> None:
            for i in range(n):
                streams.execute(f"{prefix}-{i}", lambda _h: [Declared(**PAYLOAD)], context, new_stream=True)

        def together(prefix: str, n: int) -> None:
            if writers == 1:
                commands(prefix, n)
                return
            with ThreadPoolExecutor(writers) as threads:
                shares = [n // writers + (1 if i < n % writers else 0) for i in range(writers)]
                for done in [threads.submit(commands, f"{prefix}{w}", k) for w, k in enumerate(shares)]:
                    done.result()

        together("warm", WARM_UP * writers)  # connections, prepared statements
        return metered(count, lambda: together("intervention", count), watcher, name)


def bulk(url: str, topic: str, count: int, watcher: Engine) -> Figures:
    """``append_new_streams``: ``count`` new one-event streams with their outbox rows, one
    transaction, in a fresh schema. The domain events are made before the clock starts."""
    name = application()
    with named(name), scratch(url) as (db, _):
        streams = writer(db, topic)
        with db.transaction() as connection:  # the pool's connection up before the clock starts
            connection.exec_driver_sql("SELECT 1")
        new = [(f"import-{i}", [Declared(**PAYLOAD)]) for i in range(count)]
        context = CommandContext.new("bench", ORG)
        return metered(count, lambda: streams.append_new_streams(new, context), watcher, name)


def relay(db: Database, name: str, servers: str, topic: str, count: int, watcher: Engine) -> Figures:
    """A new relay publishes ``count`` messages: the outbox is filled with them first (not timed;
    what earlier rounds left is all sent). No warm-up batch: a pipelined relay takes several at
    once, and the plain producer starts cold as well."""
    writer(db, topic).append_new_streams(
        [(f"relayed-{uuid.uuid4().hex}", [Declared(**PAYLOAD)]) for _ in range(count)],
        CommandContext.new("bench", ORG),
    )
    outbox = OutboxRelay(
        db=db,
        producer=KafkaBus(servers).producer(),
        clock=SystemClock(),
        telemetry=Telemetry("bench"),
        batch_size=1000,
        lease_ttl=timedelta(minutes=5),
    )

    def drain() -> None:
        published, last = 0, time.monotonic()
        while published < count:
            if moved := outbox.run_once():
                published, last = published + moved, time.monotonic()
            elif time.monotonic() - last > STALL_S:
                raise RuntimeError(
                    f"the relay published nothing for {STALL_S:.0f} s ({published:,} of {count:,})"
                )

    try:
        return metered(count, drain, watcher, name)
    finally:
        outbox.close()


def relay_comparison(url: str, servers: str, topic: str, args: argparse.Namespace, watcher: Engine) -> None:
    """The relay against a plain producer, the relay's rounds on one schema."""
    name, message = application(), sample_message(topic)
    with named(name), scratch(url) as (db, _):
        compare(
            (
                "outbox relay (publish + mark sent)",
                lambda: relay(db, name, servers, topic, args.messages, watcher),
            ),
            (
                "plain kafka-python producer (same settings)",
                lambda: baselines.plain_producer(servers, args.messages, message),
            ),
            args.rounds,
        )


def section(title: str, run: Callable[[], object]) -> None:
    """A comparison under its title; one that cannot run (a peer not installable) says why."""
    print(f"\n{title}", flush=True)
    try:
        run()
    except RuntimeError as error:
        print(f"  skipped: {error}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--imports", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writers", type=int, default=8, help="writers at once in the concurrent append")
    parser.add_argument(
        "--only",
        default="append,peer,peers,bulk,relay",
        help="comparisons to run: append,peer (one writer),peers (--writers at once),bulk,relay",
    )
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    url = os.environ["GSI_TEST_DATABASE_URL"]
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    KafkaBus(servers).ensure_topics([TopicSpec(topic, 3)])
    watcher = watching(url)
    print(
        f"GSI bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — PostgreSQL + Kafka on this machine;"
        f" load average {os.getloadavg()[0]:.1f} at start. Medians of {args.rounds} interleaved rounds;"
        " cpu: this process, pg: its PostgreSQL backends, per operation; ratio: A / B in each round"
    )
    append_run = ("append, single-event command (+outbox)", lambda: append(url, topic, args.appends, watcher))
    try:
        if "append" in wanted:
            section(
                "== single-event append vs a durable single-row INSERT (autocommit, same events table)",
                lambda: compare(
                    append_run,
                    (
                        "durable single-row INSERT + COMMIT (psycopg)",
                        lambda: baselines.durable_insert(url, args.appends, watcher),
                    ),
                    args.rounds,
                ),
            )
        if "peer" in wanted:
            section(
                f"== single-event append vs pyeventsourcing {pyeventsourcing.VERSION}'s PostgreSQL recorder",
                lambda: compare(
                    append_run,
                    (
                        "pyeventsourcing recorder, one event per aggregate",
                        lambda: pyeventsourcing.recorder(url, args.appends),
                    ),
                    args.rounds,
                ),
            )
        if "peers" in wanted:
            section(
                f"== {args.writers} writers at once, single-event appends vs pyeventsourcing's recorder",
                lambda: compare(
                    (
                        f"append, {args.writers} writers at once",
                        lambda: append(url, topic, args.appends * 2, watcher, args.writers),
                    ),
                    (
                        f"pyeventsourcing recorder, {args.writers} writers at once",
                        lambda: pyeventsourcing.recorder(url, args.appends * 2, args.writers),
                    ),
                    args.rounds,
                ),
            )
        if "bulk" in wanted:
            message = sample_message(topic)
            section(
                f"== bulk import of {args.imports:,} new streams vs a binary COPY of the same rows",
                lambda: compare(
                    (
                        f"bulk import, {args.imports:,} new streams (+outbox)",
                        lambda: bulk(url, topic, args.imports, watcher),
                    ),
                    (
                        "binary COPY, events + outbox, same tables",
                        lambda: baselines.copy(url, args.imports, message, watcher),
                    ),
                    args.rounds,
                ),
            )
        if "relay" in wanted:
            section(
                "== outbox relay vs a plain producer",
                lambda: relay_comparison(url, servers, topic, args, watcher),
            )
    finally:
        watcher.dispose()
        admin = KafkaAdminClient(bootstrap_servers=servers, client_id="gsi-bench-cleanup")
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()


if __name__ == "__main__":
    main()
