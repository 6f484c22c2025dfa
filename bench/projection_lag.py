"""Registration → interventions' persons projection, end to end, at rest and under declarations.

Persons are registered through registration's API at a steady rate (``--registrations``/s, an
open loop) while interventions takes ``POST /interventions`` at a fixed rate (each of
``--rates``; 0 is at rest). Each registration's message goes the whole way: registration's
command and outbox row, its relay, Kafka, and interventions' consumer (group
``interventions.persons``), which writes the person into ``known_persons``. Its lag runs from the
command's clock (the outbox row's ``created_at``, the event's ``recorded_at``) to the moment a
watcher polling interventions' database sees the consumer's ``processed`` row committed, and is
cut into stages from the rows themselves:

- relay: ``created_at`` → ``sent_at`` (registration's relay published it and Kafka acknowledged);
- consumer: ``created_at`` → ``processed_at`` (stamped in the consumer's transaction, before its
  commit) — the consumer's share is this less the relay's;
- ``processed_at`` → seen: the consumer's commit, and the watcher's 10 ms polls.

Both services run as separate processes on their own schemas, sharing a Kafka namespace;
interventions with ``GSI_BENCH_WORKERS`` serving processes (3 by default, its background
workers — relay, consumers — then run in the supervising process). Per run it prints the lag's
p50/p95/p99/max, the consumer's time per message while it had a backlog, the declarations
served and their p99, and the CPU per declaration of interventions' processes and PostgreSQL
backends. First it measures what interventions serves at saturation (wrk, 16 connections):
"sat" in ``--rates`` is 90 % of that.

``--python`` runs interventions from other checkouts in turns (A B, B A…), each a fresh pair of
services, for an A/B of a change; the medians per variant and rate follow.

``--apply N`` measures instead, in this one process, the consumer's two ways of applying a
poll of N registrations on interventions' tables, alternated: one transaction per record
(:meth:`ConsumerRunner.handle`, the path before issue 23 and still a failed batch's) against the
poll's records together (:meth:`ConsumerRunner.handle_all`); per record the wall and CPU time,
the PostgreSQL backend's CPU and the commits, with the round trip and the commit the database
answered at that moment.

    uv run python -m bench.projection_lag --rounds 1 --rates 0,sat,300
    uv run python -m bench.projection_lag --apply 200 --rounds 6
    uv run python -m bench.projection_lag --python a=/tmp/a/.venv/bin/python,b=/tmp/b/.venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import cast

from sqlalchemy import Engine, text

from bench import fixed_rate
from bench.machinery import (
    ORG,
    PERSONS,
    Instance,
    Piece,
    Service,
    costs,
    declarations,
    free_port,
    saturation,
    seed,
    start,
    watching,
)
from bench.registration import drop_schema, mint, start_service

CONSUMER = "interventions.persons"
POLL_S = 0.01
STATUSES = ("permanent_resident", "government_assisted_refugee", "protected_person", "asylum_claimant")


@dataclass(frozen=True)
class Lag:
    """One message's way, wall clock (s since the epoch)."""

    created: float
    sent: float
    processed: float
    seen: float


@dataclass(frozen=True)
class Phase:
    variant: str
    rate: float  # declarations offered per second (0: at rest)
    lags: list[Lag]
    declared: fixed_rate.Outcome | None
    cpu_ms: float  # interventions' processes, per declaration
    pg_ms: float  # their PostgreSQL backends, per declaration


# load: registrations through registration's API, and declarations in a process of their own


def registration_requests(port: int, token: str, count: int) -> list[bytes]:
    rng = random.Random(11)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    requests = []
    for n in range(count):
        status = rng.choice(STATUSES)
        body = {
            "family_name": f"Lag{n}", "given_name": rng.choice(("Amina", "Linh", "Marc", "Ines")),
            "birth_date": f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "sex": rng.choice("FM"), "country_of_birth": "SY",
            "status": {"status": status, "effective_from": "2025-06-01", "admission_date": "2025-06-01"},
            "address": {"region": f"{rng.randint(1, 17):02d}"}, "consents": ["service_delivery"],
        }  # fmt: skip
        requests.append(
            fixed_rate.http_post("127.0.0.1", port, "/persons", json.dumps(body).encode(), headers)
        )
    return requests


