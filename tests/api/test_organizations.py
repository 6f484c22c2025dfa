"""The registry API of the reporting service — organizations, reviewer assignments, agreements
with targets — and the performance dashboards fed by interventions' published events: what
admins may write, who reads what, what is published, and bad input answered with a 4xx and a
code while nothing is written."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text

from gsi_contracts import interventions as interventions_contract
from gsi_contracts import reporting as contract
from gsi_kernel.clock import FixedClock
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.tables import events
from reporting.bootstrap import build, build_app
from reporting.counting import rebuild as performance
from reporting.registry_projection import agreement_targets
from reporting.settings import ReportingSettings
from reporting.tables import known_action_plans, quarter_interventions
from tests.api.test_http_behaviour import assert_error
from tests.consumers import deliver, outbox_events, published
from tests.e2e.flow import token

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
ORG, OTHER = "org-sherbrooke", "org-montreal"
FY = "2026-2027"
Headers = dict[str, str]


@dataclass
class ReportingApp:
    client: TestClient
    clock: FixedClock
    kernel: Kernel

    def headers(self, user: str, roles: list[str], organization: str | None = None, **claims: Any) -> Headers:
        return token(self.client, user_id=user, roles=roles, organization=organization, **claims)

    def receive(self, event: DomainEvent) -> None:
        """Hand one published event (a ``gsi_contracts`` model) to the service's consumers."""
        assert deliver(self.kernel, published(event, occurred_at=self.clock.now()))

    def stored_events(self) -> int:
        with self.kernel.db.transaction() as connection:
            return int(connection.execute(select(func.count()).select_from(events)).scalar_one())

    def published(self, event_type: str) -> list[dict[str, Any]]:
        return [e.payload for e in outbox_events(self.kernel) if e.type == event_type]


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[ReportingApp]:
    """The reporting service alone, in this process, on a fixed clock."""
    clock = FixedClock(NOW)
    container = build(ReportingSettings(data_dir=tmp_path), clock=clock)
    with TestClient(build_app(container)) as client:
        yield ReportingApp(client, clock, container.kernel)


@pytest.fixture
def admin(svc: ReportingApp) -> Headers:
    return svc.headers("marc@mifi", ["admin"])


def contact(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Sophie Tremblay",
        "email": "sophie@sanc.ca",
        "role": "coordination",
        "language": "fr",
        **changes,
    }


def register(svc: ReportingApp, admin: Headers, org: str = ORG, **changes: Any) -> None:
    body = {
        "organization_id": org,
        "name": f"Organisme {org}",
        "regions": ["05"],
        "contacts": [contact()],
        **changes,
    }
    response = svc.client.post("/organizations", headers=admin, json=body)
    assert response.status_code == 201, response.text


TARGETS = [
    {
        "fiscal_year": FY,
        "period": "year",
        "unique_persons": 10,
        "action_plans": 4,
        "interventions": {"ACC": 8, "SUI": 12},
    },
    {"fiscal_year": FY, "period": "Q1", "unique_persons": 4, "action_plans": 1, "interventions": {"ACC": 2}},
    {"fiscal_year": FY, "period": "Q2", "unique_persons": 4, "action_plans": 2, "interventions": {"ACC": 2}},
]


def agreement_body(org: str = ORG, **changes: Any) -> dict[str, Any]:
    return {
        "organization_id": org,
        "program": "PASI",
        "starts_on": "2026-04-01",
        "ends_on": "2029-03-31",
        "volets": ["V1", "V2"],
        "funding": [{"fiscal_year": FY, "amount_cents": 85_000_000}],
        "targets": TARGETS,
        **changes,
    }


def record(svc: ReportingApp, admin: Headers, **changes: Any) -> str:
    response = svc.client.post("/agreements", headers=admin, json=agreement_body(**changes))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# ---- organizations ------------------------------------------------------------------------


def test_an_organization_is_registered_read_updated_and_published(svc: ReportingApp, admin: Headers) -> None:
    register(
        svc, admin, regions=["05", "16"], contacts=[contact(), contact(email="ana@sanc.ca", language="en")]
    )
    body = {"regions": ["05"], "reason": "Fermeture du point de service de Granby"}
    updated = svc.client.patch(f"/organizations/{ORG}", headers=admin, json=body)
    assert updated.status_code == 200, updated.text
    view = svc.client.get(f"/organizations/{ORG}", headers=admin).json()
    assert (view["regions"], view["version"], view["update_reason"]) == (["05"], 2, body["reason"])
    assert [c["language"] for c in view["contacts"]] == ["fr", "en"]
    (registered,) = svc.published(contract.OrganizationRegistered.event_type)
    assert registered["regions"] == ["05", "16"]
    assert registered["contacts"][1] == {
        "name": "Sophie Tremblay",
        "email": "ana@sanc.ca",
        "role": "coordination",
        "language": "en",
    }
    (change,) = svc.published(contract.OrganizationUpdated.event_type)
    assert (change["regions"], change["reason"], len(change["contacts"])) == (["05"], body["reason"], 2)


