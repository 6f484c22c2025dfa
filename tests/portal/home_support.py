"""An organization's quarter as its home page shows it, made through the services' APIs on services
of its own (processes, embedded mode): an agreement with the fiscal year's targets, two persons
and this quarter's interventions (one clean, one flagged C5: a follow-up without an action plan),
an action plan and a regionalization follow-up, the previous quarter submitted, accepted and
locked (which sends notices), and a lock exception requested for it, awaiting the ministry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.demo_plan import USERS
from scripts.launcher import ServiceProcesses
from tests.portal.persons_support import api_token, assign_reviewer, person_body, register
from tests.portal.support import ORG, eventually, this_quarter

MANAGER, STAFF, REVIEWER, ADMIN = "sophie@org-sherbrooke", "karine@org-sherbrooke", "nadia@mifi", "admin@mifi"
# The year's targets: 4 persons, 2 action plans, 3 ACC and 4 SUI (7 interventions in all).
YEAR_TARGETS = {"unique_persons": 4, "action_plans": 2, "interventions": {"ACC": 3, "SUI": 4}}
EXCEPTION_REASON = "Un accueil du trimestre saisi en retard"


@dataclass(frozen=True)
class Quarter:
    """What was made: the persons' names and the ids the pages are reached by."""

    clean: str  # "Farah Karimi": ACC, no flag
    flagged: str  # "Omid Sadeghi": SUI without an action plan (C5, error)
    clean_person: str
    flagged_intervention: str
    plan: str
    follow_up: str
    exception: str


def ok(answer: httpx.Response) -> Any:
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def previous_quarter() -> FiscalQuarter:
    return FiscalQuarter.of(this_quarter().first_day - timedelta(days=1))


@contextmanager
def organization_quarter(tmp: Path, base_port: int) -> Iterator[tuple[ServiceProcesses, Quarter]]:
    """The services and the portal (development sign-in) on ``base_port``…, with the quarter."""
    env = {"GSI_DATA_DIR": str(tmp), "GSI_BUS": "embedded"}
    system = ServiceProcesses(env=env, log_dir=tmp / "logs", base_port=base_port)
    try:
        system.start(timeout_s=120)
        portal_env = {"GSI_PORTAL_AUTH_MODE": "development", "GSI_PORTAL_DEV_USERS": json.dumps(USERS)}
        system.start_portal(portal_env)
        with httpx.Client(timeout=30) as http:
            quarter = _populate(http, system)
        yield system, quarter
    finally:
        system.stop()


def _populate(http: httpx.Client, system: ServiceProcesses) -> Quarter:
    _agreement(http, system)
    staff = api_token(http, system, STAFF)
    clean = register(http, system, staff, person_body("Karimi", "Farah"))
    flagged = register(http, system, staff, person_body("Sadeghi", "Omid"))
    today = montreal_date(datetime.now(UTC))
    _declare(http, system, staff, clean, "ACC", today)
    flagged_intervention = _declare(http, system, staff, flagged, "SUI", today)
    interventions = system.url("interventions")
    plan = ok(
        http.post(
            f"{interventions}/action-plans",
            headers=staff,
            json={
                "person_id": clean,
                "opened_on": today.isoformat(),
                "needs": ["housing", "french_courses"],
                "objectives": ["Trouver un logement permanent"],
                "planned_services": [{"code": "PDI", "planned_on": today.isoformat(), "note": "RAMQ"}],
            },
        )
    )["plan_id"]
    follow_up = ok(
        http.post(
            f"{interventions}/regionalization-follow-ups",
            headers=staff,
            json={
                "person_id": clean,
                "destination_region": "05",
                "opened_on": (today - timedelta(days=100)).isoformat(),
            },
        )
    )
    _counted(http, system, staff)
    _lock_previous(http, system)
    exception = _request_exception(http, system, staff)
    inbox = f"{system.url('notifications')}/inbox"
    eventually(lambda: http.get(inbox, headers=staff).json()["total"] > 0, what="the lock's notices")
    return Quarter(
        clean="Farah Karimi",
        flagged="Omid Sadeghi",
        clean_person=clean,
        flagged_intervention=flagged_intervention,
        plan=plan,
        follow_up=str(follow_up.get("follow_up_id") or follow_up.get("id")),
        exception=exception,
    )