def declare_child(port: int, token: str, persons_file: Path, rate: float, seconds: float) -> None:
    """(In the child process.) Declarations at ``rate``/s; one JSON line of what came back."""
    instance = Instance(
        "child", port, "", cast("subprocess.Popen[bytes]", None), token
    )  # port and token only
    persons = persons_file.read_text().split()
    out = fixed_rate.run(
        "127.0.0.1",
        port,
        declarations(instance, persons, int(rate * seconds) + 100),
        rate=rate,
        seconds=seconds,
    )
    print(
        json.dumps(
            {"latencies": out.latencies, "errors": out.errors, "sent": out.sent, "seconds": out.seconds}
        )
    )


def declaring(instance: Instance, persons_file: Path, rate: float, seconds: float) -> subprocess.Popen[str]:
    args = [
        sys.executable,
        "-m",
        "bench.projection_lag",
        "--declare-child",
        str(instance.port),
        instance.token,
    ]
    args += [str(persons_file), str(rate), str(seconds)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


# measure: a watcher of interventions' processed rows, then the stages read from both schemas


class Watcher(threading.Thread):
    """Notes when each of the consumer's ``processed`` rows is first seen committed."""

    def __init__(self, engine: Engine, schema: str) -> None:
        super().__init__(daemon=True)
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()
        self._engine = engine
        self._query = text(
            f'SELECT event_id FROM "{schema}".processed WHERE consumer = :c AND processed_at >= :since'
        )

    def run(self) -> None:
        since = datetime.fromtimestamp(time.time() - 5, UTC)
        with self._engine.connect() as connection:
            while not self.stop.is_set():
                rows = connection.execute(self._query, {"c": CONSUMER, "since": since}).scalars().all()
                connection.rollback()
                now = time.time()
                for event_id in rows:
                    self.seen.setdefault(event_id, now)
                self.stop.wait(POLL_S)


def stages(
    engine: Engine, registration: str, interventions: str, since: float, seen: dict[str, float]
) -> list[Lag]:
    """Each registration message created after ``since`` that interventions applied."""
    query = text(
        f"""SELECT o.message_id, o.created_at, o.sent_at, p.processed_at
        FROM "{registration}".outbox o JOIN "{interventions}".processed p
          ON p.event_id = o.message_id AND p.consumer = :c
        WHERE o.created_at >= :since"""
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"c": CONSUMER, "since": datetime.fromtimestamp(since, UTC)})
        return [
            Lag(
                r.created_at.timestamp(),
                r.sent_at.timestamp(),
                r.processed_at.timestamp(),
                seen[r.message_id],
            )
            for r in rows
            if r.message_id in seen and r.sent_at is not None
        ]


def drained(engine: Engine, registration: str, interventions: str, within_s: float = 120) -> None:
    """Wait until every registration message is applied in interventions."""
    query = text(
        f"""SELECT count(*) FROM "{registration}".outbox o WHERE NOT EXISTS
        (SELECT 1 FROM "{interventions}".processed p WHERE p.event_id = o.message_id AND p.consumer = :c)"""
    )
    deadline = time.monotonic() + within_s
    with engine.connect() as connection:
        while connection.execute(query, {"c": CONSUMER}).scalar():
            connection.rollback()
            if time.monotonic() > deadline:
                raise RuntimeError("interventions did not apply registration's messages")
            time.sleep(0.2)


# one variant: a fresh pair of services, each rate in turn


@dataclass(frozen=True)
class Plan:
    rates: Sequence[str]  # declarations/s, "sat": 90 % of the saturation measured first
    registrations: float  # per second
    seconds: float
    workers: int
    saturated: float = 0.0


