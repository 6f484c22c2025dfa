"""Checking a declaration before saving it (``POST /interventions/checks``): the declaration's own
refusals (the same status and error) and conformity checks, each flag with how to fix it, and
nothing recorded."""

from __future__ import annotations

from typing import Any

import pytest

from gsi_conformity import TEMPLATES
from gsi_contracts import reporting as reporting_contract
from interventions.checks.remedies import BY_CHECK, GENERIC, REMEDIES, remedy
from tests.api.conftest import InterventionsService
from tests.consumers import outbox_events

ORG, OTHER = "org-sherbrooke", "org-montreal"


def details(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "ACC",
        "service_date": "2026-11-18",
        "duration_minutes": 45,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": "karine",
        **overrides,
    }


def staff(service: InterventionsService, org: str = ORG) -> dict[str, str]:
    return service.headers("karine", ["org_staff"], org)


def trial(service: InterventionsService, person: str, **overrides: Any) -> Any:
    return service.client.post(
        "/interventions/checks", json={"person_id": person, **details(**overrides)}, headers=staff(service)
    )


def check(service: InterventionsService, person: str, **overrides: Any) -> dict[str, Any]:
    answer = trial(service, person, **overrides)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def declare(service: InterventionsService, person: str, **overrides: Any) -> Any:
    return service.client.post(
        "/interventions", json={"person_id": person, **details(**overrides)}, headers=staff(service)
    )


def codes(flags: list[dict[str, Any]]) -> list[str]:
    return sorted(f["code"] for f in flags)


def recorded(service: InterventionsService) -> int:
    events = [e for e in outbox_events(service.kernel) if e.type.startswith("interventions.Intervention")]
    listed = service.client.get("/interventions", headers=staff(service)).json()["total"]
    assert listed == len(events)
    return len(events)


