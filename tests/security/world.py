"""A world for the security tests: two organizations, A and B, each with objects of every kind,
made through the real APIs of the four services (in this process, embedded mode) — persons
with a document and a probable duplicate, interventions, a group session, an action plan, a
regionalization follow-up, an import, a locked quarter with a lock exception, a submitted
report, an agreement, notices.

Everything A owns is recorded in ``World.ids`` (by path-parameter name) and its personal data
in ``World.secrets``: no one entitled to nothing of A may ever see any of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gsi_kernel import parking
from gsi_kernel.clock import FixedClock
from gsi_kernel.runtime import Kernel
from tests.e2e.flow import Http, Services, eventually, token
from tests.people import refugee

REGISTERED_AT = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)  # persons registered in Q1
Q1_CLOSED_AT = datetime(2026, 7, 6, 15, 0, tzinfo=UTC)  # Q1 reported and locked early in Q2
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # the rest happens in Q3
TODAY = "2026-11-20"
ORG_A, ORG_B = "org-alpha-secu", "org-beta-secu"
REVIEWER_A, REVIEWER_B = "rev-alpha@mifi", "rev-beta@mifi"
Q1, Q2, FISCAL_YEAR = "2026-2027-Q1", "2026-2027-Q2", "2026-2027"
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
CSV_HEADER = "person_id;code;service_date;duration_minutes;mode;volet;staff_member;notes\n"


def person(family: str, given: str, uci: str | None) -> dict[str, Any]:
    return refugee(
        family,
        given,
        uci=uci,
        email=f"{given.lower()}@example.org",
        address={"region": "05", "street": "12 rue King Ouest", "municipality": "Sherbrooke"},
    )


def declaration(person_id: str, service_date: str, **changes: Any) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "code": "ACC",
        "service_date": service_date,
        "duration_minutes": 60,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": "karine",
        **changes,
    }


@dataclass
class Tenant:
    organization: str
    reviewer: str
    staff: dict[str, str]
    manager: dict[str, str]
    reviewer_headers: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    services: Services
    a: Tenant
    b: Tenant
    admin: dict[str, str]
    secrets: set[str]
    program: dict[str, str] = field(default_factory=dict)  # program-wide objects (not a tenant's)
    parked: set[str] = field(default_factory=set)  # ids of the events parked on purpose

    @property
    def ids(self) -> dict[str, str]:
        return self.a.ids


def ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200, 201, 202, 204)), (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    )
    return response.json() if response.content else None


def tenant(services: Services, organization: str, reviewer: str) -> Tenant:
    http = services.registration
    return Tenant(
        organization,
        reviewer,
        token(http, user_id=f"staff@{organization}", roles=["org_staff"], organization=organization),
        token(http, user_id=f"manager@{organization}", roles=["org_manager"], organization=organization),
        token(http, user_id=reviewer, roles=["ministry_reviewer"], assigned_organizations=[organization]),
    )


def build_world(services: Services, clock: FixedClock) -> World:
    """Seed the world, moving ``clock`` from the persons' registration to :data:`NOW`."""
    admin = token(services.registration, user_id="admin@mifi", roles=["admin"])
    a, b = tenant(services, ORG_A, REVIEWER_A), tenant(services, ORG_B, REVIEWER_B)
    clock.set(REGISTERED_AT)
    for t, name in ((a, "Organisme Alpha Confidentiel"), (b, "Organisme Bêta")):
        register_organization(services.reporting, admin, t, name)
    a.ids["agreement_id"] = record_agreement(services.reporting, admin, ORG_A)
    record_agreement(services.reporting, admin, ORG_B)  # B's quarters owe reports too
    register_persons(services.registration, a, ("Zaroukian", "Ysoline"), duplicate=True)
    register_persons(services.registration, b, ("Brontë", "Wilhelmina"), duplicate=False)
    clock.set(Q1_CLOSED_AT)
    for t in (a, b):
        declare(services.interventions, t, "q1_intervention_id", "2026-05-12")
        close_quarter(services.reporting, t, Q1)
    clock.set(NOW)
    request_exception(services.interventions, a)
    declare(services.interventions, a, "intervention_id", "2026-08-10")
    plan_and_follow(services.interventions, a)
    import_file(services.interventions, a)
    submit(services.reporting, a, Q2)
    a.ids["notice_id"] = notice(services.notifications, a)
    reviewer_known_everywhere(services, a)
    a.ids["organization_id"] = ORG_A
    secrets = {v for k, v in a.ids.items() if k.endswith("_id")} | {
        "Zaroukian",
        "Ysoline",
        "Organisme Alpha Confidentiel",
        ORG_A,
    }
    world = World(services, a, b, admin, secrets)
    world.parked = park_an_event(services)
    return world