def measure(variant: str, python: str, plan: Plan) -> list[Phase]:
    engine = watching(os.environ["GSI_TEST_DATABASE_URL"])
    schema = f"bench_lag_{uuid.uuid4().hex[:6]}"
    service = Service(
        piece=Piece("lag", "GSI_BENCH_VARIANT", variant, "-", append=False, latency=True),
        schema=schema,
        data_dir=Path(tempfile.mkdtemp(prefix="gsi-bench-lag-")),
        persons=[str(uuid.uuid4()) for _ in range(PERSONS)],
        engine=engine,
    )
    registration_schema = f"{schema}_reg"
    processes: list[subprocess.Popen[bytes]] = []
    phases: list[Phase] = []
    try:
        instance = start(service, variant, plan.workers, python)
        processes.append(instance.process)
        service.instances[instance.application] = instance
        instance.token = mint(instance.port, user_id="bench", roles=["org_staff"], organization=ORG)
        seed(service)
        port = free_port()
        namespace = {"GSI_KAFKA_NAMESPACE": f"{schema}."}  # interventions' topics
        processes.append(
            start_service(
                "registration", port, registration_schema, service.data_dir, env=namespace, python=python
            )
        )
        token = mint(port, user_id="bench", roles=["org_staff"], organization=ORG)
        persons_file = service.data_dir / "persons.txt"
        persons_file.write_text("\n".join(service.persons))
        count = int(plan.registrations * plan.seconds) + 10
        fixed_rate.run(
            "127.0.0.1", port, registration_requests(port, token, 20), rate=10, seconds=2
        )  # warm-up
        drained(engine, registration_schema, schema)
        for rate_name in plan.rates:
            rate = plan.saturated * 0.9 if rate_name == "sat" else float(rate_name)
            watcher = Watcher(engine, schema)
            watcher.start()
            child = declaring(instance, persons_file, rate, plan.seconds) if rate else None
            since = time.time()
            with costs(service) as cpu:
                fixed_rate.run(
                    "127.0.0.1", port, registration_requests(port, token, count),
                    rate=plan.registrations, seconds=plan.seconds, connections=8,
                )  # fmt: skip
                declared = None
                if child is not None:
                    answer = json.loads(child.communicate()[0].strip().splitlines()[-1])
                    declared = fixed_rate.Outcome(**answer)
            drained(engine, registration_schema, schema)
            time.sleep(0.1)
            watcher.stop.set()
            watcher.join()
            n = len(declared.latencies) if declared else 0
            lags = stages(engine, registration_schema, schema, since, watcher.seen)
            phase = Phase(variant, rate, lags, declared, cpu[0] / max(n, 1) * 1000, cpu[1] / max(n, 1) * 1000)
            phases.append(phase)
            show(phase)
            time.sleep(2)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(60)
        engine.dispose()
        shutil.rmtree(service.data_dir, ignore_errors=True)
        drop_schema(schema)
        drop_schema(registration_schema)
    return phases


def saturation_rate(python: str, workers: int) -> float:
    """What interventions serves at saturation (wrk, 16 connections, 8 s), on a service of its own."""
    engine = watching(os.environ["GSI_TEST_DATABASE_URL"])
    service = Service(
        piece=Piece("lag", "GSI_BENCH_VARIANT", "sat", "-", append=False, latency=False),
        schema=f"bench_lag_{uuid.uuid4().hex[:6]}",
        data_dir=Path(tempfile.mkdtemp(prefix="gsi-bench-lag-")),
        persons=[str(uuid.uuid4()) for _ in range(PERSONS)],
        engine=engine,
    )
    try:
        instance = start(service, "sat", workers, python)
        service.instances[instance.application] = instance
        instance.token = mint(instance.port, user_id="bench", roles=["org_staff"], organization=ORG)
        seed(service)
        saturation(service, instance, 3)
        run = saturation(service, instance, 8)
        print(f"(interventions at saturation: {run.rate:.0f}/s, p99 {run.p99_ms:.0f} ms)", flush=True)
        return run.rate
    finally:
        for instance in service.instances.values():
            instance.process.terminate()
            instance.process.wait(60)
        engine.dispose()
        shutil.rmtree(service.data_dir, ignore_errors=True)
        drop_schema(service.schema)


# figures


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def backlog_service_ms(lags: Sequence[Lag]) -> float:
    """The consumer's time per message while messages waited for it: the mean gap between two
    consecutive ``processed_at`` when the second was published before the first was processed
    (a mean: the messages of one transaction share their ``processed_at``)."""
    ordered = sorted(lags, key=lambda lag: lag.processed)
    gaps = [b.processed - a.processed for a, b in pairwise(ordered) if b.sent <= a.processed]
    return statistics.fmean(gaps) * 1000 if gaps else float("nan")