def _agreement(http: httpx.Client, system: ServiceProcesses) -> None:
    admin = api_token(http, system, ADMIN)
    reporting = system.url("reporting")
    contact = {
        "name": "Sophie Tremblay",
        "email": "sophie@integration-estrie.example",
        "role": "coordination",
    }
    org = {"organization_id": ORG, "name": "Intégration Estrie", "regions": ["05"], "contacts": [contact]}
    ok(http.post(f"{reporting}/organizations", headers=admin, json=org))
    assign_reviewer(http, system, ORG, REVIEWER)
    current, previous = this_quarter(), previous_quarter()
    year = f"{current.start_year}-{current.start_year + 1}"
    agreement = {
        "organization_id": ORG,
        "starts_on": date(previous.start_year, 4, 1).isoformat(),
        "ends_on": date(current.start_year + 2, 3, 31).isoformat(),
        "volets": ["V1", "V2", "V3"],
        "targets": [{"fiscal_year": year, "period": "year", **YEAR_TARGETS}],
    }
    ok(http.post(f"{reporting}/agreements", headers=admin, json=agreement))


def _declare(
    http: httpx.Client,
    system: ServiceProcesses,
    headers: dict[str, str],
    person_id: str,
    code: str,
    day: date,
) -> str:
    body = {
        "person_id": person_id,
        "code": code,
        "service_date": day.isoformat(),
        "duration_minutes": 60,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": "karine",
    }

    def declared() -> str | None:
        answer = http.post(f"{system.url('interventions')}/interventions", headers=headers, json=body)
        return str(answer.json()["intervention_id"]) if answer.status_code == 201 else None

    return str(eventually(declared, what="interventions learns of the person"))


def _counted(http: httpx.Client, system: ServiceProcesses, staff: dict[str, str]) -> None:
    """Once reporting counts both interventions and the plan in the year to date."""
    current = this_quarter()
    url = f"{system.url('reporting')}/targets/{ORG}/{current.start_year}-{current.start_year + 1}"

    def counted() -> bool:
        quarters = ok(http.get(url, headers=staff))["quarters"]
        to_date = next(q["year_to_date"] for q in quarters if q["quarter"] == str(current))
        return bool(to_date["interventions_total"]["actual"] == 2 and to_date["action_plans"]["actual"] == 1)

    eventually(counted, what="reporting counts the interventions and the plan")


def _lock_previous(http: httpx.Client, system: ServiceProcesses) -> None:
    """The previous quarter (ended, empty) submitted, accepted and locked."""
    manager, reviewer = api_token(http, system, MANAGER), api_token(http, system, REVIEWER)
    path = f"{system.url('reporting')}/reports/{ORG}/{previous_quarter()}"
    ok(http.post(f"{path}/submit", headers=manager))
    ok(http.post(f"{path}/take", headers=reviewer))
    ok(http.post(f"{path}/accept", headers=reviewer, json={}))
    ok(http.post(f"{path}/lock", headers=reviewer))


def _request_exception(http: httpx.Client, system: ServiceProcesses, staff: dict[str, str]) -> str:
    body = {"quarter": str(previous_quarter()), "reason": EXCEPTION_REASON, "intervention_ids": []}

    def requested() -> str | None:  # interventions learns of the lock from reporting's events
        answer = http.post(f"{system.url('interventions')}/lock-exceptions", headers=staff, json=body)
        return str(answer.json()["id"]) if answer.status_code == 201 else None

    return str(eventually(requested, what="interventions knows the previous quarter is locked"))