class SeededParking(Exception):
    """Why the world's own parked events were parked: so that an administrator's retry and skip
    of a parked event have one to act on."""


def park_an_event(services: Services) -> set[str]:
    """Park one event of each service's store for its first projection, as a projection that
    could not apply it would (the security tests then retry and skip it through the API)."""
    parked = set()
    for client in vars(services).values():
        kernel: Kernel = client.app.state.kernel
        projection = kernel.wiring.projections[0].name
        with kernel.db.transaction() as connection:
            event = kernel.store.read_all(connection, after=(0, 0), limit=1)[0]
            parking.park(connection, projection, event, SeededParking(), 1, kernel.clock.now())
        parked.add(event.event_id)
    return parked


def register_organization(http: Http, admin: dict[str, str], t: Tenant, name: str) -> None:
    contact = {
        "name": f"Coordination {name}",
        "email": f"coordination@{t.organization}.example",
        "role": "coordination",
    }
    body = {"organization_id": t.organization, "name": name, "regions": ["05"], "contacts": [contact]}
    ok(http.post("/organizations", headers=admin, json=body))
    # PUT is not in the flow's Http protocol: the TestClient has it.
    ok(http.put(f"/organizations/{t.organization}/reviewers/{t.reviewer}", headers=admin))  # type: ignore[attr-defined]


def reviewer_known_everywhere(services: Services, t: Tenant) -> None:
    """Wait until registration and interventions have taken in reporting's assignment of the
    tenant's reviewer (notifications has: the reviewer read a notice). A reviewer's
    organizations come from that registry, not from the token (ADR 23)."""

    def reads_everything() -> bool:
        person = services.registration.get(f"/persons/{t.ids['person_id']}", headers=t.reviewer_headers)
        url = f"/interventions/{t.ids['intervention_id']}"
        return (
            person.status_code == 200
            and services.interventions.get(url, headers=t.reviewer_headers).status_code == 200
        )

    eventually(reads_everything, what="every service knows the reviewer's assignment")


def record_agreement(http: Http, admin: dict[str, str], organization: str) -> str:
    body = {
        "organization_id": organization,
        "starts_on": "2026-04-01",
        "ends_on": "2029-03-31",
        "volets": ["V1", "V2"],
        "funding": [{"fiscal_year": FISCAL_YEAR, "amount_cents": 85000000}],
        "targets": [{"fiscal_year": FISCAL_YEAR, "period": "year", "unique_persons": 40}],
    }
    return str(ok(http.post("/agreements", headers=admin, json=body))["id"])


def register_persons(http: Http, t: Tenant, names: tuple[str, str], *, duplicate: bool) -> None:
    body = person(*names, uci=None)
    t.ids["person_id"] = ok(http.post("/persons", headers=t.staff, json=body))["person_id"]
    files = {"file": ("preuve.pdf", PDF, "application/pdf")}
    url = f"/persons/{t.ids['person_id']}/documents"
    t.ids["document_id"] = ok(http.post(url, headers=t.staff, files=files))["document_id"]
    if duplicate:  # the same person registered twice: a probable duplicate for the admins
        second = ok(http.post("/persons", headers=t.staff, json=body))
        assert second["possible_duplicate"] is True
        t.ids["duplicate_person_id"] = second["person_id"]