def last_quarter_p50(lags: Sequence[Lag]) -> float:
    """The lag's median over the run's last quarter: above the whole run's, a queue that grew."""
    ordered = sorted(lags, key=lambda lag: lag.created)
    return percentile([lag.seen - lag.created for lag in ordered[len(ordered) * 3 // 4 :]], 0.5) * 1000


def figures(phase: Phase) -> dict[str, float]:
    total = [lag.seen - lag.created for lag in phase.lags]
    relay = [lag.sent - lag.created for lag in phase.lags]
    consumer = [lag.processed - max(lag.sent, lag.created) for lag in phase.lags]
    out = {f"p{q}": percentile(total, q / 100) * 1000 for q in (50, 95, 99)}
    out |= {
        "max": max(total, default=float("nan")) * 1000,
        "relay_p50": percentile(relay, 0.5) * 1000, "relay_p99": percentile(relay, 0.99) * 1000,
        "consumer_p50": percentile(consumer, 0.5) * 1000, "consumer_p99": percentile(consumer, 0.99) * 1000,
        "per_message": backlog_service_ms(phase.lags), "messages": len(total),
        "late_p50": last_quarter_p50(phase.lags),
    }  # fmt: skip
    if phase.declared is not None:
        d = phase.declared
        out |= {
            "declared": len(d.latencies) / d.seconds,
            "decl_p99": fixed_rate.percentile(d.latencies, 0.99) * 1000,
        }
        out |= {"errors": d.errors, "cpu_ms": phase.cpu_ms, "pg_ms": phase.pg_ms}
    return out


def show(phase: Phase) -> None:
    f = figures(phase)
    load = "at rest" if not phase.rate else f"declaring at {phase.rate:.0f}/s"
    line = (
        f"  {phase.variant} {load:<22} lag p50 {f['p50']:6.0f} ms  p95 {f['p95']:6.0f}  p99 {f['p99']:6.0f}"
        f"  max {f['max']:6.0f}  last quarter p50 {f['late_p50']:.0f}  ({f['messages']:.0f} msgs; relay p50/p99 {f['relay_p50']:.0f}/{f['relay_p99']:.0f},"
        f" to consumer's commit p50/p99 {f['consumer_p50']:.0f}/{f['consumer_p99']:.0f},"
        f" consumer {f['per_message']:.1f} ms/msg backlogged)"
    )
    if phase.declared is not None:
        line += (
            f"  declared {f['declared']:.0f}/s p99 {f['decl_p99']:.0f} ms errors {f['errors']:.0f}"
            f" cpu {f['cpu_ms']:.2f} pg {f['pg_ms']:.2f} ms/decl"
        )
    print(f"{line}  load {os.getloadavg()[0]:.1f}", flush=True)


def summary(phases: Sequence[Phase]) -> None:
    print("median (min–max) per variant and rate:")
    keys = (
        "p50",
        "p95",
        "p99",
        "max",
        "relay_p99",
        "consumer_p99",
        "per_message",
        "declared",
        "decl_p99",
        "cpu_ms",
    )
    groups: dict[tuple[str, float], list[dict[str, float]]] = {}
    for phase in phases:
        groups.setdefault((phase.variant, phase.rate), []).append(figures(phase))
    for (variant, rate), runs in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])):
        cells = []
        for key in keys:
            values = [r[key] for r in runs if key in r]
            if values:
                cells.append(f"{key} {statistics.median(values):.1f} ({min(values):.0f}–{max(values):.0f})")
        print(f"  {variant} {rate:>5.0f}/s  " + "  ".join(cells), flush=True)


# in one process: the consumer's per-record path against its batches, alternated


@dataclass(frozen=True)
class Applied:
    wall_ms: float  # per record
    cpu_ms: float  # this process's, per record
    pg_ms: float  # the backend's, per record
    commits: float  # per record
    round_trip_ms: float  # a SELECT 1 just before, median of 20
    commit_ms: float  # an empty transaction's commit with a write, median of 20


