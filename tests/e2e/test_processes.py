"""The system as it is deployed: four separate service processes.

- over real PostgreSQL (a schema per service) and real Apache Kafka, through HTTP, following
  one trace id from the first request to the last consumer;
- the README's run command (embedded mode), started as a user would.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.launcher import SERVICES, ServiceProcesses, get_json
from tests.e2e.flow import DECLARED_ON, TRACE_ID, MoveTo, Services, close_the_quarter, run_journey, token
from tests.processes import children_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_services(tmp_path: Path, postgres_url: str, kafka_bootstrap: str) -> Iterator[ServiceProcesses]:
    run = uuid.uuid4().hex[:8]
    env = {
        "GSI_BUS": "kafka",
        "GSI_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        # Topics and consumer groups of this run only: the broker outlives test runs.
        "GSI_KAFKA_NAMESPACE": f"e2e-{uuid.uuid4().hex[:8]}.",
        "GSI_DATABASE_URL": postgres_url,
        "GSI_DATA_DIR": str(tmp_path),
        "GSI_CLOCK_OFFSET_DAYS": _offset_to(DECLARED_ON),  # the journey's first day
    }
    for service in SERVICES:
        env[f"GSI_{service.upper()}_DB_SCHEMA"] = f"e2e_{run}_{service}"
        env[f"GSI_{service.upper()}_TRACE_FILE"] = str(tmp_path / f"traces-{service}.jsonl")
    processes = ServiceProcesses(env=env, log_dir=tmp_path / "logs", base_port=18100)
    try:
        processes.start(timeout_s=120)
        yield processes
    finally:
        processes.stop()
        engine = create_engine(postgres_url)
        with engine.begin() as connection:
            for service in SERVICES:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "e2e_{run}_{service}" CASCADE'))
        engine.dispose()


def _offset_to(day: date) -> str:
    """The business clock offset (days) that makes today ``day``."""
    return str((day - montreal_date(datetime.now(UTC))).days)


def restarting(processes: ServiceProcesses) -> MoveTo:
    """Move the processes' business day as a rehearsal would: restart them with the clock offset
    that makes it that day (their state is in PostgreSQL and Kafka)."""

    def move_to(day: date) -> None:
        offset = _offset_to(day)
        if processes.env.get("GSI_CLOCK_OFFSET_DAYS") != offset:
            processes.stop()
            processes.env = {**processes.env, "GSI_CLOCK_OFFSET_DAYS": offset}
            processes.start(timeout_s=120)

    return move_to


def _spans(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.kafka
def test_journey_across_four_processes_over_postgres_and_kafka_is_one_trace(
    real_services: ServiceProcesses, tmp_path: Path
) -> None:
    clients = {s: httpx.Client(base_url=real_services.url(s), timeout=10) for s in SERVICES}
    org = f"org-e2e-{uuid.uuid4().hex[:6]}"  # the broker outlives test runs: keep counts apart
    result = run_journey(Services(**clients), restarting(real_services), org=org)
    assert result["report_before"]["interventions_count"] == 1
    assert result["submitted"]["state"] == "submitted"
    assert result["inbox"]["items"][0]["organization_id"] == org
    real_services.stop()  # flushes the spans

    spans = {
        s: [sp for sp in _spans(tmp_path / f"traces-{s}.jsonl") if sp["trace_id"] == TRACE_ID]
        for s in SERVICES
    }
    kinds = {s: {sp["kind"] for sp in found} for s, found in spans.items()}
    assert {"SERVER", "PRODUCER"} <= kinds["registration"]
    assert {"CONSUMER", "SERVER", "PRODUCER"} <= kinds["interventions"]
    assert {"CONSUMER", "SERVER", "PRODUCER"} <= kinds["reporting"]
    assert "CONSUMER" in kinds["notifications"]
    consumed = [
        (sp["name"], sp["attributes"]["cloudevents.event_type"])
        for sp in spans["notifications"]
        if sp["kind"] == "CONSUMER"
    ]
    assert consumed == [("process gsi.reporting", "reporting.ReportSubmitted")]


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.kafka
def test_a_quarter_closes_over_kafka_and_the_lock_reaches_interventions(
    real_services: ServiceProcesses,
) -> None:
    clients = {s: httpx.Client(base_url=real_services.url(s), timeout=10) for s in SERVICES}
    org = f"org-e2e-{uuid.uuid4().hex[:6]}"
    services = Services(**clients)
    journey = run_journey(services, restarting(real_services), org=org)
    closed = close_the_quarter(services, journey, org=org)
    assert closed["resubmitted"]["submission_version"] == 2
    assert closed["locked"]["state"] == "locked"
    assert closed["refusal"]["code"] == "quarter.locked"
    assert closed["unlocked"]["state"] == "accepted"


@pytest.mark.e2e
def test_the_readme_run_command_starts_seeds_and_prints_tokens(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "scripts.run_embedded",
        "--data-dir",
        str(tmp_path),
        "--base-port",
        "18200",
    ]
    done = subprocess.run(
        [*command, "--exit-when-ready"], cwd=ROOT, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "demo data seeded" in done.stdout
    for service in SERVICES:
        assert f"{service}" in done.stdout
    assert "karine@org-sherbrooke    eyJ" in done.stdout
    assert (tmp_path / "demo-seeded").exists()
    # The seed's summary reads the reports back: one organization per workflow state, in the last
    # quarter that has ended; the current quarter's reports are drafts.
    current = FiscalQuarter.of(montreal_date(datetime.now(UTC)))
    ended = FiscalQuarter.of(current.first_day - timedelta(days=1))
    assert f"Reports {ended} (the quarter ended on {ended.last_day.isoformat()}):" in done.stdout
    for line in (
        "Québec      submitted",
        "Montréal    rejected",
        "Sherbrooke  locked",
        "Gatineau    accepted",
    ):
        assert line in done.stdout
    assert f"Reports {current} (the current quarter): draft; submission opens on" in done.stdout
    persons = re.search(r"(\d+) persons, (\d+) interventions", done.stdout)
    assert persons is not None
    assert int(persons[1]) >= 190
    assert int(persons[2]) >= 300
    again = subprocess.run(
        [*command, "--exit-when-ready"], cwd=ROOT, capture_output=True, text=True, timeout=240
    )
    assert again.returncode == 0
    assert "demo data seeded" not in again.stdout  # seeded once, kept across restarts
    # The seed's submissions, rejection, acceptance and lock went out as e-mails to the local
    # SMTP server (a Maildir under the data folder).
    mails = [m.read_text(errors="replace") for m in (tmp_path / "mail" / "new").iterdir()]
    assert any("nadia.lavoie@mifi.gouv.qc.ca" in m for m in mails)
    assert any("=?utf-8?q?Rapport_" in m for m in mails)


@pytest.mark.e2e
def test_a_service_can_serve_from_several_processes(tmp_path: Path) -> None:
    """GSI_HTTP_WORKERS: several processes share the port; writes from any of them reach the
    read model every process serves."""
    env = {**os.environ, "GSI_DATA_DIR": str(tmp_path), "GSI_HTTP_WORKERS": "2", "GSI_HTTP_PORT": "18251"}
    process = subprocess.Popen([sys.executable, "-m", "registration", "serve"], env=env, cwd=ROOT)
    try:
        base = "http://127.0.0.1:18251"
        deadline = time.monotonic() + 60
        while get_json(f"{base}/ready") is None:
            assert process.poll() is None, "registration exited"
            assert time.monotonic() < deadline, "registration not ready"
            time.sleep(0.25)
        with httpx.Client(base_url=base, timeout=10) as client:
            headers = token(client, user_id="k", roles=["org_staff"], organization="org-a")
            person = {
                "family_name": "Roy",
                "given_name": "Ines",
                "birth_date": "1990-01-01",
                "sex": "F",
                "country_of_birth": "FR",
                "status": {
                    "status": "permanent_resident",
                    "effective_from": "2025-01-01",
                    "admission_date": "2025-01-01",
                },
                "address": {"region": "06"},
            }
            ids = [
                client.post("/persons", headers=headers, json=person).json()["person_id"] for _ in range(8)
            ]
            # Fresh connections land on either process; every one of them sees every person.
            for person_id in ids:
                with httpx.Client(base_url=base, timeout=10) as fresh:
                    assert fresh.get(f"/persons/{person_id}", headers=headers).status_code == 200
        (arbiter,) = children_of(process.pid)  # gunicorn's, whose workers serve (ADR 32)
        assert len(children_of(arbiter)) == 2
        # The serving processes run no background worker: the supervising one relays their
        # commands' messages.
        assert _eventually_unsent(tmp_path / "registration.db") == 0
    finally:
        process.terminate()
        process.wait(30)


def _eventually_unsent(database: Path, within_s: float = 15.0) -> int:
    """The outbox rows not yet published, once the relay had ``within_s`` to publish them."""
    deadline = time.monotonic() + within_s
    while True:
        with closing(sqlite3.connect(database)) as connection:
            (unsent,) = connection.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()
        if unsent == 0 or time.monotonic() > deadline:
            return int(unsent)
        time.sleep(0.25)
