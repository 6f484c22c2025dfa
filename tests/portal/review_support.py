"""What the reviewer pages' tests share: the services on two business clocks, a quarter made,
submitted and waiting for the ministry, reviewers assigned in reporting's registry (ADR 23), the
portal in-process signed in as any of the module's users.

Accepting needs an ended quarter, and an intervention cannot predate its person's registration:
registration runs five days before the end of the current quarter (the persons registered then,
their interventions dated that day), the other services and the portal ten days after it — the
quarter ended, its report still on time (due 30 days after the quarter's end)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from portal.bootstrap import build_app
from portal.settings import DevUser, PortalSettings
from scripts.demo_plan import USERS
from scripts.launcher import SERVICES, ServiceProcesses
from tests.portal.persons_support import csrf_of, person_body, register
from tests.portal.support import eventually

ORG, OTHER = "org-sherbrooke", "org-montreal"
MANAGER, STAFF, ADMIN = "sophie@org-sherbrooke", "karine@org-sherbrooke", "admin@mifi"
REVIEWER, SECOND, UNASSIGNED = "nadia@mifi", "lucie@mifi", "remi@mifi"
REVIEW_USERS: list[dict[str, Any]] = [
    *USERS,
    {"user_id": SECOND, "roles": ["ministry_reviewer"]},
    {"user_id": UNASSIGNED, "roles": ["ministry_reviewer"]},
]
REAL_TODAY = montreal_date(datetime.now(UTC))
QUARTER = FiscalQuarter.of(REAL_TODAY)
PREVIOUS = FiscalQuarter.of(QUARTER.first_day - timedelta(days=1))
SERVED_ON = QUARTER.last_day - timedelta(days=5)  # registration's day: the persons and services
TODAY = QUARTER.last_day + timedelta(days=10)  # the other services' and the portal's day
NAMES = {
    "clean": ("Karimi", "Farah", "ACC"),
    "flagged": ("Sadeghi", "Omid", "SUI"),
    "other": ("Diallo", "Awa", "ACC"),
}


def offset(day: date) -> str:
    return str((day - REAL_TODAY).days)


def token(http: httpx.Client, system: ServiceProcesses, user_id: str) -> dict[str, str]:
    user = next(u for u in REVIEW_USERS if u["user_id"] == user_id)
    answer = http.post(f"{system.url('registration')}/dev/token", json={"assigned_organizations": [], **user})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def ok(answer: httpx.Response) -> Any:
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def start(tmp: Path) -> ServiceProcesses:
    """The four services (registration on its own clock) and the portal as processes."""
    env = {"GSI_DATA_DIR": str(tmp), "GSI_BUS": "embedded"}
    system = ServiceProcesses(env=env, log_dir=tmp / "logs", base_port=_base_port())
    system.log_dir.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        day = SERVED_ON if service == "registration" else TODAY
        system.env = {**env, "GSI_CLOCK_OFFSET_DAYS": offset(day)}
        system.start_one(service)
    for service in SERVICES:
        system.wait_ready(service, 120)
    system.env = {**env, "GSI_CLOCK_OFFSET_DAYS": offset(TODAY)}
    system.start_portal(
        {
            "GSI_PORTAL_AUTH_MODE": "development",
            "GSI_PORTAL_DEV_USERS": json.dumps(REVIEW_USERS),
            "GSI_PORTAL_CLOCK_OFFSET_DAYS": offset(TODAY),
        }
    )
    return system


def _base_port() -> int:
    from tests.portal.support import PORT_SHIFT

    return 19640 + PORT_SHIFT  # apart from the other portal tests' ports


def _calendar(start_year: int) -> dict[str, Any]:
    ends = [
        date(start_year, 6, 30),
        date(start_year, 9, 30),
        date(start_year, 12, 31),
        date(start_year + 1, 3, 31),
    ]
    due = {f"q{n}": (end + timedelta(days=30)).isoformat() for n, end in enumerate(ends, 1)}
    return {
        "submission_due": due,
        "early_submission_days": 30,
        "control_window_days": 30,
        "resubmission_business_days": 10,
    }


def set_up(http: httpx.Client, system: ServiceProcesses) -> None:
    """Two organizations (Estrie, Montréal) with agreements since the previous quarter, the
    calendars, the reviewers assigned; three interventions of the organization, one flagged (C5:
    a follow-up without an action plan); its report submitted."""
    admin, reporting = token(http, system, ADMIN), system.url("reporting")
    for org, name, region in ((ORG, "Intégration Estrie", "05"), (OTHER, "Accueil Montréal", "06")):
        contact = {"name": "Contact", "email": f"contact@{org}.example", "role": "coordination"}
        registry = {"organization_id": org, "name": name, "regions": [region], "contacts": [contact]}
        ok(http.post(f"{reporting}/organizations", headers=admin, json=registry))
        agreement = {
            "organization_id": org,
            "starts_on": PREVIOUS.first_day.isoformat(),
            "ends_on": date(QUARTER.start_year + 2, 3, 31).isoformat(),
            "volets": ["V1", "V2", "V3"],
        }
        ok(http.post(f"{reporting}/agreements", headers=admin, json=agreement))
    for start_year in sorted({PREVIOUS.start_year, QUARTER.start_year, FiscalQuarter.of(TODAY).start_year}):
        ok(
            http.put(
                f"{reporting}/calendar/{start_year}-{start_year + 1}",
                headers=admin,
                json=_calendar(start_year),
            )
        )
    for org, reviewer in ((ORG, REVIEWER), (OTHER, REVIEWER), (ORG, SECOND), (OTHER, UNASSIGNED)):
        ok(http.put(f"{reporting}/organizations/{org}/reviewers/{reviewer}", headers=admin))
    staff = token(http, system, STAFF)
    for family, given, code in NAMES.values():
        person_id = register(http, system, staff, person_body(family, given))
        body: dict[str, Any] = {
            "person_id": person_id,
            "code": code,
            "service_date": SERVED_ON.isoformat(),
            "duration_minutes": 60,
            "mode": "in_person",
            "volet": "V1",
            "staff_member": "karine",
        }
        eventually(
            lambda b=body: (
                http.post(f"{system.url('interventions')}/interventions", headers=staff, json=b).status_code
                == 201
            ),
            what="interventions learns of the person",
        )
    report = f"{reporting}/reports/{ORG}/{QUARTER}"
    eventually(
        lambda: http.get(report, headers=staff).json().get("interventions_count") == len(NAMES),
        what="reporting counts the interventions",
    )
    ok(http.post(f"{report}/submit", headers=token(http, system, MANAGER)))


def intervention_of(http: httpx.Client, system: ServiceProcesses, code: str) -> str:
    found = ok(
        http.get(
            f"{system.url('interventions')}/interventions",
            headers=token(http, system, STAFF),
            params={"code": code},
        )
    )
    return str(found["items"][0]["intervention_id"])


def resubmit(http: httpx.Client, system: ServiceProcesses) -> None:
    """The organization answers the rejection and submits again (its own pages are elsewhere)."""
    manager, reporting = token(http, system, MANAGER), system.url("reporting")
    path = f"{reporting}/reports/{ORG}/{QUARTER}"
    rejection = ok(http.get(path, headers=manager))["rejection"]
    answers = [
        {"intervention_id": i["intervention_id"], "answer": "Plan d'action ouvert"}
        for i in rejection["items"]
    ]
    ok(http.post(f"{path}/answers", headers=manager, json={"answers": answers}))
    ok(http.post(f"{path}/submit", headers=manager))


@contextmanager
def portal_as(system: ServiceProcesses, user_id: str, language: str = "fr") -> Iterator[TestClient]:
    """The portal built here (its routes in this process), signed in as one of the module's users."""
    settings = PortalSettings(
        auth_mode="development",
        dev_users=[DevUser(**u) for u in REVIEW_USERS],
        clock_offset_days=int(offset(TODAY)),
        **{f"{s}_url": system.url(s) for s in SERVICES},  # type: ignore[arg-type]
    )
    with TestClient(build_app(settings), follow_redirects=False) as client:
        csrf = csrf_of(client.get("/signin").text)
        if language != "fr":
            client.post("/language", data={"language": language, "csrf_token": csrf})
        signed = client.post("/signin/dev", data={"user_id": user_id, "csrf_token": csrf})
        assert signed.status_code == 303, signed.text
        yield client