def test_organizations_are_listed_by_region_and_org_users_see_their_own_only(
    svc: ReportingApp, admin: Headers
) -> None:
    register(svc, admin)
    register(svc, admin, OTHER, regions=["06"])
    by_region = svc.client.get("/organizations", headers=admin, params={"region": "06"}).json()
    assert [o["organization_id"] for o in by_region["items"]] == [OTHER]
    staff = svc.headers("karine", ["org_staff"], ORG)
    mine = svc.client.get("/organizations", headers=staff).json()
    assert (mine["total"], mine["items"][0]["organization_id"]) == (1, ORG)
    assert_error(svc.client.get(f"/organizations/{OTHER}", headers=staff), 404, "organization.not_found")
    reviewer = svc.headers("nadia", ["ministry_reviewer"])
    assert svc.client.get("/organizations", headers=reviewer).json()["total"] == 2


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"contacts": [contact(email="sophie-at-sanc.ca")]}, 422, "organization.invalid_email"),
        ({"contacts": [contact(language="es")]}, 422, "organization.invalid_language"),
        ({"regions": ["18"]}, 422, "organization.invalid_region"),
        ({"regions": []}, 422, "organization.no_region"),
        ({"organization_id": "Org Sherbrooke"}, 422, "organization.invalid_id"),
        ({"organization_id": ORG}, 409, "organization.exists"),
        ({"surprise": 1}, 422, "unknown_field"),
    ],
)
def test_bad_registrations_write_nothing(
    svc: ReportingApp, admin: Headers, changes: dict[str, Any], status: int, code: str
) -> None:
    register(svc, admin)
    before = svc.stored_events()
    body = {
        "organization_id": "org-quebec",
        "name": "Centre",
        "regions": ["03"],
        "contacts": [contact()],
        **changes,
    }
    assert_error(svc.client.post("/organizations", headers=admin, json=body), status, code)
    assert svc.stored_events() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/organizations", {"organization_id": "org-x", "name": "X", "regions": ["05"]}),
        ("PATCH", f"/organizations/{ORG}", {"name": "X", "reason": "r"}),
        ("PUT", f"/organizations/{ORG}/reviewers/nadia", None),
        ("POST", "/agreements", agreement_body()),
    ],
)
@pytest.mark.parametrize("role", ["org_manager", "ministry_reviewer"])
def test_only_admins_write_the_registry(
    svc: ReportingApp, admin: Headers, method: str, path: str, body: Any, role: str
) -> None:
    register(svc, admin)
    before = svc.stored_events()
    headers = svc.headers("someone", [role], ORG if role == "org_manager" else None)
    assert_error(svc.client.request(method, path, headers=headers, json=body), 403, "auth.forbidden_role")
    assert svc.stored_events() == before


def test_an_update_needs_a_reason_and_an_existing_organization(svc: ReportingApp, admin: Headers) -> None:
    register(svc, admin)
    blank = svc.client.patch(f"/organizations/{ORG}", headers=admin, json={"name": "X", "reason": " "})
    # A blank reason is refused at the edge, field by field (the text rule), before the domain.
    [error] = assert_error(blank, 422, "invalid_field")["details"]["errors"]
    assert (error["location"], error["code"], error["message"]["fr"]) == (
        ["body", "reason"],
        "text.blank",
        "Motif : ne peut pas être vide.",
    )
    missing = svc.client.patch("/organizations/org-nowhere", headers=admin, json={"name": "X", "reason": "r"})
    assert_error(missing, 404, "organization.not_found")


# ---- reviewer assignments -----------------------------------------------------------------


