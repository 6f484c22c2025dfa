"""``uv run python -m bench.deadline_week``: the deadline-week load (issue 22 §5) against the
replicated topology (:mod:`scripts.cluster`), with one replica per service and with three, in
the same run, interleaved (``--replicas 1,3 --rounds 2`` runs 1, 3, 1, 3).

The scenario: ``--organizations`` (120) organizations in the last three days before a quarter's
submission deadline, compressed into ``--seconds`` of load through HAProxy:

- **staff declaring interventions** (``POST /interventions``, closed loop, no pause): one seat
  busy for every 10 organizations. In a deadline week most of the traffic is staff catching up
  on their quarter, one intervention at a time;
- **imports of ``--import-rows`` (5,000) rows** (CSV, ``POST /imports`` then the job polled until
  done): one organization in 30 brings its quarter as a file (4 of 120), at times spread over the
  first two thirds of the run, one at a time — an import is big, rare and ahead of the submission;
- **managers verifying, then submitting, each organization's report** (``POST …/verify`` twice,
  then ``…/verify`` and ``…/submit``): one manager seat for every 60 organizations, at times
  spread over the run (each organization submits once, in the last 60 %, after its verifies), so
  these two operations' throughput is the schedule's and their latency is the figure to read;
- **ministry reviewers working the queue** in the portal (signed in through the development form
  as the demo reviewer, assigned to every organization): the work queue page, then the control
  page of a submitted report (the queue alone until one is); one reviewer for every 30
  organizations, pausing ``--think`` (0.5 s) between pages.

So for 120 organizations: 12 staff seats, 4 imports of 5,000 rows, 2 managers (360 verifies,
120 submissions), 4 reviewers. Staff and reviewers run as fast as the system answers: their
throughput is what replicas can raise.

Each round (a replica count) gets a fresh topology: its own namespace (schemas, topics), dropped
at the end. It first seeds what the scenario needs through the APIs with development tokens, on
a business day at the quarter's start (``GSI_CLOCK_OFFSET_DAYS``): the organizations in
reporting's registry, an agreement each, ``--persons`` persons each (registration), the reviewer
assigned to all; it waits until interventions and reporting know them all. The topology is then
restarted on the business day three days before the deadline (a report may be submitted once its
quarter has ended), warmed up (``--warmup``, 10 s of staff and reviewers, not counted: fresh
processes import and fill their caches, the brokers' JIT compiles), and measured.

Printed per operation: completed, throughput, p50/p95/p99 latency (ms, from the client: a queue
in HAProxy counts), errors; the CPU (s) of each service's replicas (their processes and
children, from /proc: the pids ``topology.json``'s topology wrote in ``run/``), of PostgreSQL's
backends serving the topology's database (their pids sampled from ``pg_stat_activity``), of the
Kafka brokers, HAProxy and this client, and each one's CPU-ms per request (all operations: one
process serves them all at once, so the CPU is not split by operation); then three/one ratios of
throughput. Below 2× on the whole mix, the bottleneck figures: CPU per request per service at
each replica count, the machine's busy share, and PostgreSQL's wait events sampled from
``pg_stat_activity`` every 0.25 s.

Its own ports (38500…: HAProxy's frontends, stats 38509, replicas 38511…; three Kafka brokers on
38592-38594, controllers 38692-38694, in ``/var/tmp/gsi-bench-deadline-kafka``), its own database
(``gsi_deadline_week`` on postgres.sh's server): nothing shared with tests/cluster (28500…) or a
developer's topology (28000…). Everything started is stopped at the end. Figures are printed,
never asserted: the machine decides them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import math
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.portal_pages import CSRF, cpu_seconds
from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from reporting.calendar.domain import load_defaults
from scripts.cluster import DEPLOYABLES, PORTAL, SERVICES, Topology, delete_topics
from scripts.demo_plan import REVIEWER

ROOT = Path(__file__).resolve().parents[1]
KAFKA_CLUSTER = ROOT / "deploy/local/kafka-cluster.sh"
BASE_PORT = 38500
KAFKA_ENV = {
    "GSI_KAFKA_CLUSTER_DIR": "/var/tmp/gsi-bench-deadline-kafka",
    "GSI_KAFKA_CLUSTER_PORT": "38592",
    "GSI_KAFKA_CLUSTER_CONTROLLER_PORT": "38692",
}
DATABASE = "gsi_deadline_week"
DAYS_BEFORE_DEADLINE = 3
OPERATIONS = ("declare", "import", "verify", "submit", "queue page", "control page")
# Declared by hand and imported: distinct codes, so that no row repeats another (same person,
# code and day is refused as a duplicate).
DECLARED_CODES = (("ACC", "V1"), ("ADM", "V1"), ("SUI", "V1"))
IMPORTED_CODES = (("PDI", "V2"), ("EVB", "V1"))
PG_SAMPLE_S = 0.25
BALANCER_SAMPLE_S = 0.5  # HAProxy checks every 1-2 s: each result is seen
IDLE_S = 5.0  # at rest before the warm-up: the background work's CPU
SCHEDULED = ("import", "verify", "submit")  # at the scenario's times: their rate is its own


# --- the scenario's mix (pure) ------------------------------------------------------------


@dataclass(frozen=True)
class Mix:
    """How many of each actor work at once (see the module's docstring for the proportions)."""

    declarers: int
    reviewers: int
    managers: int
    imports: int


def mix_for(organizations: int, imports: int | None = None) -> Mix:
    return Mix(
        declarers=max(2, round(organizations / 10)),
        reviewers=max(1, round(organizations / 30)),
        managers=max(1, round(organizations / 60)),
        imports=max(1, round(organizations / 30)) if imports is None else imports,
    )


@dataclass(frozen=True, order=True)
class Step:
    """A manager's step: at ``at`` seconds into the run, ``operation`` on ``organization``."""

    at: float
    operation: str
    organization: str


def manager_schedule(organizations: Sequence[str], seconds: float, rng: random.Random) -> list[Step]:
    """Two verifies of each organization's report, then a last verify and the submission, at
    times spread over the run: the submissions in its last 60 %, each after its verifies."""
    steps = []
    for org in organizations:
        submit = rng.uniform(0.4, 0.95) * seconds
        first, second = sorted(rng.uniform(0.02, submit / seconds) * seconds for _ in range(2))
        steps += [Step(first, "verify", org), Step(second, "verify", org)]
        steps += [Step(submit, "verify", org), Step(submit, "submit", org)]
    return sorted(steps, key=lambda s: (s.at, s.operation != "verify"))


def import_schedule(count: int, seconds: float) -> list[float]:
    """When each import starts: spread evenly over the run's first two thirds."""
    return [seconds * (0.05 + 0.6 * n / max(1, count)) for n in range(count)]


def quarter_days(quarter: FiscalQuarter) -> list[date]:
    """The days interventions are dated on: the quarter's, but its first. Persons are registered
    on its first day by the business clock, unless the seeding runs past midnight in Montréal:
    the last ones are then registered on the second, and a declaration dated before a person's
    registration is refused (422 ``intervention.date_before_registration``: 978 of them in a
    round that started at 23:58)."""
    first = quarter.first_day + timedelta(days=1)
    return [first + timedelta(days=n) for n in range((quarter.last_day - first).days + 1)]


def declaration(k: int, persons: Sequence[str], days: Sequence[date]) -> dict[str, Any]:
    """The organization's ``k``-th declaration: (person, day, code) distinct for every ``k``
    below persons × days × codes, so that none is refused as a duplicate."""
    person = persons[k % len(persons)]
    day = days[(k // len(persons)) % len(days)]
    code, volet = DECLARED_CODES[(k // (len(persons) * len(days))) % len(DECLARED_CODES)]
    return {
        "person_id": person, "code": code, "volet": volet, "service_date": day.isoformat(),
        "duration_minutes": 15 * (1 + k % 6), "mode": "in_person", "staff_member": f"staff-{k % 7}",
    }  # fmt: skip


def import_csv(persons: Sequence[str], days: Sequence[date], rows: int) -> bytes:
    """``rows`` distinct interventions (codes the declarations do not use)."""
    capacity = len(persons) * len(days) * len(IMPORTED_CODES)
    if rows > capacity:
        raise ValueError(f"{rows} rows: at most {capacity} distinct with {len(persons)} persons")
    lines = ["person_id;code;service_date;duration_minutes;mode;volet;staff_member;notes"]
    for n in range(rows):
        person = persons[n % len(persons)]
        day = days[(n // len(persons)) % len(days)]
        code, volet = IMPORTED_CODES[n // (len(persons) * len(days))]
        lines.append(f"{person};{code};{day.isoformat()};45;in_person;{volet};staff-{n % 9};")
    return ("\n".join(lines) + "\n").encode()


def parse_replicas(text_: str) -> list[int]:
    counts = [int(part) for part in text_.split(",") if part.strip()]
    if not counts or any(not 1 <= c <= 9 for c in counts):
        raise argparse.ArgumentTypeError(f"replica counts 1-9, comma-separated, not {text_!r}")
    return counts


# --- figures (pure) -----------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank of sorted ``values``: the smallest value with at least ``q`` of them at
    or below it. NaN when there is none."""
    if not values:
        return math.nan
    return values[max(0, math.ceil(q * len(values)) - 1)]


@dataclass
class Sample:
    operation: str
    seconds: float
    ok: bool


@dataclass(frozen=True)
class OperationFigures:
    operation: str
    done: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def figures(samples: Sequence[Sample], seconds: float) -> list[OperationFigures]:
    """Per operation, in :data:`OPERATIONS` order: completed (errors included), throughput of the
    successful ones, latency percentiles of the successful ones, errors."""
    found = []
    for operation in OPERATIONS:
        mine = [s for s in samples if s.operation == operation]
        good = sorted(s.seconds for s in mine if s.ok)
        found.append(
            OperationFigures(
                operation,
                len(mine),
                len(good) / seconds if seconds > 0 else math.nan,
                percentile(good, 0.50) * 1000,
                percentile(good, 0.95) * 1000,
                percentile(good, 0.99) * 1000,
                len(mine) - len(good),
            )
        )
    return found


def replica_pids(root: Path) -> dict[str, list[int]]:
    """The running replicas of the topology recorded in ``root/topology.json``, by deployable
    (its pid files in ``run/``; a stopped replica is absent)."""
    topology = Topology.load(root)
    if topology is None:
        raise FileNotFoundError(root / "topology.json")
    found: dict[str, list[int]] = {d: [] for d in DEPLOYABLES}
    for deployable, n in topology.members():
        if (pid := topology.pid(deployable, n)) is not None:
            found[deployable].append(pid)
    return found


def ratio(three: float, one: float) -> float:
    return three / one if one > 0 else math.nan


# --- CPU and PostgreSQL's waits -----------------------------------------------------------


def _proc_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / 100.0


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class PostgresSampler:
    """Every :data:`PG_SAMPLE_S`, the backends serving ``database``: their CPU (first and last
    reading of each pid) and what the active ones wait on."""

    def __init__(self, url: str, database: str) -> None:
        self.engine = create_engine(url)
        self.database = database
        self.waits: Counter[str] = Counter()
        self.lock_waiters: Counter[str] = Counter()  # the statements that waited on a lock
        self.samples = 0
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Idempotent: the samples stay readable."""
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(10)
        self.engine.dispose()

    @property
    def cpu_s(self) -> float:
        return sum(self.last[p] - self.first[p] for p in self.last)

    def _run(self) -> None:
        query = text(
            "SELECT pid, state, coalesce(wait_event_type, ''), coalesce(wait_event, ''), "
            "left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
            "FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as connection:
            while not self._stop.wait(PG_SAMPLE_S):
                rows = connection.execute(query, {"db": self.database}).all()
                connection.rollback()
                self.samples += 1
                for pid, state, kind, event, statement in rows:
                    if (cpu := _proc_cpu(pid)) is not None:
                        self.first.setdefault(pid, cpu)
                        self.last[pid] = cpu
                    if state == "active":
                        self.waits[f"{kind}:{event}" if kind else "CPU (no wait)"] += 1
                        if kind == "Lock":
                            self.lock_waiters[statement] += 1


class BalancerSampler:
    """Every :data:`BALANCER_SAMPLE_S`, HAProxy's view of each replica: each failed health check
    (its ``chkfail`` rising) counted by kind (``L7TOUT``: no answer within ``timeout check``;
    ``L7STS/503``: an answer with that status…) with the check's last words, and each time a
    replica was taken out (``chkdown`` rising)."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.failed: Counter[str] = Counter()  # "interventions-1 L7TOUT" → failed checks
        self.taken_out: Counter[str] = Counter()  # "interventions-1" → times taken out
        self.said: dict[str, str] = {}  # a failure's kind → the last ``last_chk`` seen for it
        self._seen: dict[str, tuple[int, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="balancer-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(BALANCER_SAMPLE_S):
            with contextlib.suppress(OSError, IndexError):  # HAProxy restarting: the next look
                self.look(self.topology.balancer_servers())

    def look(self, rows: Sequence[Mapping[str, str]]) -> None:
        for row in rows:
            server = row["svname"]  # "interventions-1"
            fails, downs = int(row.get("chkfail") or 0), int(row.get("chkdown") or 0)
            before = self._seen.get(server)
            self._seen[server] = (fails, downs)
            if before is None:
                continue
            if fails > before[0]:
                kind = row.get("check_status", "").removeprefix("* ") or "?"
                if kind.startswith("L7STS"):
                    kind = f"{kind}/{row.get('check_code', '')}"
                self.failed[f"{server} {kind}"] += fails - before[0]
                if said := row.get("last_chk"):
                    self.said[kind] = said
            if downs > before[1]:
                self.taken_out[server] += downs - before[1]


# --- one round ----------------------------------------------------------------------------


@dataclass
class Org:
    org: str
    persons: list[str] = field(default_factory=list)
    declared: int = 0
    submitted: bool = False


@dataclass
class Round:
    replicas: int
    number: int
    seconds: float
    samples: list[Sample]
    cpu_s: dict[str, float]
    requests: int
    machine_busy: float  # share of all cores
    pg_waits: Counter[str]
    pg_samples: int
    pg_lock_waiters: Counter[str]
    balancer: BalancerSampler | None = None
    idle_cpu_per_s: dict[str, float] = field(default_factory=dict)  # at rest, before the load


def _person(n: int, quarter: FiscalQuarter) -> dict[str, Any]:
    since = (quarter.first_day - timedelta(days=200)).isoformat()
    letters = "".join(random.choices("abcdefghijklmnopqrstuvwxyz", k=8)).capitalize()
    return {
        "family_name": letters, "given_name": f"Personne{n}", "birth_date": "1984-03-12", "sex": "F",
        "country_of_birth": "SY",
        "status": {"status": "government_assisted_refugee", "effective_from": since, "admission_date": since},
        "address": {"region": "05", "municipality": "Sherbrooke"},
        "consents": ["service_delivery", "ministry_reporting"],
    }  # fmt: skip


async def _token(http: httpx.AsyncClient, topology: Topology, **claims: Any) -> dict[str, str]:
    answer = await http.post(f"{topology.url('registration')}/dev/token", json={**claims, "ttl_minutes": 240})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def seed(topology: Topology, orgs: list[Org], persons: int, quarter: FiscalQuarter) -> None:
    """The organizations, their agreements and persons, the reviewer assigned to all; until
    interventions and reporting know every person and agreement."""
    started = time.monotonic()
    reporting, registration = topology.url("reporting"), topology.url("registration")
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=120) as http:
        admin = await _token(http, topology, user_id="admin@mifi", roles=["admin"])
        fiscal_start = FiscalQuarter(quarter.start_year, 1).first_day
        agreement_ends = FiscalQuarter(quarter.start_year + 2, 4).last_day

        async def organization(org: Org) -> None:
            async with gate:
                body = {"organization_id": org.org, "name": f"Organisme {org.org}", "regions": ["05"]}
                answer = await http.post(f"{reporting}/organizations", headers=admin, json=body)
                assert answer.status_code in {201, 409}, answer.text
                agreement = {
                    "organization_id": org.org, "program": "PASI", "starts_on": fiscal_start.isoformat(),
                    "ends_on": agreement_ends.isoformat(), "volets": ["V1", "V2", "V3"],
                }  # fmt: skip
                for _ in range(600):  # once the registry shows the organization (a moment after)
                    answer = await http.post(f"{reporting}/agreements", headers=admin, json=agreement)
                    if answer.status_code == 201:
                        break
                    assert answer.status_code == 404, answer.text
                    await asyncio.sleep(0.1)
                answer = await http.put(
                    f"{reporting}/organizations/{org.org}/reviewers/{REVIEWER}", headers=admin
                )
                assert answer.status_code == 204, answer.text
                staff = await _token(
                    http, topology, user_id=f"staff@{org.org}", roles=["org_staff"], organization=org.org
                )
                for n in range(persons):
                    answer = await http.post(
                        f"{registration}/persons",
                        headers={**staff, "Idempotency-Key": str(uuid.uuid4())},
                        json=_person(n, quarter),
                    )
                    assert answer.status_code == 201, answer.text
                    org.persons.append(answer.json()["person_id"])

        await asyncio.gather(*(organization(o) for o in orgs))
    engine = create_engine(topology.database_url)
    expected = {
        f'"{topology.schema("interventions")}".known_persons': len(orgs) * persons,
        f'"{topology.schema("interventions")}".agreements': len(orgs),
        f'"{topology.schema("reporting")}".known_persons': len(orgs) * persons,
    }
    try:
        deadline = time.monotonic() + 300
        with engine.connect() as connection:
            for table, count in expected.items():
                while (
                    seen := connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                ) < count:
                    connection.rollback()
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{table}: {seen} rows of {count} after 300 s")
                    await asyncio.sleep(0.5)
    finally:
        engine.dispose()
    print(
        f"  seeded {len(orgs)} organizations, {len(orgs) * persons:,} persons "
        f"({time.monotonic() - started:.0f} s)",
        flush=True,
    )


class Load:
    """The measured run's actors (see the module's docstring), sharing a list of samples."""

    def __init__(
        self, topology: Topology, orgs: list[Org], quarter: FiscalQuarter, args: argparse.Namespace
    ) -> None:
        self.topology = topology
        self.orgs = orgs
        self.quarter = quarter
        self.days = quarter_days(quarter)
        self.args = args
        self.mix = mix_for(len(orgs), args.imports)
        self.samples: list[Sample] = []
        self.rng = random.Random(22)
        self.started = 0.0
        self.end = 0.0
        self.staff: dict[str, dict[str, str]] = {}
        self.managers: dict[str, dict[str, str]] = {}
        # One organization's steps run one after the other, whichever manager took them: its
        # last verify and its submission are due at the same moment, and two managers running
        # them at once on one report got the report's own answers — 409 concurrency_conflict
        # (both expected the same version) or invalid_transition (a verify after the submit).
        self.report_turns: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def record(self, operation: str, since: float, ok: bool) -> None:
        self.samples.append(Sample(operation, time.perf_counter() - since, ok))

    async def run(self, begin: Callable[[], None], finish: Callable[[], None]) -> None:
        """Mint the tokens, sign the reviewers in, warm up (``--warmup`` s of staff and
        reviewers, not counted), then the measured run between ``begin()`` and ``finish()``."""
        async with httpx.AsyncClient(timeout=120) as http:
            for org in self.orgs:
                self.staff[org.org] = await _token(
                    http, self.topology, user_id=f"staff@{org.org}", roles=["org_staff"], organization=org.org
                )
                self.managers[org.org] = await _token(
                    http,
                    self.topology,
                    user_id=f"manager@{org.org}",
                    roles=["org_manager"],
                    organization=org.org,
                )
        reviewers = [await self._signed_in() for _ in range(self.mix.reviewers)]
        try:
            if self.args.warmup > 0:  # fresh processes: imports, caches, JIT of the brokers
                self.end = time.perf_counter() + self.args.warmup
                await asyncio.gather(
                    *(self._declarer(n) for n in range(self.mix.declarers)),
                    *(self._reviewer(client, n) for n, client in enumerate(reviewers)),
                )
                self.samples.clear()
            steps = manager_schedule([o.org for o in self.orgs], self.args.seconds, self.rng)
            begin()
            self.started = time.perf_counter()
            self.end = self.started + self.args.seconds
            await asyncio.gather(
                *(self._declarer(n) for n in range(self.mix.declarers)),
                *(self._reviewer(client, n) for n, client in enumerate(reviewers)),
                *(self._manager(steps) for _ in range(self.mix.managers)),
                self._importer(),
            )
            finish()
        finally:
            for client in reviewers:
                await client.aclose()

    async def _signed_in(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.topology.url(PORTAL), timeout=120)
        form = await client.get("/signin")
        token = CSRF.search(form.text)
        assert token, form.text[:500]
        done = await client.post("/signin/dev", data={"user_id": REVIEWER, "csrf_token": token[1]})
        assert done.status_code == 303, done.text[:500]
        return client

    async def _declarer(self, n: int) -> None:
        url = f"{self.topology.url('interventions')}/interventions"
        rng = random.Random(n)
        async with httpx.AsyncClient(timeout=120) as http:
            while time.perf_counter() < self.end:
                open_ = [o for o in self.orgs if not o.submitted]
                if not open_:
                    return
                org = rng.choice(open_)
                body = declaration(org.declared, org.persons, self.days)
                org.declared += 1
                headers = {**self.staff[org.org], "Idempotency-Key": str(uuid.uuid4())}
                since = time.perf_counter()
                try:
                    answer = await http.post(url, headers=headers, json=body)
                    self.record("declare", since, answer.status_code == 201)
                    if answer.status_code != 201 and os.environ.get("GSI_BENCH_VERBOSE"):
                        print(f"  declare {org.org}: {answer.status_code} {answer.text[:200]}", flush=True)
                except httpx.TransportError as exc:
                    self.record("declare", since, False)
                    if os.environ.get("GSI_BENCH_VERBOSE"):
                        print(f"  declare {org.org}: {exc!r}", flush=True)

    async def _reviewer(self, client: httpx.AsyncClient, n: int) -> None:
        rng = random.Random(100 + n)
        while time.perf_counter() < self.end:
            pages = [("queue page", "/controle")]
            submitted = [o for o in self.orgs if o.submitted]
            if submitted:
                pages.append(("control page", f"/controle/{rng.choice(submitted).org}/{self.quarter}"))
            for operation, path in pages:
                since = time.perf_counter()
                try:
                    answer = await client.get(path)
                    self.record(operation, since, answer.status_code == 200)
                except httpx.TransportError:
                    self.record(operation, since, False)
                await asyncio.sleep(rng.uniform(0.5, 1.5) * self.args.think)

    async def _manager(self, steps: list[Step]) -> None:
        reporting = self.topology.url("reporting")
        async with httpx.AsyncClient(timeout=300) as http:
            while steps and time.perf_counter() < self.end:
                step = steps.pop(0)
                async with self.report_turns[step.organization]:  # taken in the steps' order
                    await self._step(http, reporting, step)

    async def _step(self, http: httpx.AsyncClient, reporting: str, step: Step) -> None:
        wait = self.started + step.at - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        org = next(o for o in self.orgs if o.org == step.organization)
        path = f"{reporting}/reports/{org.org}/{self.quarter}/{step.operation}"
        since = time.perf_counter()
        try:
            answer = await http.post(path, headers=self.managers[org.org])
            ok, said = answer.status_code == 200, f"{answer.status_code} {answer.text[:300]}"
        except httpx.TransportError as exc:
            ok, said = False, repr(exc)
        if not ok and os.environ.get("GSI_BENCH_VERBOSE"):
            print(f"  {step.operation} {org.org}: {said}", flush=True)
        self.record(step.operation, since, ok)
        if step.operation == "submit" and ok:
            org.submitted = True

    async def _importer(self) -> None:
        url = f"{self.topology.url('interventions')}/imports"
        async with httpx.AsyncClient(timeout=300) as http:
            for org, at in zip(self.orgs, import_schedule(self.mix.imports, self.args.seconds), strict=False):
                wait = self.started + at - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                if time.perf_counter() >= self.end:
                    return
                content = import_csv(org.persons, self.days, self.args.import_rows)
                since, ok = time.perf_counter(), False
                try:
                    answer = await http.post(
                        url,
                        headers=self.managers[org.org],
                        files={"file": (f"{org.org}.csv", content, "text/csv")},
                        data={"mode": "valid_rows_only"},
                    )
                    if answer.status_code == 202:
                        job: dict[str, Any] = {}
                        while job.get("status") not in {"done", "failed"}:
                            await asyncio.sleep(0.5)
                            job = (
                                await http.get(
                                    f"{url}/{answer.json()['import_id']}", headers=self.managers[org.org]
                                )
                            ).json()
                        ok = job["status"] == "done" and job.get("created") == self.args.import_rows
                        if not ok:
                            print(f"  import {org.org}: {job}", flush=True)
                except httpx.TransportError:
                    pass
                self.record("import", since, ok)


def _cpu_of(topology: Topology) -> dict[str, float]:
    pids = replica_pids(topology.root)
    found = {d: sum(cpu_seconds(p) for p in pids[d]) for d in DEPLOYABLES}
    found["haproxy"] = cpu_seconds(pid) if (pid := topology.haproxy_pid()) else 0.0
    brokers = [Path(KAFKA_ENV["GSI_KAFKA_CLUSTER_DIR"]) / str(n) / "kafka.pid" for n in (1, 2, 3)]
    found["kafka brokers"] = sum(
        cpu_seconds(int(p.read_text().split()[0])) for p in brokers if p.exists() and p.read_text().strip()
    )
    found["bench client"] = _proc_cpu(os.getpid()) or 0.0
    return found


def idle_cpu(topology: Topology, seconds: float) -> dict[str, float]:
    """CPU-seconds per second of each part at rest: what its background work costs (relays,
    consumers' polls, leases, health checks), which grows with the replicas whatever the load."""
    before = _cpu_of(topology)
    time.sleep(seconds)
    after = _cpu_of(topology)
    return {k: (after[k] - before[k]) / seconds for k in after if k != "bench client"}


def measure_round(
    number: int, replicas: int, args: argparse.Namespace, server_url: str, bootstrap: str
) -> Round:
    today = montreal_date(datetime.now(UTC))
    quarter = FiscalQuarter.of(today)
    due = quarter.last_day + timedelta(days=load_defaults().submission_days_after_quarter_end)
    business_day = due - timedelta(days=DAYS_BEFORE_DEADLINE)
    namespace = f"dw{replicas}{uuid.uuid4().hex[:6]}"
    root = Path(tempfile.mkdtemp(prefix=f"gsi-bench-deadline-{namespace}-", dir="/var/tmp"))
    database_url = make_url(server_url).set(database=DATABASE).render_as_string(hide_password=False)
    common = {"GSI_LOG_LEVEL": "WARNING"}
    seeding = Topology(
        root=root, database_url=database_url, bootstrap_servers=bootstrap, replicas=replicas,
        base_port=BASE_PORT, namespace=namespace,
        extra_env={**common, "GSI_CLOCK_OFFSET_DAYS": str((quarter.first_day - today).days)},
    )  # fmt: skip
    measured = dataclasses.replace(
        seeding, extra_env={**common, "GSI_CLOCK_OFFSET_DAYS": str((business_day - today).days)}
    )
    orgs = [Org(f"org-dw-{n:03d}") for n in range(args.organizations)]
    print(
        f"== round {number}, {replicas} replica(s) per service: {quarter} due {due}, measured on "
        f"business day {business_day} (namespace {namespace})",
        flush=True,
    )
    try:
        started = time.monotonic()
        seeding.start(timeout_s=600)
        print(f"  topology up on the quarter's first day ({time.monotonic() - started:.0f} s)", flush=True)
        asyncio.run(seed(seeding, orgs, args.persons, quarter))
        seeding.stop()
        started = time.monotonic()
        measured.start(timeout_s=600)
        print(
            f"  topology up {DAYS_BEFORE_DEADLINE} days before the deadline ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
        idle = idle_cpu(measured, IDLE_S)
        load = Load(measured, orgs, quarter, args)
        pg = PostgresSampler(database_url, DATABASE)
        balancer = BalancerSampler(measured)
        marks: dict[str, Any] = {}

        def begin() -> None:
            pg.start()
            balancer.start()
            marks["cpu"], marks["busy"], marks["t"] = _cpu_of(measured), _machine_busy(), time.perf_counter()

        def finish() -> None:
            seconds = time.perf_counter() - marks["t"]
            after, busy = _cpu_of(measured), _machine_busy()
            pg.stop()
            balancer.stop()
            marks["seconds"] = seconds
            marks["cpu"] = {k: after[k] - marks["cpu"][k] for k in after} | {"postgres backends": pg.cpu_s}
            marks["busy"] = (busy[0] - marks["busy"][0]) / max(1, busy[1] - marks["busy"][1])

        try:
            asyncio.run(load.run(begin, finish))
        finally:
            pg.stop()
            balancer.stop()
        done = Round(
            replicas, number, marks["seconds"], load.samples, marks["cpu"], len(load.samples), marks["busy"],
            pg.waits, pg.samples, pg.lock_waiters, balancer, idle,
        )  # fmt: skip
    except BaseException:
        print(f"  round failed: the replicas' logs are kept in {root}", flush=True)
        raise
    finally:
        seeding.stop()
        measured.stop()
        _drop(measured)
    shutil.rmtree(root, ignore_errors=True)
    return done


def _drop(topology: Topology) -> None:
    engine = create_engine(topology.database_url)
    try:
        with engine.begin() as connection:
            for service in SERVICES:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{topology.schema(service)}" CASCADE'))
    finally:
        engine.dispose()
    with contextlib.suppress(Exception):  # brokers gone: nothing to delete
        delete_topics(topology.bootstrap_servers, topology.kafka_namespace)


# --- printing -----------------------------------------------------------------------------


def print_round(found: Round) -> None:
    print(
        f"  measured {found.seconds:.0f} s, machine busy {found.machine_busy:.0%} of {os.cpu_count()} cores"
    )
    print(f"  {'operation':<14}{'done':>7}{'/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for f in figures(found.samples, found.seconds):
        print(
            f"  {f.operation:<14}{f.done:>7}{f.per_second:>9.1f}{f.p50_ms:>9.0f}{f.p95_ms:>9.0f}"
            f"{f.p99_ms:>9.0f}{f.errors:>8}"
        )
    per = max(1, found.requests)
    print("  CPU (s), CPU-ms per request (all operations), CPU-s per s at rest before the load:")
    for name, cpu in found.cpu_s.items():
        idle = found.idle_cpu_per_s.get(name)
        at_rest = f"{idle:>9.2f} at rest" if idle is not None else ""
        print(f"    {name:<18}{cpu:>8.1f} s{cpu * 1000 / per:>9.1f} ms/request{at_rest}")
    print(
        f"    {'total':<18}{sum(found.cpu_s.values()):>8.1f} s{sum(found.cpu_s.values()) * 1000 / per:>9.1f} ms/request",
        flush=True,
    )
    if found.balancer is not None:
        print_balancer(found.balancer)


def print_balancer(seen: BalancerSampler) -> None:
    """HAProxy's failed health checks by replica and kind, and the replicas it took out."""
    if not seen.failed and not seen.taken_out:
        print("  HAProxy: every health check passed", flush=True)
        return
    lines = ["  HAProxy's failed health checks (replica, kind: count), replicas taken out:"]
    lines += [f"    {key}: {count}" for key, count in seen.failed.most_common()]
    lines += [f"    {kind} said: {said}" for kind, said in seen.said.items()]
    lines += [f"    {server} taken out {count} time(s)" for server, count in seen.taken_out.most_common()]
    print("\n".join(lines), flush=True)


def print_summary(rounds: list[Round], counts: list[int]) -> None:
    low, high = min(counts), max(counts)
    if low == high:
        return
    by = {c: [r for r in rounds if r.replicas == c] for c in (low, high)}

    def rate(c: int, operation: str | None) -> float:
        done = [
            sum(1 for s in r.samples if s.ok and (operation is None or s.operation == operation)) / r.seconds
            for r in by[c]
        ]
        return sum(done) / len(done)

    print(f"== {high} replicas vs {low}: throughput (mean of {len(by[high])} and {len(by[low])} rounds)")
    for operation in (*OPERATIONS, None):
        one, many = rate(low, operation), rate(high, operation)
        name = operation or "all operations"
        paced = "   (paced by the schedule)" if operation in SCHEDULED else ""
        print(f"  {name:<16}{one:>8.1f}/s {many:>8.1f}/s   ratio {ratio(many, one):.2f}{paced}")
    overall = ratio(rate(high, None), rate(low, None))
    if overall >= 2:
        print(f"  {high} replicas reach {overall:.2f}x on the whole mix")
        return
    print(f"  below 2x ({overall:.2f}x): the bottleneck figures")
    for c in (low, high):
        for r in by[c]:
            per = max(1, r.requests)
            parts = "  ".join(f"{k} {v * 1000 / per:.1f}" for k, v in r.cpu_s.items())
            print(
                f"  {c} replica(s), round {r.number}: machine busy {r.machine_busy:.0%}; CPU-ms per request: {parts}"
            )
            total = max(1, sum(r.pg_waits.values()))
            waits = ", ".join(f"{k} {v / total:.0%}" for k, v in r.pg_waits.most_common(6))
            active = sum(r.pg_waits.values()) / max(1, r.pg_samples)
            rest = "  ".join(f"{k} {v:.2f}" for k, v in r.idle_cpu_per_s.items())
            print(f"    CPU-s per s at rest: {rest}")
            print(f"    PostgreSQL: {active:.1f} active backends on average; waits: {waits or '-'}")
            locked = max(1, sum(r.pg_lock_waiters.values()))
            for statement, n in r.pg_lock_waiters.most_common(3):
                print(f"      {n / locked:.0%} of the lock waits: {statement}")


# --- main ---------------------------------------------------------------------------------


@contextlib.contextmanager
def brokers() -> Iterator[str]:
    """The bench's own three brokers: started unless running, stopped if started here."""
    env = {**os.environ, **KAFKA_ENV}
    running = subprocess.run([KAFKA_CLUSTER, "status"], env=env, capture_output=True).returncode == 0
    if not running:
        subprocess.run([KAFKA_CLUSTER, "start"], env=env, check=True, capture_output=True, timeout=600)
    try:
        found = subprocess.run([KAFKA_CLUSTER, "env"], env=env, check=True, capture_output=True, text=True)
        yield found.stdout.strip().split("=", 1)[1]
    finally:
        if not running:
            subprocess.run([KAFKA_CLUSTER, "stop"], env=env, capture_output=True, timeout=300)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organizations", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=180.0, help="measured seconds per round")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every replica count, interleaved")
    parser.add_argument("--import-rows", type=int, default=5_000)
    parser.add_argument(
        "--imports", type=int, default=None, help="imports per round (default: 1 per 30 organizations)"
    )
    parser.add_argument("--persons", type=int, default=30, help="persons per organization")
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds of staff and reviewers before measuring"
    )
    parser.add_argument("--think", type=float, default=0.5, help="a reviewer's mean pause between pages (s)")
    parser.add_argument("--replicas", type=parse_replicas, default=[1, 3], help='replica counts, e.g. "1,3"')
    args = parser.parse_args(argv)
    server_url = os.environ.get("GSI_TEST_DATABASE_URL")
    if not server_url:
        raise SystemExit("GSI_TEST_DATABASE_URL is needed (deploy/local/postgres.sh env)")
    if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists():
        raise SystemExit("haproxy is needed (scripts/setup.sh installs it)")
    if args.import_rows > args.persons * 90 * len(IMPORTED_CODES):  # a quarter: 90 days or more
        raise SystemExit(f"--import-rows {args.import_rows}: more --persons needed (distinct rows)")
    mix = mix_for(args.organizations, args.imports)
    print(
        f"deadline week: {args.organizations} organizations, {args.persons} persons each; "
        f"{mix.declarers} staff seats, {mix.reviewers} reviewers, {mix.managers} managers, "
        f"{mix.imports} imports of {args.import_rows:,} rows; {args.seconds:.0f} s per round; "
        f"replicas {args.replicas} x {args.rounds} round(s)",
        flush=True,
    )
    rounds: list[Round] = []
    with brokers() as bootstrap:
        for number in range(1, args.rounds + 1):
            for count in args.replicas:
                found = measure_round(number, count, args, server_url, bootstrap)
                print_round(found)
                rounds.append(found)
    print_summary(rounds, args.replicas)


if __name__ == "__main__":
    main()
