"""The performance machinery, each piece on (A) against off (B) in one run (issue 20, ADR 25).

For every piece whose switch the code still has (an environment variable ``GSI_AB_…`` read by
``gsi_kernel``), the same measures run with the piece on and off, interleaved (A B, B A, A B)
so that whatever else the machine does weighs on both alike, for ``--rounds`` rounds:

- ``append``: single-event commands through :class:`~gsi_kernel.writer.StreamWriter`, one
  transaction each (``bench.run``'s shape), in a process of their own;
- ``POST /interventions`` against the service served by its serving processes: two instances
  of it on one schema, one started with the piece's switch on and one with it off, loaded in
  turns. The CPU counted is both instances' (and their PostgreSQL backends'): the one that
  holds the relay's lease publishes the other's events too. For a piece made for the
  latency, first an open loop at a fixed rate (``--rate``, by default 60 % of what the service
  served at saturation in the warm-up; 64 connections, :mod:`bench.fixed_rate`: the latency a
  client sees below saturation); then at saturation (wrk, 16 connections).

Each run prints its rate, p50/p99, and the CPU it cost per operation: the Python processes
(the append process; the service's supervisor and serving processes) and, apart, their
PostgreSQL backends (found by ``application_name``). CPU per operation is the figure the
machine's other load (tests, other benches) disturbs least; the load average is printed with
each run. Then, per piece and variant, the median and the spread (min–max) of the rounds.

A piece whose switch is gone from the code (removed, or kept without a switch) is skipped with
a printed line. Figures are printed, never asserted: the machine decides them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

import gsi_kernel

LUA = Path(__file__).with_name("declare.lua")
ORG = "org-bench"
PERSONS = 2_000
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Piece:
    name: str
    variable: str  # the switch, read by gsi_kernel
    on: str  # A: the machinery as it is
    off: str  # B: without it (or the maintained library doing the job)
    append: bool  # the StreamWriter measure too (the piece is on its path)
    latency: bool  # the open loop too (the piece was made for the latency below saturation)
    needs: str | None = None  # a module variant B needs


PIECES = (
    Piece("serving", "GSI_AB_SERVING", "ours", "gunicorn", append=False, latency=True, needs="gunicorn"),
    Piece("run_short", "GSI_AB_RUN_SHORT", "loop", "thread", append=False, latency=True),
    Piece("read_ahead", "GSI_AB_READ_AHEAD", "libpq", "off", append=True, latency=False),
    Piece("held_writes", "GSI_AB_HELD_WRITES", "on", "off", append=True, latency=False),
    Piece("gc_freeze", "GSI_AB_GC_FREEZE", "on", "off", append=False, latency=True),
    Piece("prepared", "GSI_AB_PREPARED", "on", "off", append=False, latency=False),
    Piece("watchdog", "GSI_AB_WATCHDOG", "on", "off", append=False, latency=True),
)


@dataclass(frozen=True)
class Run:
    rate: float  # operations per second
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float  # Python processes' CPU per operation
    pg_ms: float  # their PostgreSQL backends' CPU per operation


def switch_exists(variable: str) -> bool:
    """Whether the kernel's code still reads ``variable``."""
    root = Path(gsi_kernel.__file__).parent
    return any(variable in path.read_text(encoding="utf-8") for path in root.rglob("*.py"))


# CPU of processes, from /proc (Linux): no dependency, and the children of a process found too.


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU in seconds) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and every live descendant."""
    stats = {
        int(p.name): s for p in Path("/proc").iterdir() if p.name.isdigit() and (s := _stat(int(p.name)))
    }
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        if pid in stats:
            total += stats[pid][1]
            pending.extend(child for child, (parent, _) in stats.items() if parent == pid)
    return total


def backends_cpu(engine: Engine, application: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected as ``application`` (same machine)."""
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": application}
        ).scalars()
        return {pid: s[1] for pid in pids if (s := _stat(pid))}


def watching(url: str) -> Engine:
    """An engine whose own backends are not counted with those it watches."""
    return create_engine(url, connect_args={"application_name": "gsi-ab-watch"})


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU between two samples (a backend opened in between counts from zero)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# append: single-event commands through StreamWriter, in a process started with the switch set