def test_reviewers_are_assigned_listed_both_ways_and_removed(svc: ReportingApp, admin: Headers) -> None:
    register(svc, admin)
    register(svc, admin, OTHER)
    for org in (ORG, OTHER, ORG):  # the second assignment to ORG changes nothing
        assert svc.client.put(f"/organizations/{org}/reviewers/nadia", headers=admin).status_code == 204
    assert len(svc.published(contract.ReviewerAssigned.event_type)) == 2
    reviewers = svc.client.get(f"/organizations/{ORG}/reviewers", headers=admin).json()
    assert [(r["reviewer_id"], r["assigned_by"]) for r in reviewers] == [("nadia", "marc@mifi")]
    nadia = svc.headers("nadia", ["ministry_reviewer"])
    mine = svc.client.get("/reviewers/nadia/organizations", headers=nadia).json()
    assert [o["organization_id"] for o in mine] == [OTHER, ORG]
    removed = svc.client.delete(
        f"/organizations/{ORG}/reviewers/nadia", headers=admin, params={"reason": "Congé"}
    )
    assert removed.status_code == 204
    assert svc.published(contract.ReviewerUnassigned.event_type) == [
        {"organization_id": ORG, "reviewer_id": "nadia"}
    ]
    assert [
        o["organization_id"] for o in svc.client.get("/reviewers/nadia/organizations", headers=admin).json()
    ] == [OTHER]


def test_bad_assignments_are_refused(svc: ReportingApp, admin: Headers) -> None:
    register(svc, admin)
    gone = svc.client.delete(f"/organizations/{ORG}/reviewers/nadia", headers=admin)
    assert_error(gone, 404, "reviewer.not_assigned")
    unknown = svc.client.put("/organizations/org-nowhere/reviewers/nadia", headers=admin)
    assert_error(unknown, 404, "organization.not_found")
    other = svc.headers("julie", ["ministry_reviewer"])
    assert_error(
        svc.client.get("/reviewers/nadia/organizations", headers=other), 403, "reviewer.not_yourself"
    )


# ---- agreements ---------------------------------------------------------------------------


def test_an_agreement_is_recorded_amended_versioned_and_published(svc: ReportingApp, admin: Headers) -> None:
    register(svc, admin)
    agreement_id = record(svc, admin)
    raised = [{**TARGETS[0], "unique_persons": 12}, *TARGETS[1:]]
    amended = svc.client.post(
        f"/agreements/{agreement_id}/amendments",
        headers=admin,
        json={"targets": raised, "volets": ["V1", "V2", "V4"], "reason": "Révision"},
    )
    assert amended.status_code == 200, amended.text
    view = amended.json()
    assert [t["period"] for t in view["targets"]] == ["Q1", "Q2", "year"]  # canonical order
    assert (view["version"], view["volets"], view["targets"][2]["unique_persons"]) == (
        2,
        ["V1", "V2", "V4"],
        12,
    )
    assert view["funding"] == [{"fiscal_year": FY, "amount_cents": 85_000_000}]
    versions = svc.client.get(f"/agreements/{agreement_id}/versions", headers=admin).json()
    assert [(v["version"], v["reason"]) for v in versions] == [(1, None), (2, "Révision")]
    assert versions[0]["terms"]["targets"][2]["unique_persons"] == 10
    published_agreements = svc.published(contract.AgreementRecorded.event_type)
    assert published_agreements[0] == {
        "agreement_id": agreement_id,
        "organization_id": ORG,
        "program": "PASI",
        "volets": ["V1", "V2"],
        "starts_on": "2026-04-01",
        "ends_on": "2029-03-31",
    }
    assert published_agreements[1]["volets"] == ["V1", "V2", "V4"]


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"targets": [{**TARGETS[1], "unique_persons": -1}]}, 422, "agreement.negative_target"),
        ({"targets": [{**TARGETS[1], "interventions": {"ACC": -3}}]}, 422, "agreement.negative_target"),
        ({"targets": [{**TARGETS[1], "action_plans": -2}]}, 422, "agreement.negative_target"),
        ({"funding": [{"fiscal_year": FY, "amount_cents": -100}]}, 422, "agreement.negative_amount"),
        ({"funding": [{"fiscal_year": FY, "amount_cents": 12.5}]}, 422, "invalid_field"),  # no floats
        ({"volets": ["V9"]}, 422, "agreement.invalid_volet"),
        ({"starts_on": "2027-04-01", "ends_on": "2027-03-31"}, 422, "agreement.invalid_period"),
        (
            {"starts_on": "2028-04-01", "ends_on": "2030-03-31", "targets": [], "funding": []},
            409,
            "agreement.overlap",
        ),
        ({"organization_id": "org-nowhere"}, 404, "organization.not_found"),
    ],
)
def test_bad_agreements_write_nothing(
    svc: ReportingApp, admin: Headers, changes: dict[str, Any], status: int, code: str
) -> None:
    register(svc, admin)
    record(svc, admin)
    before = svc.stored_events()
    assert_error(svc.client.post("/agreements", headers=admin, json=agreement_body(**changes)), status, code)
    assert svc.stored_events() == before


