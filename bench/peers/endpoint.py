"""``POST /interventions`` against a bare endpoint, at saturation (issue 23): the interventions
service, and :mod:`bench.bare_endpoint` (the same body model, one INSERT), both served by
gunicorn with the project's worker and configuration and as many processes
(``GSI_BENCH_WORKERS``, 3 by default), each loaded by wrk with the same script and 16
connections (:mod:`bench.machinery`'s saturation run), in turns (A B, B A, A B…).

Per run: declarations per second, the server's CPU per declaration (every process of it: for
the service that includes its supervisor's background workers, the relay publishing each
declaration and the projections, which the bare endpoint does not have), and its PostgreSQL
backends' CPU per declaration; then the medians and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench.machinery import (
    PERSONS,
    Instance,
    Piece,
    Service,
    _stat,
    free_port,
    saturation,
    seed,
    start,
    watching,
)
from bench.peers.rounds import Figures, compare
from bench.peers.workload import drop_schema, fresh_schema
from bench.registration import drop_schema as drop_service_schema
from bench.registration import mint
from gsi_kernel.serving import Serving
from scripts.launcher import get_json

PIECE = Piece("peer", "GSI_BENCH_PEER", "service", "bare", append=False, latency=False)
ORG = "org-bench"


def start_bare(service: Service, workers: int) -> Instance:
    """The bare endpoint under gunicorn, on ``service``'s schema; once it answers."""
    port, name = free_port(), f"gsi-bare-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PGAPPNAME": name,
        "GSI_DATABASE_URL": os.environ["GSI_TEST_DATABASE_URL"],
        "GSI_DB_SCHEMA": service.schema,
    }
    command = Serving(app="bench.bare_endpoint:app", host="127.0.0.1", port=port, workers=workers).command()
    log = service.data_dir / "bare.log"
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 300
    while get_json(f"http://127.0.0.1:{port}/ready") is None:
        if time.monotonic() > deadline or process.poll() is not None:
            process.terminate()
            process.wait(60)
            raise RuntimeError(f"the bare endpoint did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.5)
    return Instance("bare", port, name, process)


def loaded(service: Service, instance: Instance, seconds: float, background: list[float]) -> Figures:
    """One saturation run (wrk); its errors said, if any. ``background`` gets the CPU per
    request of the instance's first process alone (the service's supervisor: its relay,
    consumers and projections; the bare endpoint's gunicorn arbiter)."""
    before = _stat(instance.process.pid)
    run = saturation(service, instance, seconds)
    after = _stat(instance.process.pid)
    if before and after:
        requests = run.rate * seconds
        background.append((after[1] - before[1]) / max(requests, 1.0) * 1000)
    if run.errors:
        print(f"    ({instance.value}: {run.errors} errors in the run)")
    return Figures(run.rate, run.cpu_ms, run.pg_ms)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10, help="each load's length")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    url, workers = os.environ["GSI_TEST_DATABASE_URL"], int(os.environ.get("GSI_BENCH_WORKERS", "3"))
    watcher = watching(url)
    data_dir = Path(tempfile.mkdtemp(prefix="gsi-bench-peer-"))
    persons = [str(uuid.uuid4()) for _ in range(PERSONS)]
    service = Service(PIECE, f"bench_peer_{uuid.uuid4().hex[:6]}", data_dir, persons, watcher)
    db, bare_schema = fresh_schema(url)
    db.dispose()
    bare = Service(PIECE, bare_schema, data_dir, persons, watcher)
    print(
        f"(both served by {workers} gunicorn processes, wrk 16 connections, {args.seconds:.0f} s a run;"
        f" load average {os.getloadavg()[0]:.1f} at start)",
        flush=True,
    )
    try:
        interventions = start(service, PIECE.on, workers)
        service.instances[interventions.application] = interventions
        interventions.token = mint(interventions.port, user_id="bench", roles=["org_staff"], organization=ORG)
        seed(service)
        plain = start_bare(bare, workers)
        bare.instances[plain.application] = plain
        for each, instance in ((service, interventions), (bare, plain)):
            saturation(each, instance, 5)  # warm-up: connections, prepared statements
        background: list[float] = []
        compare(
            (
                "POST /interventions, the service",
                lambda: loaded(service, interventions, args.seconds, background),
            ),
            ("bare FastAPI, same body model, one INSERT", lambda: loaded(bare, plain, args.seconds, [])),
            args.rounds,
        )
        if background:
            print(
                f"  (of the service's cpu, its supervisor's background workers — relay, consumers,"
                f" projections — took {statistics.median(background):.3f} ms per request, median;"
                " the rest is its serving processes)"
            )
    finally:
        for instance in [*service.instances.values(), *bare.instances.values()]:
            instance.process.terminate()
        for instance in [*service.instances.values(), *bare.instances.values()]:
            instance.process.wait(60)
        watcher.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)
        drop_service_schema(service.schema)
        drop_schema(url, bare_schema)


if __name__ == "__main__":
    main()