def test_a_follow_up_without_a_plan_would_be_flagged_c5_with_how_to_fix_it_then_is_clean_once_a_plan_exists(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    checked = check(interventions, person, code="SUI")
    assert checked["outcome"] == "flagged"
    assert (checked["errors"], checked["warnings"]) == (1, 0)
    (flag,) = checked["flags"]
    assert flag["code"] == "C5.no_active_plan"
    assert flag["check"] == "C5"
    assert "plan d'action actif" in flag["fr"]
    assert flag["fix"] == {
        "fr": "Créez un plan d'action pour la personne, ouvert au plus tard à la date du service, ou "
        "choisissez un code qui n'en exige pas.",
        "en": "Create an action plan for the person, opened on or before the service date, or choose "
        "a code that does not need one.",
    }
    assert recorded(interventions) == 0

    plan = interventions.client.post(
        "/action-plans",
        json={"person_id": person, "opened_on": "2026-11-10", "needs": ["housing"]},
        headers=staff(interventions),
    )
    assert plan.status_code == 201, plan.text
    assert check(interventions, person, code="SUI") == {
        "outcome": "clean",
        "flags": [],
        "errors": 0,
        "warnings": 0,
    }


@pytest.mark.parametrize(
    ("person_kind", "overrides", "status", "code", "field"),
    [
        ("unknown", {}, 422, "intervention.unknown_person", "person_id"),
        ("other_org", {}, 422, "intervention.unknown_person", "person_id"),
        ("own", {"service_date": "2026-11-21"}, 422, "intervention.date_in_future", "service_date"),
        ("own", {"service_date": "2025-09-01"}, 422, "intervention.date_before_registration", "service_date"),
        ("own", {"code": "XYZ"}, 422, "catalogue.unknown_code", "code"),
    ],
)
def test_what_the_declaration_would_refuse_is_refused_the_same_way(
    interventions: InterventionsService,
    person_kind: str,
    overrides: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    person = {
        "unknown": "3f0e4b9e-0000-4000-8000-000000000000",
        "other_org": interventions.register_person(OTHER),
        "own": interventions.register_person(ORG),
    }[person_kind]
    refused = trial(interventions, person, **overrides)
    declared = declare(interventions, person, **overrides)
    # Exactly what the declaration answers: its status, code, message and field.
    assert (refused.status_code, refused.json()["code"]) == (status, code)
    assert refused.json() == declared.json()
    assert refused.json()["details"]["field"] == field
    assert recorded(interventions) == 0


def test_a_locked_quarter_would_refuse_the_declaration(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    interventions.receive(
        reporting_contract.QuarterLocked(organization_id=ORG, quarter="2026-2027-Q2", report_id="r-q2")
    )
    refused = trial(interventions, person, service_date="2026-08-12")
    assert refused.status_code == 423
    assert refused.json()["code"] == "quarter.locked"
    assert "2026-2027-Q2" in refused.json()["message"]["fr"]
    assert check(interventions, person, service_date="2026-10-02")["outcome"] == "clean"


def test_the_flags_are_the_ones_the_declaration_then_gets_and_a_check_counts_for_nothing(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    for _ in range(3):  # checked again and again: never a duplicate of itself (C4) nor a volume (C8)
        assert check(interventions, person)["outcome"] == "clean"
    assert recorded(interventions) == 0
    assert declare(interventions, person).json()["flags"] == []
    # Once declared, the same declaration would be a duplicate and a second reception (C6).
    again = check(interventions, person)
    assert codes(again["flags"]) == ["C4.duplicate", "C6.once_per_person"]
    assert codes(again["flags"]) == codes(declare(interventions, person).json()["flags"])
    long_one = check(interventions, person, code="PDI", duration_minutes=600)
    assert (long_one["outcome"], long_one["errors"], long_one["warnings"]) == ("flagged", 0, 1)
    assert long_one["flags"][0]["fix"]["en"].startswith("Warning: check the duration")


def test_the_body_is_validated_like_a_declaration_and_only_an_organization_may_check(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    bad = interventions.client.post(
        "/interventions/checks",
        json={"person_id": person, **details(duration_minutes=0)},
        headers=staff(interventions),
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_field"
    reviewer = interventions.headers("nadia", ["ministry_reviewer"], assigned_organizations=[ORG])
    refused = interventions.client.post(
        "/interventions/checks", json={"person_id": person, **details()}, headers=reviewer
    )
    assert refused.status_code == 403
    assert interventions.client.post("/interventions/checks", json={}).status_code == 401


def test_every_finding_has_how_to_fix_it_and_every_view_of_a_flag_says_it(
    interventions: InterventionsService,
) -> None:
    assert set(TEMPLATES) <= set(REMEDIES)
    assert all(fr and en and fr != en for fr, en in REMEDIES.values())
    assert remedy("C1.E9") == BY_CHECK["C1"]  # a code without its own remedy: its check's advice
    assert remedy("X1.new") == GENERIC
    person = interventions.register_person(ORG)
    declared = declare(interventions, person, code="SUI").json()
    intervention_id = declared["intervention_id"]
    fix = declared["flags"][0]["fix"]
    assert fix["en"].startswith("Create an action plan")
    one = interventions.client.get(f"/interventions/{intervention_id}", headers=staff(interventions)).json()
    history = interventions.client.get(
        f"/interventions/{intervention_id}/history", headers=staff(interventions)
    ).json()
    listed = interventions.client.get("/interventions", headers=staff(interventions)).json()["items"]
    assert one["flags"][0]["fix"] == history[0]["flags"][0]["fix"] == listed[0]["flags"][0]["fix"] == fix


def test_the_check_is_documented_in_the_openapi(interventions: InterventionsService) -> None:
    spec = interventions.client.get("/openapi.json").json()
    operation = spec["paths"]["/interventions/checks"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DeclarationCheck"
    }
    assert "sans l'enregistrer" in operation["description"]
    assert "fix" in spec["components"]["schemas"]["FlagView"]["properties"]
