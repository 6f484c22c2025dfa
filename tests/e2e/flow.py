"""The thin end-to-end journey, driven over HTTP against any four running services:
an agreement covers the organization → register a person → interventions learns of them →
declare an intervention → reporting counts it for the quarter → the quarter ends → submit the
report → notifications records the notice for the reviewer.

The same driver runs in-process (TestClient) and against separate processes (httpx.Client); the
caller says how the services' business day moves (``MoveTo``: a test clock set, or processes
restarted with another ``GSI_CLOCK_OFFSET_DAYS``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from gsi_kernel.fiscal import FiscalQuarter
from tests.people import refugee

ORG = "org-sherbrooke"
# The journey's days: a service in 2026-2027-Q2, whose report may be submitted once the quarter
# has ended (September 30) and is due October 30.
DECLARED_ON = date(2026, 9, 14)
SUBMITTED_ON = date(2026, 10, 5)
MoveTo = Callable[[date], None]  # sets the services' business day
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
SETUP_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"  # not the journey's trace


class Http(Protocol):
    def get(self, url: str, **kwargs: Any) -> Any: ...
    def post(self, url: str, **kwargs: Any) -> Any: ...


@dataclass
class Services:
    registration: Http
    interventions: Http
    reporting: Http
    notifications: Http


def eventually(check: Callable[[], Any], *, timeout_s: float = 30.0, what: str) -> Any:
    """Poll ``check`` until it returns something truthy (asynchronous hops take a moment)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.1)


def token(http: Http, **claims: Any) -> dict[str, str]:
    response = http.post("/dev/token", json=claims)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}", "traceparent": TRACEPARENT}


def cover(services: Services, org: str) -> None:
    """The organization in reporting's registry, and an agreement covering the journey's
    quarters: its reports are owed, and may be submitted once each quarter has ended."""
    admin = {
        **token(services.registration, user_id="admin", roles=["admin"]),
        "traceparent": SETUP_TRACEPARENT,
    }
    registered = services.reporting.post(
        "/organizations",
        headers=admin,
        json={"organization_id": org, "name": "Intégration Estrie", "regions": ["05"]},
    )
    assert registered.status_code in {201, 409}, registered.text
    agreement = {
        "organization_id": org, "program": "PASI", "starts_on": "2026-04-01", "ends_on": "2029-03-31",
        "volets": ["V1", "V2", "V3"],
    }  # fmt: skip

    def recorded() -> Any:  # once reporting's registry shows the organization (a moment after)
        response = services.reporting.post("/agreements", headers=admin, json=agreement)
        assert response.status_code in {201, 404}, response.text
        return response.status_code == 201

    eventually(recorded, what="reporting records the organization's agreement")


def assign_reviewer(services: Services, reviewer: str, org: str) -> None:
    """Assign ``reviewer`` to ``org`` in reporting's registry: the other services learn it from
    reporting's events, and authorize the reviewer from it, not from the token (ADR 23)."""
    admin = {
        **token(services.registration, user_id="admin", roles=["admin"]),
        "traceparent": SETUP_TRACEPARENT,
    }
    # PUT is not in the Http protocol: TestClient and httpx.Client both have it.
    assigned = services.reporting.put(f"/organizations/{org}/reviewers/{reviewer}", headers=admin)  # type: ignore[attr-defined]
    assert assigned.status_code == 204, assigned.text