def test_another_program_or_organization_may_overlap(svc: ReportingApp, admin: Headers) -> None:
    register(svc, admin)
    register(svc, admin, OTHER)
    record(svc, admin)
    record(svc, admin, program="PRIIME", targets=[])
    record(svc, admin, organization_id=OTHER)
    assert svc.client.get("/agreements", headers=admin).json()["total"] == 3


def test_a_negative_amended_target_writes_nothing(svc: ReportingApp, admin: Headers) -> None:
    register(svc, admin)
    agreement_id = record(svc, admin)
    before = svc.stored_events()
    body = {"targets": [{**TARGETS[0], "unique_persons": -10}], "reason": "Erreur"}
    assert_error(
        svc.client.post(f"/agreements/{agreement_id}/amendments", headers=admin, json=body),
        422,
        "agreement.negative_target",
    )
    assert svc.stored_events() == before
    assert svc.client.get(f"/agreements/{agreement_id}", headers=admin).json()["version"] == 1


def test_organization_users_read_their_own_agreements_only(svc: ReportingApp, admin: Headers) -> None:
    register(svc, admin)
    register(svc, admin, OTHER)
    mine, theirs = record(svc, admin), record(svc, admin, organization_id=OTHER)
    manager = svc.headers("sophie", ["org_manager"], ORG)
    assert svc.client.get(f"/agreements/{mine}", headers=manager).status_code == 200
    assert_error(svc.client.get(f"/agreements/{theirs}", headers=manager), 404, "agreement.not_found")
    listed = svc.client.get("/agreements", headers=manager).json()
    assert [a["agreement_id"] for a in listed["items"]] == [mine]


# ---- targets and performance --------------------------------------------------------------


def declared(
    person: str, code: str, day: date, *, org: str = ORG, iid: str | None = None
) -> interventions_contract.InterventionDeclared:
    return interventions_contract.InterventionDeclared(
        intervention_id=iid or str(uuid.uuid4()),
        person_id=person,
        organization_id=org,
        code=code,
        service_date=day,
        volet="V1",
        duration_minutes=60,
    )


def plan(person: str, day: date, org: str = ORG) -> interventions_contract.ActionPlanOpened:
    return interventions_contract.ActionPlanOpened(
        plan_id=str(uuid.uuid4()), person_id=person, organization_id=org, opened_on=day
    )


@pytest.fixture
def activity(svc: ReportingApp, admin: Headers) -> ReportingApp:
    """ORG's 2026-2027 so far: Q1 persons a, b (3 ACC), Q2 persons b, c (one SUI corrected from
    ACC, one cancelled), plans for a (Q1) and c (Q2); OTHER serves d in Q2."""
    register(svc, admin)
    register(svc, admin, OTHER)
    record(svc, admin)
    q1, q2 = date(2026, 5, 4), date(2026, 8, 10)
    for event in (
        declared("a", "ACC", q1),
        declared("a", "ACC", q1),
        declared("b", "ACC", q1),
        declared("b", "SUI", q2),
    ):
        svc.receive(event)
    corrected = declared("c", "ACC", q2, iid="i-c")
    svc.receive(corrected)
    svc.receive(
        interventions_contract.InterventionCorrected(
            **{**corrected.model_dump(), "code": "SUI", "version": 2, "reason": "Code"}
        )
    )
    svc.receive(corrected)  # a stale version arriving late changes nothing
    cancelled = declared("e", "SUI", q2, iid="i-e")
    svc.receive(cancelled)
    svc.receive(
        interventions_contract.InterventionCancelled(
            intervention_id="i-e",
            person_id="e",
            organization_id=ORG,
            service_date=q2,
            reason="Doublon",
            version=2,
        )
    )
    for other in (plan("a", q1), plan("c", q2), declared("d", "ACC", q2, org=OTHER)):
        svc.receive(other)
    return svc


