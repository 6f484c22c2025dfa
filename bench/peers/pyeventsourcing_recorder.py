"""Single-event appends through pyeventsourcing's PostgreSQL recorder (run by
:mod:`bench.peers.pyeventsourcing`, inside its own virtual environment: nothing from the
project is importable here, only ``eventsourcing`` and the standard library).

One stored event per new aggregate (version 1), one transaction each, through
``PostgresApplicationRecorder.insert_events``, by ``--writers`` threads at once (each with a
connection of the pool) — the recorder an eventsourcing ``Application``
uses on PostgreSQL (its events table with a global notification id, as the project's events
table has a commit order). The state is the project bench's payload as JSON bytes.

Prints one JSON line: the rate, this process's CPU per append and its PostgreSQL backends'
(found by the ``application_name`` libpq took from ``PGAPPNAME``, read from ``/proc``: the
database runs on this machine).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Installed in the peer's environment only (the project's mypy runs without it).
from eventsourcing.persistence import StoredEvent  # type: ignore[import-not-found, unused-ignore]
from eventsourcing.postgres import (  # type: ignore[import-not-found, unused-ignore]
    PostgresApplicationRecorder,
    PostgresDatastore,
)

TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process of this machine, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_of(backends: list[int]) -> float:
    return sum(backend_cpu(pid) for pid in backends)


def shares(n: int, writers: int) -> list[int]:
    """``n`` split among ``writers`` as evenly as can be."""
    return [n // writers + (1 if i < n % writers else 0) for i in range(writers)]


def named_backends(datastore: PostgresDatastore, name: str) -> list[int]:
    """The process ids of this script's PostgreSQL backends (its own connection's alone when
    libpq was given no name)."""
    with datastore.get_connection() as connection, connection.cursor() as cursor:
        if not name:
            return [connection.info.backend_pid]
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,))
        return [row["pid"] for row in cursor.fetchall()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="5432")
    parser.add_argument("--dbname", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--warm-up", type=int, default=100)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--payload", required=True, help="the event's state, as JSON")
    args = parser.parse_args()
    datastore = PostgresDatastore(
        args.dbname,
        args.host,
        args.port,
        args.user,
        os.environ.get("GSI_PEER_PASSWORD", ""),
        schema=args.schema,
        pool_size=args.writers,
    )
    try:
        recorder = PostgresApplicationRecorder(datastore)
        recorder.create_table()
        state = json.dumps(json.loads(args.payload)).encode()
        topic = "bench:Declared"

        def appends(n: int) -> None:
            for _ in range(n):
                recorder.insert_events([StoredEvent(uuid.uuid4(), 1, topic, state)])

        def together(n: int) -> None:
            """``n`` appends shared among the writers, each on a thread of its own."""
            with ThreadPoolExecutor(args.writers) as threads:
                for done in [threads.submit(appends, share) for share in shares(n, args.writers)]:
                    done.result()

        together(args.warm_up * args.writers)  # the pool's connections, prepared statements
        backends = named_backends(datastore, os.environ.get("PGAPPNAME", ""))
        pg_before, cpu_before, started = cpu_of(backends), time.process_time(), time.perf_counter()
        together(args.count)
        elapsed = time.perf_counter() - started
        cpu, pg = time.process_time() - cpu_before, cpu_of(backends) - pg_before
    finally:
        datastore.close()
    n = args.count
    print(json.dumps({"rate": n / elapsed, "cpu_ms": cpu / n * 1000, "pg_ms": pg / n * 1000}))


if __name__ == "__main__":
    main()