def run_journey(services: Services, move_to: MoveTo, org: str = ORG) -> dict[str, Any]:
    """Run the whole journey; return what each hop produced, for the test to assert on."""
    move_to(DECLARED_ON)
    cover(services, org)
    service_date = DECLARED_ON
    staff = token(services.registration, user_id="karine", roles=["org_staff"], organization=org)
    manager = token(services.registration, user_id="sophie", roles=["org_manager"], organization=org)
    reviewer = token(services.registration, user_id="nadia", roles=["ministry_reviewer"])
    assign_reviewer(services, "nadia", org)
    registered = services.registration.post(
        "/persons",
        headers=staff,
        json=refugee(),
    )
    assert registered.status_code == 201, registered.text
    person_id = registered.json()["person_id"]

    declaration = {
        "person_id": person_id,
        "code": "ACC",
        "service_date": service_date.isoformat(),
        "duration_minutes": 60,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": "karine",
    }

    def declare() -> Any:
        response = services.interventions.post("/interventions", headers=staff, json=declaration)
        # Until interventions has consumed PersonRegistered, the person is unknown to it.
        return response if response.status_code == 201 else None

    declared = eventually(declare, what="interventions learns of the person")
    quarter = FiscalQuarter.of(service_date)
    report_url = f"/reports/{org}/{quarter}"

    def counted() -> Any:
        body = services.reporting.get(report_url, headers=manager).json()
        return body if body.get("interventions_count") == 1 else None

    report_before = eventually(counted, what="reporting counts the intervention")
    move_to(SUBMITTED_ON)
    submitted = services.reporting.post(f"{report_url}/submit", headers=manager)
    assert submitted.status_code == 200, submitted.text

    def noticed() -> Any:
        body = services.notifications.get("/inbox", headers=reviewer).json()
        return body if body.get("total") == 1 else None

    inbox = eventually(noticed, what="notifications records the notice")
    return {
        "person_id": person_id,
        "intervention_id": declared.json()["intervention_id"],
        "report_before": report_before,
        "submitted": submitted.json(),
        "inbox": inbox,
        "quarter": str(quarter),
        "declaration": declaration,
        "headers": {"staff": staff, "manager": manager, "reviewer": reviewer},
    }


def close_the_quarter(services: Services, journey: dict[str, Any], org: str = ORG) -> dict[str, Any]:
    """After ``run_journey`` (a report submitted, its quarter ended): the reviewer rejects it
    with a reason on the intervention, the organization corrects it and resubmits, the reviewer
    accepts and locks — interventions then refuses a declaration in that quarter — and an admin
    unlocks it."""
    staff, manager = journey["headers"]["staff"], journey["headers"]["manager"]
    reviewer = journey["headers"]["reviewer"]
    admin = token(services.registration, user_id="admin", roles=["admin"])
    report_url = f"/reports/{org}/{journey['quarter']}"
    intervention_id = journey["intervention_id"]

    def step(http: Http, path: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
        response = http.post(path, headers=headers, json=body or {})
        assert response.status_code in {200, 201, 204}, f"{path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    step(services.reporting, f"{report_url}/take", reviewer)
    rejected = step(
        services.reporting,
        f"{report_url}/reject",
        reviewer,
        {"reason": "Durée à vérifier", "items": [{"intervention_id": intervention_id, "reason": "Durée ?"}]},
    )
    details = {k: v for k, v in journey["declaration"].items() if k != "person_id"}
    correction = {"details": {**details, "duration_minutes": 90}, "reason": "Durée corrigée"}
    step(services.interventions, f"/interventions/{intervention_id}/corrections", staff, correction)

    def correction_seen() -> Any:
        integrity = services.reporting.get(f"{report_url}/integrity?version=1", headers=manager).json()
        return integrity if integrity.get("changed") else None

    eventually(correction_seen, what="reporting follows the correction")
    resubmitted = step(services.reporting, f"{report_url}/submit", manager)
    step(services.reporting, f"{report_url}/take", reviewer)
    accepted = step(services.reporting, f"{report_url}/accept", reviewer)
    locked = step(services.reporting, f"{report_url}/lock", reviewer)

    late = {**journey["declaration"], "code": "PDI"}

    def refused() -> Any:
        response = services.interventions.post("/interventions", headers=staff, json=late)
        return response if response.status_code == 423 else None

    refusal = eventually(refused, what="interventions refuses a declaration in the locked quarter")
    unlocked = step(services.reporting, f"{report_url}/unlock", admin, {"reason": "Correction d'audit"})

    def admitted() -> Any:
        response = services.interventions.post("/interventions", headers=staff, json=late)
        return response if response.status_code == 201 else None

    eventually(admitted, what="interventions accepts declarations again after the unlock")
    return {
        "rejected": rejected,
        "resubmitted": resubmitted,
        "accepted": accepted,
        "locked": locked,
        "refusal": refusal.json(),
        "unlocked": unlocked,
    }
