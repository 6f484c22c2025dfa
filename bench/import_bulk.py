"""``uv run python -m bench.import_bulk``: the bulk append (``StreamWriter.append_new_streams``:
new one-event streams and their outbox rows, one transaction) through its two PostgreSQL paths,
and a plain COPY of the same rows into the same tables as the peer, in turns in one process.

- ``unnest``: the many-row statements (:mod:`gsi_kernel.store._pg_bulk`), every row as arrays;
- ``copy``: binary COPY through a staging table (:mod:`gsi_kernel.store._pg_copy`);
- ``peer``: the same rows, built beforehand, COPY'd into ``events`` and ``outbox`` and committed —
  what the driver does with nothing to check, build or return.

Each run gets a fresh schema (the tables' size is the same for all). Printed per variant: the
median time, and CPU ms per 1,000 rows of this process and of its PostgreSQL backend (from
``/proc``, same machine), then the ratios to the peer. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, create_engine, text

from gsi_kernel.clock import SystemClock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.store import postgres
from gsi_kernel.store._pg_bulk import driver
from gsi_kernel.store.database import Database, connect
from gsi_kernel.store.ddl import create_kernel_tables_v1
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.writer import StreamWriter, integration_event

PAYLOAD = {"code": "ACC", "service_date": "2026-11-20", "duration_minutes": 60, "notes": "x" * 300}
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


class Declared(DomainEvent):
    event_type = "bench.Declared"
    code: str
    service_date: str
    duration_minutes: int
    notes: str


Run = Callable[[Connection, int], None]  # one transaction's work on a fresh schema, n rows


def _writer(db: Database) -> StreamWriter:
    clock = SystemClock()
    return StreamWriter(
        db=db,
        store=EventStore(source="gsi/bench", clock=clock),
        registry=EventRegistry([Declared]),
        clock=clock,
        publisher=lambda e: [integration_event(e, "bench-topic", Declared(**e.payload))],
    )


def bulk(copy_from: int) -> Callable[[Database], Run]:
    """The kernel's bulk append, with COPY used from ``copy_from`` rows up."""

    def make(db: Database) -> Run:
        writer = _writer(db)
        context = CommandContext.new("bench", "org-bench")

        def run(connection: Connection, n: int) -> None:
            streams = [(f"import-{i}", [Declared(**PAYLOAD)]) for i in range(n)]
            postgres.COPY_FROM = copy_from
            started[0] = time.perf_counter(), time.process_time()  # the streams are built
            writer.append_new_streams(streams, context, connection=connection)

        return run

    return make


def peer(_db: Database) -> Run:
    """COPY of rows like the bulk append's, built before the clock starts."""
    now = datetime.now(UTC)
    value = _writer_value()

    def run(connection: Connection, n: int) -> None:
        events = [
            (str(uuid.uuid4()), f"import-{i}", 1, "bench.Declared", 1, PAYLOAD_JSON, now, now, "bench",
             "org-bench", "c0rre1a7-0000-4000-8000-000000000000", None, None, True)
            for i in range(n)
        ]  # fmt: skip
        outbox = [
            (str(uuid.uuid4()), "bench-topic", f"import-{i}", value, HEADERS_JSON, now) for i in range(n)
        ]
        cursor = driver(connection).cursor()
        started[0] = time.perf_counter(), time.process_time()  # the rows are built: the clock starts
        with cursor.copy(
            "COPY events (event_id, stream_id, version, type, schema_version, payload, occurred_at, "
            "recorded_at, actor, organization, correlation_id, causation_id, traceparent, projected) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(
                ["text", "text", "int4", "text", "int4", "text", "timestamptz", "timestamptz", "text",
                 "text", "text", "text", "text", "bool"]
            )  # fmt: skip
            for event in events:
                copy.write_row(event)
        with cursor.copy(
            "COPY outbox (message_id, topic, key, value, headers, created_at) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "text", "text", "bytea", "text", "timestamptz"])
            for message in outbox:
                copy.write_row(message)

    return run


PAYLOAD_JSON = '{"code":"ACC","service_date":"2026-11-20","duration_minutes":60,"notes":"' + "x" * 300 + '"}'
HEADERS_JSON = '[["content-type","application/cloudevents+json; charset=utf-8"],["ce_id","x"]]'
started: list[tuple[float, float] | None] = [None]


def _writer_value() -> bytes:
    return ('{"data":' + PAYLOAD_JSON + ',"id":"' + "0" * 36 + '","source":"gsi/bench"}').encode() * 2


def _backend_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS


def measure(url: str, make: Callable[[Database], Run], n: int) -> tuple[float, float, float]:
    """(seconds, client CPU ms, backend CPU ms) of one run, from the first row to the commit."""
    schema = f"bench_bulk_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = connect(url, schema=schema)
    try:
        with db.transaction() as c:
            create_kernel_tables_v1(c)
        run = make(db)
        started[0] = None
        with db.transaction() as c:
            pid = int(c.execute(text("SELECT pg_backend_pid()")).scalar_one())
            backend, wall, cpu = _backend_ms(pid), time.perf_counter(), time.process_time()
            run(c, n)
            if started[0] is not None:  # what the clock leaves out was built
                wall, cpu = started[0]
        return time.perf_counter() - wall, (time.process_time() - cpu) * 1000, _backend_ms(pid) - backend
    finally:
        db.dispose()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


VARIANTS: dict[str, Callable[[Database], Run]] = {
    "unnest": bulk(copy_from=10**12),
    "copy": bulk(copy_from=postgres.COPY_FROM),
    "peer": peer,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default="unnest,copy,peer")
    args = parser.parse_args()
    url = os.environ["GSI_TEST_DATABASE_URL"]
    names = args.variants.split(",")
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        order = names if round_ % 2 == 0 else names[::-1]  # A B C, C B A, …
        for name in order:
            results[name].append(measure(url, VARIANTS[name], args.rows))
            s, cpu, pg = results[name][-1]
            k = args.rows / 1000
            print(
                f"  round {round_ + 1} {name:<7} {s:6.2f} s  cpu {cpu / k:6.1f}  pg {pg / k:6.1f} ms/1k rows"
            )
    k = args.rows / 1000
    peer_s = statistics.median(s for s, _, _ in results["peer"]) if "peer" in results else None
    print(f"{args.rows:,} new one-event streams + outbox rows, medians of {args.rounds} rounds")
    for name, runs in results.items():
        s, cpu, pg = (statistics.median(r[i] for r in runs) for i in range(3))
        ratio = f"   {peer_s / s:.2f}x the peer" if peer_s else ""
        spread = f"({min(r[0] for r in runs):.2f}–{max(r[0] for r in runs):.2f})"
        print(f"{name:<8}{s:7.2f} s {spread}  cpu {cpu / k:6.1f}  pg {pg / k:6.1f} ms/1k rows{ratio}")


if __name__ == "__main__":
    main()
