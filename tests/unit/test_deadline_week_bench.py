"""The pure parts of bench/deadline_week.py: the scenario's mix and schedules, the rows it sends
(none a duplicate of another), the percentile maths, the reading of topology.json's pids and of
HAProxy's health-check counters."""

from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bench.deadline_week import (
    BalancerSampler,
    Sample,
    declaration,
    figures,
    import_csv,
    import_schedule,
    manager_schedule,
    mix_for,
    parse_replicas,
    percentile,
    quarter_days,
    ratio,
    replica_pids,
)
from gsi_kernel.fiscal import FiscalQuarter
from scripts.cluster import Topology

QUARTER = FiscalQuarter(2026, 3)


def test_the_mix_scales_with_the_organizations() -> None:
    mix = mix_for(120)
    assert (mix.declarers, mix.reviewers, mix.managers, mix.imports) == (12, 4, 2, 4)
    small = mix_for(5)
    assert (small.declarers, small.reviewers, small.managers, small.imports) == (2, 1, 1, 1)
    assert mix_for(120, imports=7).imports == 7


def test_each_organization_verifies_twice_then_verifies_and_submits_late_in_the_run() -> None:
    orgs = [f"org-{n}" for n in range(40)]
    steps = manager_schedule(orgs, 100.0, random.Random(3))
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    for org in orgs:
        mine = [s for s in steps if s.organization == org]
        assert [s.operation for s in mine] == ["verify", "verify", "verify", "submit"]
        assert 40.0 <= mine[-1].at <= 95.0
    assert sum(s.operation == "submit" for s in steps) == 40


def test_imports_start_in_the_first_two_thirds() -> None:
    starts = import_schedule(4, 300.0)
    assert starts == sorted(starts)
    assert len(starts) == 4
    assert starts[0] == pytest.approx(15.0)
    assert starts[-1] < 200.0


def test_declarations_and_imported_rows_never_repeat_one_another() -> None:
    persons, days = [f"p{n}" for n in range(7)], quarter_days(QUARTER)
    assert days[0] == date(2026, 10, 2)  # not the first: a seeding past midnight registers on the 2nd
    assert days[-1] == date(2026, 12, 31)
    declared = [declaration(k, persons, days) for k in range(len(persons) * len(days) * 3)]
    keys = {(d["person_id"], d["code"], d["service_date"]) for d in declared}
    assert len(keys) == len(declared)
    rows = import_csv(persons, days, 1_000).decode().splitlines()[1:]
    imported = {tuple(row.split(";")[i] for i in (0, 1, 2)) for row in rows}
    assert len(imported) == 1_000
    assert not imported & keys
    with pytest.raises(ValueError, match="distinct"):
        import_csv(persons, days, len(persons) * len(days) * 2 + 1)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert math.isnan(percentile([], 0.5))


def test_figures_count_errors_apart_from_the_latencies() -> None:
    samples = [Sample("declare", n / 1000, True) for n in range(1, 11)] + [Sample("declare", 9.0, False)]
    declare = figures(samples, seconds=2.0)[0]
    assert (declare.operation, declare.done, declare.errors) == ("declare", 11, 1)
    assert declare.per_second == 5.0
    assert declare.p99_ms == pytest.approx(10.0)
    assert math.isnan(figures(samples, 2.0)[1].p50_ms)  # no import
    assert ratio(6.0, 3.0) == 2.0
    assert math.isnan(ratio(1.0, 0.0))


def test_replica_counts_are_parsed() -> None:
    assert parse_replicas("1,3") == [1, 3]
    assert parse_replicas("1, 2,") == [1, 2]
    with pytest.raises(argparse.ArgumentTypeError):
        parse_replicas("0,3")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A process whose command line names a deployable, as a replica's does."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "registration"])
    deadline = time.monotonic() + 30
    while b"registration" not in Path(f"/proc/{process.pid}/cmdline").read_bytes():  # until exec'd
        assert time.monotonic() < deadline, "the sleeper did not start"
        time.sleep(0.01)
    yield process
    process.kill()
    process.wait()


def test_replica_pids_come_from_topology_json_and_its_pid_files(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    topology = Topology(root=tmp_path, database_url="postgresql://x/y", bootstrap_servers="b:1", replicas=2)
    topology.save()
    topology.run_dir.mkdir()
    topology.pid_file("registration", 1).write_text(f"{sleeper.pid}\n")
    topology.pid_file("registration", 2).write_text("999999999\n")  # gone
    topology.pid_file("portal", 1).write_text(f"{sleeper.pid}\n")  # not a portal: pid reused
    found = replica_pids(tmp_path)
    assert found["registration"] == [sleeper.pid]
    assert found["portal"] == []
    assert found["reporting"] == []
    with pytest.raises(FileNotFoundError):
        replica_pids(tmp_path / "nowhere")


def test_one_organizations_steps_never_overlap_whichever_manager_takes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its last verify and its submission are due together: two managers must not run them at
    once (the report would answer 409 to the bench's own race), and the verify goes first."""
    import asyncio

    from bench import deadline_week

    ran: list[tuple[str, str, str]] = []

    async def step(self: deadline_week.Load, http: object, reporting: str, step: deadline_week.Step) -> None:
        ran.append(("start", step.organization, step.operation))
        await asyncio.sleep(0.01)
        ran.append(("end", step.organization, step.operation))

    monkeypatch.setattr(deadline_week.Load, "_step", step)
    load = object.__new__(deadline_week.Load)
    load.report_turns = defaultdict(asyncio.Lock)
    load.topology = type("T", (), {"url": staticmethod(lambda name: "http://127.0.0.1:9")})()
    load.started, load.end = time.perf_counter(), time.perf_counter() + 60
    steps = [
        deadline_week.Step(0.0, "verify", "x"),
        deadline_week.Step(0.0, "submit", "x"),
        deadline_week.Step(0.0, "verify", "y"),
    ]

    async def managers() -> None:
        await asyncio.gather(load._manager(steps), load._manager(steps))

    asyncio.run(managers())
    of_x = [(kind, op) for kind, org, op in ran if org == "x"]
    assert of_x == [("start", "verify"), ("end", "verify"), ("start", "submit"), ("end", "submit")]
    assert ("start", "y", "verify") in ran


def _server(
    fails: int, downs: int, status: str = "L7OK", code: str = "200", said: str = ""
) -> dict[str, str]:
    return {
        "pxname": "interventions", "svname": "interventions-1", "chkfail": str(fails), "chkdown": str(downs),
        "check_status": status, "check_code": code, "last_chk": said,
    }  # fmt: skip


def test_the_balancer_sampler_counts_failed_checks_by_kind_and_replicas_taken_out(tmp_path: Path) -> None:
    seen = BalancerSampler(Topology(root=tmp_path, database_url="", bootstrap_servers=""))
    seen.look([_server(4, 1)])  # what happened before the load is not counted
    seen.look([_server(6, 1, "L7TOUT", "", "")])
    seen.look([_server(7, 2, "L7STS", "503", "HTTP status check returned code <503>")])
    seen.look([_server(7, 2)])

    assert seen.failed == {"interventions-1 L7TOUT": 2, "interventions-1 L7STS/503": 1}
    assert seen.taken_out == {"interventions-1": 1}
    assert seen.said == {"L7STS/503": "HTTP status check returned code <503>"}
