"""The action plans API: opening, changes with their author and reason, closure, one active plan
per person, organization scoping, what is published, and the read model's rebuild."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import Conflict
from gsi_kernel.store.tables import outbox
from interventions.action_plans.app import PlanInput
from interventions.action_plans.domain import Need
from interventions.action_plans.projection import action_plans, active_plan_periods
from interventions.bootstrap import build, build_app
from interventions.settings import InterventionsSettings
from tests.api.conftest import NOW, InterventionsService
from tests.api.test_http_behaviour import assert_error
from tests.databases import postgres_schema

ORG_A, ORG_B = "org-a", "org-b"
Headers = dict[str, str]


@pytest.fixture
def staff(interventions: InterventionsService) -> Headers:
    return interventions.headers("karine", ["org_staff"], ORG_A)


@pytest.fixture
def person(interventions: InterventionsService) -> str:
    return interventions.register_person(ORG_A)


def plan_body(person_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "opened_on": "2026-11-02",
        "needs": ["housing", "health_card", "sin", "french_courses"],
        "objectives": ["Trouver un logement permanent"],
        "planned_services": [{"code": "PDI", "planned_on": "2026-11-27", "note": "RAMQ"}],
        **changes,
    }


def open_plan(svc: InterventionsService, headers: Headers, person_id: str, **changes: Any) -> str:
    response = svc.client.post("/action-plans", headers=headers, json=plan_body(person_id, **changes))
    assert response.status_code == 201, response.text
    return str(response.json()["plan_id"])


def close(svc: InterventionsService, headers: Headers, plan_id: str, closed_on: str = "2026-11-19") -> None:
    body = {"closed_on": closed_on, "outcome": "completed", "reason": "Objectifs atteints"}
    response = svc.client.post(f"/action-plans/{plan_id}/close", headers=headers, json=body)
    assert response.status_code == 204, response.text


def detail(svc: InterventionsService, headers: Headers, plan_id: str) -> dict[str, Any]:
    response = svc.client.get(f"/action-plans/{plan_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def listed(svc: InterventionsService, headers: Headers, **params: Any) -> dict[str, Any]:
    response = svc.client.get("/action-plans", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_plan_reads_back_with_labelled_needs_and_its_history(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    plan_id = open_plan(interventions, staff, person)
    plan = detail(interventions, staff, plan_id)
    assert (plan["status"], plan["opened_on"], plan["person_id"]) == ("active", "2026-11-02", person)
    assert plan["needs"][0] == {"code": "housing", "fr": "Logement", "en": "Housing"}
    assert [o["text"] for o in plan["objectives"]] == ["Trouver un logement permanent"]
    assert [(s["code"], s["planned_on"], s["status"]) for s in plan["planned_services"]] == [
        ("PDI", "2026-11-27", "planned")
    ]
    assert [(h["actor"], h["change"]) for h in plan["history"]] == [
        ("karine", "ActionPlanOpened"),
        ("karine", "PlanObjectiveAdded"),
        ("karine", "PlannedServiceAdded"),
    ]
    [summary] = listed(interventions, staff)["items"]
    assert (summary["plan_id"], summary["objective_count"], summary["planned_service_count"]) == (
        plan_id,
        1,
        1,
    )


def test_a_person_of_another_organization_is_refused_exactly_like_an_unknown_one(
    interventions: InterventionsService, staff: Headers
) -> None:
    elsewhere = interventions.register_person(ORG_B)
    bodies = [
        assert_error(
            interventions.client.post("/action-plans", headers=staff, json=plan_body(person_id)),
            422,
            "plan.unknown_person",
        )
        for person_id in (elsewhere, "00000000-0000-0000-0000-000000000000")
    ]
    assert bodies[0] == bodies[1]
    assert listed(interventions, staff)["total"] == 0


def test_one_active_plan_per_person_and_a_new_one_after_closing(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    first = open_plan(interventions, staff, person, opened_on="2026-09-01")
    body = assert_error(
        interventions.client.post("/action-plans", headers=staff, json=plan_body(person)),
        409,
        "plan.already_active",
    )
    assert body["details"] == {"plan_id": first}
    close(interventions, staff, first, "2026-10-15")
    second = open_plan(interventions, staff, person)
    assert listed(interventions, staff, status="active")["items"][0]["plan_id"] == second
    assert listed(interventions, staff, status="closed")["items"][0]["plan_id"] == first
    with interventions.kernel.db.transaction() as connection:
        periods = active_plan_periods(connection, ORG_A, person)
        assert active_plan_periods(connection, ORG_B, person) == ()
    assert periods == ((date(2026, 9, 1), date(2026, 10, 15)), (date(2026, 11, 2), None))


def test_every_change_is_in_the_history_with_its_author_and_reason(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    manager = interventions.headers("sophie", ["org_manager"], ORG_A)
    client = interventions.client
    plan_id = open_plan(interventions, staff, person)
    url = f"/action-plans/{plan_id}"
    objective = client.post(f"{url}/objectives", headers=staff, json={"text": "Garderie"}).json()[
        "objective_id"
    ]
    response = client.patch(
        f"{url}/objectives/{objective}",
        headers=manager,
        json={"status": "achieved", "reason": "Place obtenue"},
    )
    assert response.status_code == 204, response.text
    service = client.post(
        f"{url}/planned-services", headers=staff, json={"code": "REF", "planned_on": "2026-12-04"}
    ).json()["service_id"]
    patch = {"planned_on": "2026-12-11", "note": "Francisation", "reason": "Rendez-vous déplacé"}
    assert client.patch(f"{url}/planned-services/{service}", headers=staff, json=patch).status_code == 204
    follow_up = {"held_on": "2026-11-20", "note": "Carte RAMQ reçue", "staff_member": "karine"}
    assert client.post(f"{url}/follow-ups", headers=manager, json=follow_up).status_code == 201
    close(interventions, manager, plan_id, "2026-11-20")

    plan = detail(interventions, staff, plan_id)
    assert [(h["actor"], h["change"], h["reason"]) for h in plan["history"][3:]] == [
        ("karine", "PlanObjectiveAdded", None),
        ("sophie", "PlanObjectiveUpdated", "Place obtenue"),
        ("karine", "PlannedServiceAdded", None),
        ("karine", "PlannedServiceUpdated", "Rendez-vous déplacé"),
        ("sophie", "PlanFollowUpRecorded", None),
        ("sophie", "ActionPlanClosed", "Objectifs atteints"),
    ]
    assert {o["objective_id"]: o["status"] for o in plan["objectives"]}[objective] == "achieved"
    assert {s["service_id"]: (s["planned_on"], s["note"]) for s in plan["planned_services"]}[service] == (
        "2026-12-11",
        "Francisation",
    )
    assert (plan["status"], plan["closed_on"], plan["outcome"]) == ("closed", "2026-11-20", "completed")
    [summary] = listed(interventions, staff)["items"]
    assert (summary["follow_up_count"], summary["last_follow_up_on"], summary["status"]) == (
        1,
        "2026-11-20",
        "closed",
    )


CHANGES = [
    ("post", "/objectives", {"text": "Emploi"}),
    ("patch", "/objectives/x", {"status": "abandoned", "reason": "Plus nécessaire"}),
    ("post", "/planned-services", {"code": "SUI", "planned_on": "2026-12-01"}),
    ("patch", "/planned-services/x", {"status": "done", "reason": "Fait"}),
    ("post", "/follow-ups", {"held_on": "2026-11-20", "note": "Appel", "staff_member": "karine"}),
    ("post", "/close", {"closed_on": "2026-11-20", "outcome": "other", "reason": "Encore"}),
]


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_a_closed_plan_refuses_changes(
    interventions: InterventionsService,
    staff: Headers,
    person: str,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    plan_id = open_plan(interventions, staff, person)
    close(interventions, staff, plan_id)
    response = interventions.client.request(
        method, f"/action-plans/{plan_id}{path}", headers=staff, json=body
    )
    assert_error(response, 409, "plan.closed")
    assert len(detail(interventions, staff, plan_id)["history"]) == 4


@pytest.mark.parametrize(("method", "path", "body"), [("get", "", None), *CHANGES])
def test_another_organization_can_neither_read_nor_change_a_plan(
    interventions: InterventionsService,
    staff: Headers,
    person: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    plan_id = open_plan(interventions, staff, person)
    other = interventions.headers("marc", ["org_staff"], ORG_B)
    response = interventions.client.request(
        method, f"/action-plans/{plan_id}{path}", headers=other, json=body
    )
    assert_error(response, 404, "plan.not_found")
    assert listed(interventions, other)["total"] == 0
    assert len(detail(interventions, staff, plan_id)["history"]) == 3


def test_assigned_reviewers_and_admins_read_and_nobody_else(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    plan_id = open_plan(interventions, staff, person)
    assigned = interventions.headers("nadia", ["ministry_reviewer"], assigned_organizations=[ORG_A])
    unassigned = interventions.headers("paul", ["ministry_reviewer"], assigned_organizations=[ORG_B])
    admin = interventions.headers("admin", ["admin"])
    for reader in (assigned, admin):
        assert detail(interventions, reader, plan_id)["plan_id"] == plan_id
        assert listed(interventions, reader, person_id=person)["total"] == 1
    assert_error(
        interventions.client.get(f"/action-plans/{plan_id}", headers=unassigned), 404, "plan.not_found"
    )
    assert listed(interventions, unassigned)["total"] == 0
    response = interventions.client.post(
        f"/action-plans/{plan_id}/objectives", headers=assigned, json={"text": "x"}
    )
    assert_error(response, 403, "auth.forbidden_role")


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"opened_on": "2026-11-21"}, 422, "plan.date_in_future"),
        ({"needs": []}, 422, "invalid_field"),
        ({"needs": ["housing", "jetpack"]}, 422, "invalid_field"),
        ({"objectives": ["  "]}, 422, "invalid_field"),
        ({"planned_services": [{"code": "pdi", "planned_on": "2026-11-27"}]}, 422, "invalid_field"),
        (
            {"planned_services": [{"code": "PDI", "planned_on": "2026-10-01"}]},
            422,
            "plan.date_before_opening",
        ),
        ({"colour": "blue"}, 422, "unknown_field"),
    ],
)
def test_bad_openings_are_refused_with_a_code_and_write_nothing(
    interventions: InterventionsService,
    staff: Headers,
    person: str,
    changes: dict[str, Any],
    status: int,
    code: str,
) -> None:
    response = interventions.client.post("/action-plans", headers=staff, json=plan_body(person, **changes))
    assert_error(response, status, code)
    assert listed(interventions, staff)["total"] == 0


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        (
            "/close",
            {"closed_on": "2026-11-01", "outcome": "completed", "reason": "Fini"},
            "plan.date_before_opening",
        ),
        (
            "/close",
            {"closed_on": "2026-11-21", "outcome": "completed", "reason": "Fini"},
            "plan.date_in_future",
        ),
        ("/close", {"closed_on": "2026-11-20", "outcome": "completed", "reason": ""}, "invalid_field"),
        (
            "/follow-ups",
            {"held_on": "2026-11-01", "note": "Appel", "staff_member": "k"},
            "plan.date_before_opening",
        ),
        ("/objectives/nope", {"text": "Autre", "reason": "Correction"}, "plan.objective_not_found"),
        ("/objectives/nope", {"text": "Autre"}, "missing_field"),
    ],
)
def test_bad_changes_are_refused_with_a_code(
    interventions: InterventionsService,
    staff: Headers,
    person: str,
    path: str,
    body: dict[str, Any],
    code: str,
) -> None:
    plan_id = open_plan(interventions, staff, person)
    method = "patch" if path.startswith("/objectives/") else "post"
    response = interventions.client.request(
        method, f"/action-plans/{plan_id}{path}", headers=staff, json=body
    )
    assert_error(response, 404 if code.endswith("not_found") else 422, code)
    assert len(detail(interventions, staff, plan_id)["history"]) == 3


def test_opening_and_closing_are_published_through_the_outbox(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    plan_id = open_plan(interventions, staff, person)
    close(interventions, staff, plan_id)
    with interventions.kernel.db.transaction() as connection:
        rows = connection.execute(select(outbox.c.topic, outbox.c.value).order_by(outbox.c.id)).all()
    published = [json.loads(r.value) for r in rows if r.topic == "gsi.interventions"]
    plans = [(p["type"], p["data"]) for p in published if p["type"].startswith("interventions.ActionPlan")]
    expected = {"plan_id": plan_id, "person_id": person, "organization_id": ORG_A}
    assert plans == [
        ("interventions.ActionPlanOpened", {**expected, "opened_on": "2026-11-02"}),
        ("interventions.ActionPlanClosed", {**expected, "closed_on": "2026-11-19"}),
    ]
    assert all(p["actor"] == "karine" and p["subject"] == f"plan-{plan_id}" for p in published)


def test_a_rebuild_of_the_read_model_gives_the_same_rows(
    interventions: InterventionsService, staff: Headers, person: str
) -> None:
    first = open_plan(interventions, staff, person, opened_on="2026-09-01")
    interventions.client.post(
        f"/action-plans/{first}/follow-ups",
        headers=staff,
        json={"held_on": "2026-09-15", "note": "Appel", "staff_member": "karine"},
    )
    close(interventions, staff, first, "2026-10-15")
    open_plan(interventions, staff, person)
    open_plan(interventions, staff, interventions.register_person(ORG_A), needs=["employment"])

    def snapshot() -> list[dict[str, Any]]:
        with interventions.kernel.db.transaction() as connection:
            query = select(action_plans).order_by(action_plans.c.plan_id)
            return [dict(r._mapping) for r in connection.execute(query)]

    before = snapshot()
    applied = interventions.kernel.projections.rebuild("interventions.action_plans")
    assert applied >= 10
    assert len(before) == 3
    assert snapshot() == before


@pytest.mark.postgres
def test_concurrent_openings_for_one_person_leave_one_active_plan(postgres_url: str, tmp_path: Path) -> None:
    """The guard holds where transactions really overlap: of simultaneous openings for one
    person, one wins and every other one is told which plan is active."""
    with postgres_schema(postgres_url) as schema:
        settings = InterventionsSettings(data_dir=tmp_path, database_url=postgres_url, db_schema=schema)
        container = build(settings, clock=FixedClock(NOW))
        kernel = container.kernel
        with TestClient(build_app(container)) as client:
            svc = InterventionsService(client, FixedClock(NOW), kernel)
            person_id = svc.register_person(ORG_A)
            plans = container.action_plans
            data = PlanInput(person_id, date(2026, 11, 2), (Need.HOUSING,))
            context = CommandContext.new("karine", ORG_A)
            start = threading.Barrier(8)

            def attempt(_: int) -> str:
                start.wait()
                try:
                    return plans.open(data, organization_id=ORG_A, context=context)
                except Conflict as conflict:
                    return f"conflict:{conflict.code}:{conflict.details['plan_id']}"

            with ThreadPoolExecutor(max_workers=8) as pool:
                outcomes = list(pool.map(attempt, range(8)))
            winners = [o for o in outcomes if not o.startswith("conflict:")]
            assert len(winners) == 1
            assert sorted(set(outcomes) - set(winners)) == [f"conflict:plan.already_active:{winners[0]}"]
            with kernel.db.transaction() as connection:
                assert active_plan_periods(connection, ORG_A, person_id) == ((date(2026, 11, 2), None),)
