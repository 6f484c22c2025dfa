"""Registration through its HTTP API on PostgreSQL (+ Kafka): registrations per second with
latency percentiles (wrk, a C load generator, so the client costs little of the 2 cores), and
search latency over a large read model. Part of ``make bench``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scripts.launcher import get_json, post_json

LUA = Path(__file__).with_name("register.lua")


def start_service(
    service: str,
    port: int,
    schema: str,
    data_dir: Path,
    workers: int = 1,
    *,
    env: Mapping[str, str] | None = None,
    python: str = sys.executable,
) -> subprocess.Popen[bytes]:
    """One GSI service as its own process(es) on PostgreSQL + Kafka, with topics, consumer groups
    and schema of this run only; return once it answers ``/ready``. ``env``: settings that win
    over these (another service's Kafka namespace, to share its topics); ``python``: another
    checkout's interpreter."""
    settings = {
        **os.environ,
        "GSI_HTTP_WORKERS": str(workers),
        "GSI_DATA_DIR": str(data_dir),
        "GSI_DATABASE_URL": os.environ["GSI_TEST_DATABASE_URL"],
        "GSI_DB_SCHEMA": schema,
        "GSI_BUS": "kafka",
        "GSI_KAFKA_BOOTSTRAP_SERVERS": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        "GSI_KAFKA_NAMESPACE": f"{schema}.",
        "GSI_LOG_LEVEL": "WARNING",
        "GSI_HTTP_PORT": str(port),
        **(env or {}),
    }
    log = (data_dir / f"{service}.log").open("ab")
    process = subprocess.Popen([python, "-m", service, "serve"], env=settings, stdout=log, stderr=log)
    deadline = time.monotonic() + 180  # a loaded machine starts slowly
    while get_json(f"http://127.0.0.1:{port}/ready") is None:
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"{service} did not start; see {data_dir / f'{service}.log'}")
        time.sleep(0.2)
    return process


def drop_schema(schema: str) -> None:
    """Leave the database and the broker as found: a benchmark's data must not skew the next
    one. Its schema goes, and so do its topics (named ``<schema>.…``): a broker that kept every
    run's topics held 1,500 of them after a day of runs, and its work grew with them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(os.environ["GSI_TEST_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if servers:
        from kafka import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=servers, client_id="gsi-bench-cleanup")
        try:
            mine = [t for t in admin.list_topics() if t.startswith(f"{schema}.")]
            if mine:
                admin.delete_topics(mine)
        finally:
            admin.close()


def mint(port: int, **claims: Any) -> str:
    status, body = post_json(f"http://127.0.0.1:{port}/dev/token", claims)
    assert status == 200, body
    return str(body["access_token"])


def wrk(url: str, token: str, *, seconds: int, connections: int) -> dict[str, float]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(LUA), url],
        env={**os.environ, "GSI_TOKEN": token},
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"RESULT (.*)", done.stdout)
    if match is None:
        raise RuntimeError(done.stdout + done.stderr)
    figures = {k: float(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    if "FIRST-ERROR" in done.stdout:
        print(done.stdout[done.stdout.index("FIRST-ERROR") :].splitlines()[0])
    return figures


def measure(workers: int, seconds: int) -> None:
    port = 18301
    schema = f"bench_reg_{uuid.uuid4().hex[:6]}"
    data_dir = Path(tempfile.mkdtemp(prefix="gsi-bench-"))
    process = start_service("registration", port, schema, data_dir, workers)
    try:
        token = mint(port, user_id="bench", roles=["org_staff"], organization="org-bench")
        wrk(f"http://127.0.0.1:{port}", token, seconds=3, connections=8)  # warm-up
        result = wrk(f"http://127.0.0.1:{port}", token, seconds=seconds, connections=16)
        rate = result["requests"] / (result["duration_us"] / 1e6)
        label = f"register a person through the API, {workers} process{'es' if workers > 1 else ''}"
        print(
            f"{label:<52}{rate:>10,.0f}/s"
            f"   p50 {result['p50_us'] / 1000:.1f} ms  p99 {result['p99_us'] / 1000:.1f} ms  errors {int(result['errors'])}"
        )
    finally:
        process.terminate()
        process.wait(20)
        shutil.rmtree(data_dir, ignore_errors=True)
        drop_schema(schema)


def main() -> None:
    seconds = int(os.environ.get("GSI_BENCH_SECONDS", "15"))
    # On a 2-core machine a third process still helps: each spends part of a request waiting on
    # PostgreSQL, which another can fill.
    for workers in (1, 2, 3):
        measure(workers, seconds)


if __name__ == "__main__":
    main()