def declare(http: Http, t: Tenant, name: str, service_date: str) -> None:
    body = declaration(t.ids["person_id"], service_date)

    def declared() -> Any:
        response = http.post("/interventions", headers=t.staff, json=body)
        if response.status_code != 201:  # until interventions has learnt the person
            assert response.json()["code"] == "intervention.unknown_person", response.text
            return None
        return response.json()

    t.ids[name] = eventually(declared, what="interventions learns the person")["intervention_id"]


def plan_and_follow(http: Http, t: Tenant) -> None:
    person_id = t.ids["person_id"]
    session = {
        **{k: v for k, v in declaration(person_id, "2026-08-11").items() if k != "person_id"},
        **{"code": "SIC", "mode": "group", "volet": "V2", "title": "Séance", "attendees": [person_id]},
    }
    t.ids["session_id"] = ok(http.post("/group-sessions", headers=t.staff, json=session))["session_id"]
    plan = {
        "person_id": person_id,
        "opened_on": "2026-11-02",
        "needs": ["housing"],
        "objectives": ["Trouver un logement"],
        "planned_services": [{"code": "PDI", "planned_on": "2026-11-27"}],
    }
    plan_id = ok(http.post("/action-plans", headers=t.staff, json=plan))["plan_id"]
    view = ok(http.get(f"/action-plans/{plan_id}", headers=t.staff))
    t.ids.update(
        plan_id=plan_id,
        objective_id=view["objectives"][0]["objective_id"],
        service_id=view["planned_services"][0]["service_id"],
    )
    follow_up = {"person_id": person_id, "destination_region": "05", "opened_on": "2026-09-01"}
    created = ok(http.post("/regionalization-follow-ups", headers=t.staff, json=follow_up))
    t.ids["follow_up_id"] = created["follow_up_id"]


def import_file(http: Http, t: Tenant) -> None:
    content = f"{CSV_HEADER}{t.ids['person_id']};PDI;2026-08-12;30;in_person;V1;karine;\n".encode()
    files = {"file": ("seances.csv", content, "text/csv")}
    started = ok(http.post("/imports", headers=t.staff, files=files, data={"mode": "dry_run"}))
    t.ids["import_id"] = started["import_id"]

    def done() -> Any:
        job = ok(http.get(f"/imports/{started['import_id']}", headers=t.staff))
        return job if job["status"] in {"done", "failed"} else None

    eventually(done, what="the import to finish")


def close_quarter(http: Http, t: Tenant, quarter: str) -> None:
    """Submit, take, accept and lock the organization's report of ``quarter``."""
    submit(http, t, quarter)
    url = f"/reports/{t.organization}/{quarter}"
    ok(http.post(f"{url}/take", headers=t.reviewer_headers))
    ok(http.post(f"{url}/accept", headers=t.reviewer_headers, json={"override_reason": "Contrôle fait"}))
    ok(http.post(f"{url}/lock", headers=t.reviewer_headers))


def submit(http: Http, t: Tenant, quarter: str) -> None:
    url = f"/reports/{t.organization}/{quarter}"

    def counted() -> Any:
        return ok(http.get(url, headers=t.manager)).get("interventions_count", 0) >= 1

    eventually(counted, what=f"reporting counts {t.organization}'s {quarter}")
    ok(http.post(f"{url}/submit", headers=t.manager))


def request_exception(http: Http, t: Tenant) -> None:
    body = {"quarter": Q1, "reason": "Deux accueils saisis en retard", "intervention_ids": []}
    body["intervention_ids"] = [t.ids["q1_intervention_id"]]

    def requested() -> Any:
        response = http.post("/lock-exceptions", headers=t.staff, json=body)
        return response.json() if response.status_code == 201 else None

    t.ids["exception_id"] = eventually(requested, what="interventions learns the lock")["id"]


def notice(http: Http, t: Tenant) -> str:
    def arrived() -> Any:
        items = ok(http.get("/inbox", headers=t.reviewer_headers))["items"]
        return items[0]["notice_id"] if items else None

    return str(eventually(arrived, what="a notice for A's reviewer"))