def append_child(seconds: float) -> None:
    """(In the child process.) Append for ``seconds``; print one JSON line of figures."""
    from bench.run import Declared, drop_schema, fresh_schema
    from gsi_kernel.clock import SystemClock
    from gsi_kernel.envelope import CommandContext
    from gsi_kernel.events import EventRegistry
    from gsi_kernel.store.event_store import EventStore
    from gsi_kernel.writer import StreamWriter, integration_event

    url = os.environ["GSI_TEST_DATABASE_URL"]
    db, schema = fresh_schema(url)
    clock = SystemClock()
    writer = StreamWriter(
        db=db,
        store=EventStore(source="gsi/bench", clock=clock),
        registry=EventRegistry([Declared]),
        clock=clock,
        publisher=lambda e: [integration_event(e, "bench-ab", Declared(**e.payload))],
    )
    context = CommandContext.new("bench", ORG)
    payload = {"code": "ACC", "service_date": "2026-11-20", "duration_minutes": 60, "notes": "x" * 300}
    watcher = watching(url)
    try:
        for i in range(200):  # warm-up: connections, prepared statements
            writer.execute(f"warm-{i}", lambda _h: [Declared(**payload)], context)
        latencies: list[float] = []
        pg_before, cpu_before = backends_cpu(watcher, os.environ["PGAPPNAME"]), time.process_time()
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            one = time.perf_counter()
            writer.execute(f"s-{len(latencies)}", lambda _h: [Declared(**payload)], context)
            latencies.append(time.perf_counter() - one)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        pg = spent(pg_before, backends_cpu(watcher, os.environ["PGAPPNAME"]))
    finally:
        db.dispose()
        watcher.dispose()
        drop_schema(url, schema)
    latencies.sort()
    n = len(latencies)
    print(json.dumps({
        "rate": n / elapsed, "p50_ms": latencies[n // 2] * 1000, "p99_ms": latencies[int(n * 0.99)] * 1000,
        "errors": 0, "cpu_ms": cpu / n * 1000, "pg_ms": pg / n * 1000,
    }))  # fmt: skip


def append_run(variable: str, value: str, seconds: float) -> Run:
    env = {**os.environ, variable: value, "PGAPPNAME": f"gsi-ab-{uuid.uuid4().hex[:8]}"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.machinery", "--append-child", "--seconds", str(seconds)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return Run(**json.loads(done.stdout.strip().splitlines()[-1]))


# http: POST /interventions at saturation, the service restarted with the switch set


@dataclass
class Service:
    """The service under a piece's A/B: one schema, an instance per variant."""

    piece: Piece
    schema: str
    data_dir: Path
    persons: list[str]
    engine: Engine
    instances: dict[str, Instance] = field(default_factory=dict)  # by application_name


@dataclass
class Instance:
    value: str
    port: int
    application: str  # its PostgreSQL backends' application_name
    process: subprocess.Popen[bytes]
    token: str = ""


def start(service: Service, value: str, workers: int, python: str = sys.executable) -> Instance:
    """An instance with the piece's switch set to ``value``, as ``bench.registration``'s
    ``start_service`` starts one, given minutes to start (a machine loaded by others may need
    them); its log shown if it does not. ``python``: another checkout's interpreter
    (:mod:`bench.revisions`)."""
    from scripts.launcher import get_json

    port, application = free_port(), f"gsi-ab-{uuid.uuid4().hex[:8]}"
    data_dir = service.data_dir / value
    data_dir.mkdir(exist_ok=True)
    env = {
        **os.environ,
        service.piece.variable: value,
        "PGAPPNAME": application,
        "GSI_HTTP_WORKERS": str(workers),
        "GSI_DATA_DIR": str(data_dir),
        "GSI_DATABASE_URL": os.environ["GSI_TEST_DATABASE_URL"],
        "GSI_DB_SCHEMA": service.schema,
        "GSI_BUS": "kafka",
        "GSI_KAFKA_BOOTSTRAP_SERVERS": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        "GSI_KAFKA_NAMESPACE": f"{service.schema}.",
        "GSI_LOG_LEVEL": "WARNING",
        "GSI_HTTP_PORT": str(port),
    }
    path = data_dir / "interventions.log"
    with path.open("ab") as log:
        process = subprocess.Popen([python, "-m", "interventions", "serve"], env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 600
    while get_json(f"http://127.0.0.1:{port}/ready") is None:
        if time.monotonic() > deadline or process.poll() is not None:
            process.terminate()
            process.wait(60)
            raise RuntimeError(f"interventions did not start:\n{path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.5)
    return Instance(value, port, application, process)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(service: Service) -> None:
    """The persons the declarations name, known to the service (over Kafka, as registration's)."""
    from bench.interventions import registered, wait_until_consuming
    from gsi_contracts import registration as contract
    from gsi_kernel.bus.kafka import KafkaBus
    from gsi_kernel.bus.port import Message

    wait_until_consuming(service.engine, service.schema, contract.TOPIC)
    producer = KafkaBus(
        os.environ["KAFKA_BOOTSTRAP_SERVERS"], client_id="bench", namespace=f"{service.schema}."
    ).producer()
    for first in range(0, len(service.persons), 200):
        chunk = service.persons[first : first + 200]
        producer.publish([Message(contract.TOPIC, f"person-{p}", registered(p)) for p in chunk])
    producer.close()
    query = text(f'SELECT count(*) FROM "{service.schema}".known_persons')
    deadline = time.monotonic() + 300
    with service.engine.connect() as connection:
        while (connection.execute(query).scalar() or 0) < len(service.persons):
            connection.rollback()
            if time.monotonic() > deadline:
                raise RuntimeError("the service never knew the bench's persons")
            time.sleep(0.2)


def wrk(instance: Instance, persons: Sequence[str], seconds: float) -> dict[str, float]:
    env = {**os.environ, "GSI_TOKEN": instance.token, "GSI_PERSONS": ",".join(persons[:3000])}
    url = f"http://127.0.0.1:{instance.port}"
    args = ["wrk", "-t2", "-c16", f"-d{seconds:.0f}s", "-s", str(LUA), url]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT"))
    return {k: float(v) for k, v in (pair.split("=") for pair in line.split()[1:])}


def declarations(instance: Instance, persons: Sequence[str], count: int) -> list[bytes]:
    """``count`` varied declarations as HTTP requests, for :mod:`bench.fixed_rate`."""
    from bench import fixed_rate

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {instance.token}"}
    rng = random.Random(7)
    codes = [("PDI", "V1"), ("ADM", "V1"), ("PDI", "V2"), ("ACC", "V1"), ("SUI", "V1")]
    requests = []
    for _ in range(count):
        code, volet = rng.choice(codes)
        body = {
            "person_id": rng.choice(persons), "code": code, "volet": volet, "mode": "in_person",
            "service_date": f"2026-{rng.randint(10, 11):02d}-{rng.randint(1, 27):02d}",
            "duration_minutes": 15 * rng.randint(1, 6), "staff_member": f"staff-{rng.randint(1, 40)}",
        }  # fmt: skip
        data = json.dumps(body).encode()
        requests.append(fixed_rate.http_post("127.0.0.1", instance.port, "/interventions", data, headers))
    return requests


@contextmanager
def costs(service: Service) -> Iterator[list[float]]:
    """CPU seconds spent inside: [every instance's processes, their PostgreSQL backends]. Both
    instances count, whichever is loaded: the background workers of one (the relay's lease
    holder, the consumers) do work for the other's requests."""
    spent_cpu: list[float] = []
    pg_before = {a: backends_cpu(service.engine, a) for a in service.instances}
    cpu_before = sum(tree_cpu(i.process.pid) for i in service.instances.values())
    yield spent_cpu
    spent_cpu.append(sum(tree_cpu(i.process.pid) for i in service.instances.values()) - cpu_before)
    spent_cpu.append(sum(spent(pg_before[a], backends_cpu(service.engine, a)) for a in service.instances))


def open_loop(service: Service, instance: Instance, rate: float, seconds: float) -> Run:
    from bench import fixed_rate

    requests = declarations(instance, service.persons, int(rate * seconds) + 100)
    with costs(service) as cpu:
        out = fixed_rate.run("127.0.0.1", instance.port, requests, rate=rate, seconds=seconds)
    n = max(1, len(out.latencies))
    return Run(
        rate=n / out.seconds,
        p50_ms=fixed_rate.percentile(out.latencies, 0.5) * 1000,
        p99_ms=fixed_rate.percentile(out.latencies, 0.99) * 1000,
        errors=out.errors,
        cpu_ms=cpu[0] / n * 1000,
        pg_ms=cpu[1] / n * 1000,
    )


def saturation(service: Service, instance: Instance, seconds: float) -> Run:
    with costs(service) as cpu:
        f = wrk(instance, service.persons, seconds)
    n = max(1.0, f["requests"])
    return Run(
        rate=n / (f["duration_us"] / 1e6),
        p50_ms=f["p50_us"] / 1000,
        p99_ms=f["p99_us"] / 1000,
        errors=int(f["errors"]),
        cpu_ms=cpu[0] / n * 1000,
        pg_ms=cpu[1] / n * 1000,
    )


# the A/B itself


def show(label: str, run: Run) -> None:
    load = os.getloadavg()[0]
    print(
        f"  {label:<28}{run.rate:>8,.0f}/s  p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms"
        f"  cpu {run.cpu_ms:5.2f} ms/op  pg {run.pg_ms:5.2f} ms/op  errors {run.errors}  load {load:.1f}",
        flush=True,
    )


FIELDS = (
    ("rate", "/s", 0),
    ("p50_ms", " ms", 1),
    ("p99_ms", " ms", 1),
    ("cpu_ms", " ms/op", 2),
    ("pg_ms", " ms/op", 2),
)


def summary(piece: Piece, measure: str, runs: dict[str, list[Run]]) -> None:
    print(f"  median (min–max) of {measure}, {piece.name}:")
    for value in (piece.on, piece.off):
        cells = []
        for name, unit, digits in FIELDS:
            figures = [getattr(r, name) for r in runs[value]]
            cells.append(
                f"{name} {statistics.median(figures):.{digits}f}"
                f" ({min(figures):.{digits}f}–{max(figures):.{digits}f}){unit}"
            )
        label = f"{'A' if value == piece.on else 'B'} {value}"
        print(f"    {label:<12}" + "  ".join(cells), flush=True)


@dataclass(frozen=True)
class Plan:
    rounds: int
    seconds: float  # each HTTP load
    append_seconds: float
    workers: int
    rate: float  # the open loop's; 0: 60 % of the warm-up's saturation


def interleaved(piece: Piece, rounds: int) -> Iterator[tuple[int, str]]:
    """(round, value): A B, B A, A B…"""
    for round_ in range(rounds):
        for value in (piece.on, piece.off) if round_ % 2 == 0 else (piece.off, piece.on):
            yield round_ + 1, value


def label(piece: Piece, measure: str, round_: int, value: str) -> str:
    return f"{measure} {round_} {'A' if value == piece.on else 'B'} {value}"


def ab_append(piece: Piece, plan: Plan) -> None:
    runs: dict[str, list[Run]] = {piece.on: [], piece.off: []}
    for round_, value in interleaved(piece, plan.rounds):
        runs[value].append(append_run(piece.variable, value, plan.append_seconds))
        show(label(piece, "append", round_, value), runs[value][-1])
    summary(piece, "append", runs)


def ab_http(piece: Piece, plan: Plan) -> None:
    from bench.registration import drop_schema, mint

    service = Service(
        piece=piece,
        schema=f"bench_ab_{piece.name}_{uuid.uuid4().hex[:6]}",
        data_dir=Path(tempfile.mkdtemp(prefix="gsi-bench-ab-")),
        persons=[str(uuid.uuid4()) for _ in range(PERSONS)],
        engine=watching(os.environ["GSI_TEST_DATABASE_URL"]),
    )
    instances: dict[str, Instance] = {}
    try:
        for value in (piece.on, piece.off):  # one after the other: the first migrates
            instances[value] = instance = start(service, value, plan.workers)
            service.instances[instance.application] = instance
            instance.token = mint(instance.port, user_id="bench", roles=["org_staff"], organization=ORG)
            if len(instances) == 1:
                seed(service)
        warm = [saturation(service, instance, 5).rate for instance in instances.values()]
        rate = plan.rate or max(10.0, round(0.6 * min(warm) / 10) * 10)
        fixed = f"fixed {rate:.0f}/s"
        runs: dict[str, dict[str, list[Run]]] = {
            m: {piece.on: [], piece.off: []} for m in (fixed, "saturation")
        }
        for round_, value in interleaved(piece, plan.rounds):
            instance = instances[value]
            if piece.latency:
                time.sleep(2)  # the last load's backlog (relay) drains
                runs[fixed][value].append(open_loop(service, instance, rate, plan.seconds))
                show(label(piece, fixed, round_, value), runs[fixed][value][-1])
            runs["saturation"][value].append(saturation(service, instance, plan.seconds))
            show(label(piece, "saturation", round_, value), runs["saturation"][value][-1])
        if piece.latency:
            summary(piece, fixed, runs[fixed])
        summary(piece, "saturation", runs["saturation"])
    finally:
        for instance in instances.values():
            instance.process.terminate()
        for instance in instances.values():
            instance.process.wait(60)
        service.engine.dispose()
        shutil.rmtree(service.data_dir, ignore_errors=True)
        drop_schema(service.schema)


def ab(piece: Piece, plan: Plan) -> None:
    if not switch_exists(piece.variable):
        print(f"== {piece.name}: skipped, the code has no {piece.variable} switch (removed, or kept as is)")
        return
    if piece.needs and importlib.util.find_spec(piece.needs) is None:
        print(f"== {piece.name}: skipped, {piece.needs} is not installed")
        return
    print(f"== {piece.name}: A {piece.variable}={piece.on}  vs  B {piece.variable}={piece.off}", flush=True)
    if piece.append:
        ab_append(piece, plan)
    ab_http(piece, plan)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pieces", default=",".join(p.name for p in PIECES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=12, help="each HTTP load's length")
    parser.add_argument("--append-seconds", type=float, default=6)
    parser.add_argument("--rate", type=float, default=0, help="the open loop's rate (0: from the warm-up)")
    parser.add_argument("--append-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.append_child:
        append_child(args.seconds)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    plan = Plan(
        args.rounds,
        args.seconds,
        args.append_seconds,
        int(os.environ.get("GSI_BENCH_WORKERS", "3")),
        args.rate,
    )
    wanted = set(args.pieces.split(","))
    print(
        f"(interventions served by {plan.workers} processes; load average {os.getloadavg()[0]:.1f} at start)"
    )
    for piece in PIECES:
        if piece.name in wanted:
            ab(piece, plan)


if __name__ == "__main__":
    main()