def test_an_organization_sees_its_quarters_and_year_to_date_against_its_targets(
    activity: ReportingApp,
) -> None:
    manager = activity.headers("sophie", ["org_manager"], ORG)
    body = activity.client.get(f"/targets/{ORG}/{FY}", headers=manager).json()
    q1, q2, q3, _q4 = body["quarters"]
    assert q1["quarter"] == "2026-2027-Q1"
    assert q1["in_quarter"]["unique_persons"] == {"actual": 2, "target": 4, "pct": 50.0}
    assert q1["in_quarter"]["interventions"] == [{"code": "ACC", "actual": 3, "target": 2, "pct": 150.0}]
    assert q2["in_quarter"]["unique_persons"] == {"actual": 2, "target": 4, "pct": 50.0}
    assert q2["in_quarter"]["action_plans"] == {"actual": 1, "target": 2, "pct": 50.0}
    assert q2["in_quarter"]["interventions"] == [
        {"code": "ACC", "actual": 0, "target": 2, "pct": 0.0},
        {"code": "SUI", "actual": 2, "target": None, "pct": None},
    ]
    # Year to date: b, served in both quarters, counts once; against the year's targets.
    assert q2["year_to_date"]["unique_persons"] == {"actual": 3, "target": 10, "pct": 30.0}
    assert q2["year_to_date"]["interventions_total"] == {"actual": 5, "target": 20, "pct": 25.0}
    assert q2["year_to_date"]["action_plans"] == {"actual": 2, "target": 4, "pct": 50.0}
    assert q3["in_quarter"]["unique_persons"] == {"actual": 0, "target": None, "pct": None}
    assert q3["year_to_date"]["unique_persons"]["actual"] == 3
    assert len(body["agreement_ids"]) == 1


def test_targets_are_for_the_organization_its_assigned_reviewers_and_admins(
    activity: ReportingApp, admin: Headers
) -> None:
    url = f"/targets/{ORG}/{FY}"
    outsider = activity.headers("luc", ["org_manager"], OTHER)
    assert_error(activity.client.get(url, headers=outsider), 403, "targets.not_allowed")
    nadia = activity.headers("nadia", ["ministry_reviewer"])
    assert_error(activity.client.get(url, headers=nadia), 403, "targets.not_allowed")
    assert activity.client.put(f"/organizations/{ORG}/reviewers/nadia", headers=admin).status_code == 204
    assert activity.client.get(url, headers=nadia).status_code == 200  # the assignment, not a token claim
    assert activity.client.get(url, headers=admin).status_code == 200
    assert_error(
        activity.client.get(f"/targets/{ORG}/2026", headers=admin), 422, "targets.invalid_fiscal_year"
    )