def apply_ab(count: int, rounds: int) -> None:
    from sqlalchemy import event

    from bench.interventions import registered
    from bench.machinery import backends_cpu, spent
    from gsi_contracts import registration as contract
    from gsi_kernel.bus.embedded import EmbeddedBus
    from gsi_kernel.bus.port import Record
    from gsi_kernel.clock import SystemClock
    from gsi_kernel.consumer import ConsumerRunner
    from gsi_kernel.migrations import upgrade
    from gsi_kernel.store.database import connect
    from gsi_kernel.telemetry import Telemetry
    from interventions import registration_persons

    url, schema = os.environ["GSI_TEST_DATABASE_URL"], f"bench_apply_{uuid.uuid4().hex[:6]}"
    application = os.environ["PGAPPNAME"] = f"gsi-apply-{uuid.uuid4().hex[:6]}"
    upgrade(url, schema, Path(registration_persons.__file__).parent / "migrations")  # the service's
    db = connect(url, schema=schema, pool_size=1)
    watcher = watching(url)
    folder = Path(tempfile.mkdtemp(prefix="gsi-bench-apply-"))
    runner = ConsumerRunner(
        name=CONSUMER, db=db, bus=EmbeddedBus(folder / "bus.db"), topics=[contract.TOPIC],
        handlers=registration_persons.consumer().handlers, clock=SystemClock(), telemetry=Telemetry("bench"),
    )  # fmt: skip
    commits = [0]
    event.listen(db.engine, "commit", lambda _c: commits.__setitem__(0, commits[0] + 1))
    offset = 0

    def poll() -> list[Record]:
        nonlocal offset
        records = [
            Record(contract.TOPIC, 0, offset + n, f"person-{p}", registered(p))
            for n, p in enumerate(str(uuid.uuid4()) for _ in range(count))
        ]
        offset += count
        return records

    def probe() -> tuple[float, float]:
        trips, flushes = [], []
        with db.transaction() as connection:
            for _ in range(20):
                started = time.perf_counter()
                connection.execute(text("SELECT 1"))
                trips.append(time.perf_counter() - started)
        for _ in range(20):
            with db.transaction() as connection:
                connection.execute(text("UPDATE leases SET holder = holder WHERE false"))
                connection.execute(text("SELECT pg_current_xact_id()"))  # a transaction id: a WAL flush
                started = time.perf_counter()
            flushes.append(time.perf_counter() - started)
        return statistics.median(trips) * 1000, statistics.median(flushes) * 1000

    def one(way: str) -> Applied:
        records = poll()
        trip, flush = probe()
        pg, cpu, commits[0] = backends_cpu(watcher, application), time.process_time(), 0
        started = time.perf_counter()
        if way == "each":
            for record in records:
                runner.handle(record)
        else:
            runner.handle_all(records)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        pg_spent = spent(pg, backends_cpu(watcher, application))
        per = 1000 / count
        return Applied(wall * per, cpu * per, pg_spent * per, commits[0] / count, trip, flush)

    results: dict[str, list[Applied]] = {"each": [], "together": []}
    try:
        one("each"), one("together")  # warm-up: connections, prepared statements
        for round_ in range(rounds):
            for way in ("each", "together") if round_ % 2 == 0 else ("together", "each"):
                a = one(way)
                results[way].append(a)
                print(
                    f"  {round_ + 1} {way:<9} {a.wall_ms:6.2f} ms/record wall  cpu {a.cpu_ms:5.2f}  pg {a.pg_ms:5.2f}"
                    f"  commits {a.commits:.2f}/record   (round trip {a.round_trip_ms:.2f} ms, commit"
                    f" {a.commit_ms:.2f} ms)  load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    finally:
        runner.close()
        db.dispose()
        watcher.dispose()
        shutil.rmtree(folder, ignore_errors=True)
        drop_schema(schema)
    print(f"median (min–max) of {rounds} rounds, {count} records a poll:")
    for way, runs in results.items():
        cells = [
            f"{name} {statistics.median(getattr(r, name) for r in runs):.2f}"
            f" ({min(getattr(r, name) for r in runs):.2f}–{max(getattr(r, name) for r in runs):.2f})"
            for name in ("wall_ms", "cpu_ms", "pg_ms", "commits", "round_trip_ms", "commit_ms")
        ]
        print(f"  {way:<9} " + "  ".join(cells), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--rates", default="0,sat,300", help="declarations/s in turn (0: at rest; sat: 90%% of saturation)"
    )
    parser.add_argument("--registrations", type=float, default=20, help="registrations per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--python", default="", help="variant=interpreter,… (A/B); default: this checkout")
    parser.add_argument(
        "--apply", type=int, default=0, help="in-process A/B of the consumer, N records a poll"
    )
    parser.add_argument("--declare-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.apply:
        apply_ab(args.apply, args.rounds)
        return
    if args.declare_child:
        port, token, persons, rate, seconds = args.declare_child
        declare_child(int(port), token, Path(persons), float(rate), float(seconds))
        return
    variants = (
        dict(v.split("=", 1) for v in args.python.split(",")) if args.python else {"this": sys.executable}
    )
    plan = Plan(
        args.rates.split(","), args.registrations, args.seconds, int(os.environ.get("GSI_BENCH_WORKERS", "3"))
    )
    print(
        f"(interventions served by {plan.workers} processes; load average {os.getloadavg()[0]:.1f} at start)"
    )
    if "sat" in plan.rates:
        plan = Plan(
            plan.rates,
            plan.registrations,
            plan.seconds,
            plan.workers,
            saturation_rate(next(iter(variants.values())), plan.workers),
        )
    names = list(variants)
    phases: list[Phase] = []
    for round_ in range(args.rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            phases += measure(name, variants[name], plan)
    summary(phases)


if __name__ == "__main__":
    main()
