"""The system ``bench.portal_pages`` measures: the four services on PostgreSQL (a schema each)
and Kafka (topics of this run only), the portal in front with development sign-in for the
bench's users, and realistic data — the demo's (:mod:`scripts.demo`: four organizations, ~220
persons, their interventions, last quarter's reports taken through the workflow, notices) and
this quarter's activity on top, imported as a CSV file of a few thousand interventions."""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.registration import drop_schema
from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts import demo
from scripts.demo_plan import ORGANIZATIONS, manager_of
from scripts.launcher import SERVICES, ServiceProcesses
from scripts.mailbox import LocalMailbox

BASE_PORT = 18800  # the portal; the services on 18801 … 18804; the mailbox on 18825
# This quarter's activity imported for these organizations, on top of the demo's.
BUSY = {"org-montreal": 1_600, "org-sherbrooke": 1_200}


def bench_users(count: int) -> list[dict[str, Any]]:
    """``count`` users of the demo's organizations (one in five a manager), offered on the
    development sign-in page."""
    organizations = sorted(ORGANIZATIONS)
    return [
        {
            "user_id": f"bench-{n:02d}@{organizations[n % len(organizations)]}",
            "roles": ["org_manager" if n % 5 == 0 else "org_staff"],
            "organization": organizations[n % len(organizations)],
        }
        for n in range(count)
    ]


@contextmanager
def running_system(
    data_dir: Path,
    users: list[dict[str, Any]],
    busy: Mapping[str, int] = BUSY,
    prepare: Callable[[ServiceProcesses], None] | None = None,
    services_env: Mapping[str, str] | None = None,
) -> Iterator[ServiceProcesses]:
    """The services and the portal, up and seeded; everything stopped and dropped after.
    ``busy``: this quarter's interventions imported per organization on top of the demo's;
    ``prepare``: what a bench adds before the portal starts; ``services_env``: the services'
    own settings (e.g. ``GSI_REPORTING_HTTP_WORKERS``)."""
    run = f"bench_portal_{uuid.uuid4().hex[:6]}"
    mailbox = LocalMailbox(data_dir / "mail", port=BASE_PORT + 25)
    env = {
        "GSI_BUS": "kafka",
        "GSI_KAFKA_BOOTSTRAP_SERVERS": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        "GSI_KAFKA_NAMESPACE": f"{run}.",
        "GSI_DATABASE_URL": os.environ["GSI_TEST_DATABASE_URL"],
        "GSI_DATA_DIR": str(data_dir),
        "GSI_LOG_LEVEL": "WARNING",
        "GSI_NOTIFICATIONS_SMTP_PORT": str(mailbox.port),
        **{f"GSI_{s.upper()}_DB_SCHEMA": f"{run}_{s}" for s in SERVICES},
        **(services_env or {}),
    }
    system = ServiceProcesses(env=env, log_dir=data_dir / "logs", base_port=BASE_PORT)
    mailbox.start()
    try:
        system.start(timeout_s=120)
        seed(system, data_dir, busy)
        if prepare is not None:
            prepare(system)
        portal = {
            "GSI_PORTAL_AUTH_MODE": "development",
            "GSI_PORTAL_DEV_USERS": json.dumps(users),
            "GSI_PORTAL_LOG_LEVEL": "WARNING",
        }
        system.start_portal(portal)
        yield system
    finally:
        system.stop()
        mailbox.stop()
        for service in SERVICES:
            drop_schema(f"{run}_{service}")
        drop_schema(run)  # the run's topics are named after it


def seed(system: ServiceProcesses, data_dir: Path, busy: Mapping[str, int] = BUSY) -> None:
    today = montreal_date(datetime.now(UTC))  # the services' business day
    started = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()):  # the demo's summary is for `make run`
        demo.seed(system, data_dir, today)
    seeded = time.monotonic()
    tokens = demo.tokens(system)
    print(f"  seeded the demo in {seeded - started:.0f} s", flush=True)
    imported = sum(
        this_quarter(system, tokens[manager_of(org)], org, rows, today) for org, rows in busy.items()
    )
    print(
        f"  seeded: the demo in {seeded - started:.0f} s, then {imported:,} interventions of this "
        f"quarter imported in {time.monotonic() - seeded:.0f} s",
        flush=True,
    )


def this_quarter(
    system: ServiceProcesses,
    token: str,
    org: str,
    rows: int,
    today: date,
    act: tuple[str, str] = ("PDI", "V2"),
) -> int:
    """``rows`` interventions of this quarter for the organization's persons (imported, then
    waited for until reporting counts them, so the measure does not share the cores with it);
    ``act``: their code and volet."""
    headers = {"Authorization": f"Bearer {token}"}
    quarter = FiscalQuarter.of(today)
    with httpx.Client(headers=headers, timeout=120) as http:
        persons = _persons(http, system.url("registration"))
        report = f"{system.url('reporting')}/reports/{org}/{quarter}"
        before = int(http.get(report).json()["interventions_count"])
        days = (today - quarter.first_day).days + 1
        lines = ["person_id;code;service_date;duration_minutes;mode;volet;staff_member;notes"]
        for n in range(rows):
            day = quarter.first_day + timedelta(days=(n // len(persons) * 3 + n % 3) % days)
            lines.append(
                f"{persons[n % len(persons)]};{act[0]};{day};45;in_person;{act[1]};staff-{n % 12}@{org};"
            )
        answer = http.post(
            f"{system.url('interventions')}/imports",
            files={"file": ("bench.csv", ("\n".join(lines) + "\n").encode(), "text/csv")},
            data={"mode": "valid_rows_only"},
        )
        answer.raise_for_status()
        job = _until(http, f"{system.url('interventions')}/imports/{answer.json()['import_id']}",
                     lambda j: j["status"] in {"done", "failed"})  # fmt: skip
        created = int(job.get("created") or 0)
        _until(http, report, lambda r: int(r["interventions_count"]) >= before + created, timeout_s=180)
        return created


def _persons(http: httpx.Client, registration: str) -> list[str]:
    found: list[str] = []
    while True:
        page = http.get(f"{registration}/persons", params={"offset": len(found), "limit": 200}).json()
        found += [p["person_id"] for p in page["items"]]
        if not page["items"] or len(found) >= int(page["total"]):
            return found


def _until(http: httpx.Client, url: str, done: Any, timeout_s: float = 120) -> Any:
    deadline = time.monotonic() + timeout_s
    while not done(body := http.get(url).json()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench: timed out waiting on {url}: {body}")
        time.sleep(0.25)
    return body