def test_program_indicators_and_their_csv(activity: ReportingApp, admin: Headers) -> None:
    body = activity.client.get(f"/indicators/{FY}", headers=admin).json()
    assert (body["persons_served"], body["persons_with_action_plan"], body["action_plan_share_pct"]) == (
        4,
        2,
        50.0,
    )
    assert body["interventions_per_code"] == [{"code": "ACC", "count": 4}, {"code": "SUI", "count": 2}]
    assert [q["persons_served"] for q in body["quarters"]] == [2, 3, 0, 0]
    mine = next(o for o in body["organizations"] if o["organization_id"] == ORG)
    assert mine["unique_persons"] == {"actual": 3, "target": 10, "pct": 30.0}
    response = activity.client.get(f"/indicators/{FY}.csv", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    cell = {(r["scope"], r["organization_id"], r["period"], r["measure"], r["code"]): r for r in rows}
    assert cell[("program", "", "year", "persons_with_action_plan", "")]["actual"] == "2"
    assert cell[("program", "", "Q2", "unique_persons", "")]["actual"] == "3"
    sui = cell[("organization", ORG, "year", "interventions", "SUI")]
    assert (sui["actual"], sui["target"], sui["pct"]) == ("2", "12", "16.7")
    assert cell[("organization", ORG, "Q1", "interventions", "ACC")]["pct"] == "150.0"
    assert cell[("organization", OTHER, "Q2", "unique_persons", "")]["target"] == ""


def test_a_reviewer_sees_the_program_and_only_their_organizations_in_the_indicators(
    activity: ReportingApp, admin: Headers
) -> None:
    # Assigned in the registry (ADR 23), not by a token claim.
    assigned = activity.client.put(f"/organizations/{ORG}/reviewers/nadia", headers=admin)
    assert assigned.status_code == 204, assigned.text
    nadia = activity.headers("nadia", ["ministry_reviewer"])
    body = activity.client.get(f"/indicators/{FY}", headers=nadia).json()
    assert body["persons_served"] == 4  # the program's figures are the ministry's
    assert [o["organization_id"] for o in body["organizations"]] == [ORG]
    rows = list(csv.DictReader(io.StringIO(activity.client.get(f"/indicators/{FY}.csv", headers=nadia).text)))
    assert {r["organization_id"] for r in rows if r["scope"] == "organization"} == {ORG}
    assert any(r["scope"] == "program" for r in rows)


def test_indicators_are_for_the_ministry(activity: ReportingApp) -> None:
    manager = activity.headers("sophie", ["org_manager"], ORG)
    assert_error(activity.client.get(f"/indicators/{FY}", headers=manager), 403, "auth.forbidden_role")
    assert_error(activity.client.get(f"/indicators/{FY}.csv", headers=manager), 403, "auth.forbidden_role")


def test_a_redelivered_declaration_counts_once(svc: ReportingApp, admin: Headers) -> None:
    envelope = published(declared("a", "ACC", date(2026, 5, 4)), occurred_at=NOW)
    assert deliver(svc.kernel, envelope)
    assert deliver(svc.kernel, envelope)
    body = svc.client.get(f"/indicators/{FY}", headers=admin).json()
    assert body["interventions_total"] == 1


def test_120_organizations_over_four_quarters_answer_from_the_indexes(
    svc: ReportingApp, admin: Headers
) -> None:
    orgs = [f"org-{n:03d}" for n in range(120)]
    rows = [
        {
            "intervention_id": f"{org}-{q}-{k}",
            "organization_id": org,
            "person_id": f"{org}-p{k % 30}",
            "counted_person_id": f"{org}-p{k % 30}",
            "code": ("ACC", "SUI", "EVB")[k % 3],
            "service_date": FiscalQuarter(2026, q).first_day,
            "quarter": str(FiscalQuarter(2026, q)),
            "volet": "V1",
            "mode": "individual",
            "fiscal_year": FY,
            "quarter_number": q,
            "status": "active",
            "version": 1,
        }
        for org in orgs
        for q in range(1, 5)
        for k in range(50)
    ]
    plans = [
        {
            "plan_id": f"{org}-plan-{k}",
            "organization_id": org,
            "person_id": f"{org}-p{k}",
            "counted_person_id": f"{org}-p{k}",
            "opened_on": date(2026, 5, 1),
            "fiscal_year": FY,
            "quarter_number": 1,
        }
        for org in orgs
        for k in range(15)
    ]
    targets = [
        {
            "agreement_id": f"a-{org}",
            "organization_id": org,
            "program": "PASI",
            "fiscal_year": FY,
            "period": "year",
            "measure": "unique_persons",
            "code": "",
            "value": 60,
        }
        for org in orgs
    ]
    with svc.kernel.db.transaction() as connection:
        connection.execute(insert(quarter_interventions), rows)
        connection.execute(insert(known_action_plans), plans)
        connection.execute(insert(agreement_targets), targets)
        performance.rebuild(connection)  # rows written behind the consumer's back: count them
    body = svc.client.get(f"/indicators/{FY}", headers=admin).json()
    assert (body["persons_served"], body["interventions_total"]) == (120 * 30, 120 * 4 * 50)
    assert body["action_plan_share_pct"] == 50.0
    assert len(body["organizations"]) == 120
    assert body["organizations"][0]["unique_persons"] == {"actual": 30, "target": 60, "pct": 50.0}
    csv_rows = svc.client.get(f"/indicators/{FY}.csv", headers=admin).text.splitlines()
    # header, the plan share, then 22 cells (5 periods x (persons + 3 codes), plans in Q1 and the year)
    # program-wide and for each of the 120 organizations, then the program's retention (2 rows)
    assert len(csv_rows) == 2 + 121 * 22 + 2
    one = svc.client.get(f"/targets/org-007/{FY}", headers=admin).json()
    assert [q["year_to_date"]["unique_persons"]["actual"] for q in one["quarters"]] == [30, 30, 30, 30]
    assert [q["in_quarter"]["interventions_total"]["actual"] for q in one["quarters"]] == [50, 50, 50, 50]
    query = (
        "EXPLAIN QUERY PLAN SELECT quarter_number, count(DISTINCT counted_person_id) FROM quarter_interventions "
        "WHERE organization_id = 'org-007' AND fiscal_year = :fy AND status = 'active' GROUP BY quarter_number"
    )
    with svc.kernel.db.transaction() as connection:  # the fixture's database is SQLite
        plan_text = " ".join(str(r[-1]) for r in connection.execute(text(query), {"fy": FY}))
    assert "ix_quarter_interventions_org_year" in plan_text
