"""Interventions API: declarations with automatic checks, corrections, cancellations, history,
filters, group sessions, locked quarters and lock exceptions, the catalogue."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest

from gsi_contracts import registration as registration_contract
from gsi_contracts import reporting as reporting_contract
from gsi_eligibility import load_default_rulebook
from interventions.declarations.app import Interventions
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


def declare(service: InterventionsService, person: str, org: str = ORG, **overrides: Any) -> Any:
    return service.client.post(
        "/interventions", json={"person_id": person, **details(**overrides)}, headers=staff(service, org)
    )


def lock(service: InterventionsService, quarter: str, org: str = ORG) -> None:
    service.receive(
        reporting_contract.QuarterLocked(organization_id=org, quarter=quarter, report_id=f"r-{quarter}")
    )


def codes(flags: list[dict[str, Any]]) -> list[str]:
    return sorted(f["code"] for f in flags)


def test_a_declaration_is_recorded_with_its_conformity_flags_at_once(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    answer = declare(interventions, person, code="SUI")
    assert answer.status_code == 201, answer.text
    assert codes(answer.json()["flags"]) == ["C5.no_active_plan"]
    flag = answer.json()["flags"][0]
    assert "plan d'action" in flag["fr"]
    assert "action plan" in flag["en"]

    row = interventions.client.get(
        f"/interventions/{answer.json()['intervention_id']}", headers=staff(interventions)
    )
    assert row.json()["errors"] == 1
    assert row.json()["quarter"] == "2026-2027-Q3"
    assert codes(row.json()["flags"]) == ["C5.no_active_plan"]


def test_a_clean_declaration_has_no_flag_and_is_published(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    answer = declare(interventions, person)
    assert answer.status_code == 201
    assert answer.json()["flags"] == []
    declared = [
        e for e in outbox_events(interventions.kernel) if e.type == "interventions.InterventionDeclared"
    ]
    assert len(declared) == 1
    assert declared[0].payload["code"] == "ACC"
    assert "notes" not in declared[0].payload


@pytest.mark.parametrize(
    ("person_kind", "overrides", "status", "code"),
    [
        ("unknown", {}, 422, "intervention.unknown_person"),
        ("other_org", {}, 422, "intervention.unknown_person"),
        ("own", {"service_date": "2026-11-21"}, 422, "intervention.date_in_future"),
        ("own", {"service_date": "2025-09-01"}, 422, "intervention.date_before_registration"),
        ("own", {"code": "XYZ"}, 422, "catalogue.unknown_code"),
        ("own", {"service_date": "2026-11-31"}, 422, "invalid_field"),
        ("own", {"duration_minutes": 0}, 422, "invalid_field"),
        ("own", {"mode": "telepathy"}, 422, "invalid_field"),
        ("own", {"organization_id": ORG}, 422, "unknown_field"),  # no mass assignment
    ],
)
def test_hard_errors_refuse_the_write(
    interventions: InterventionsService, person_kind: str, overrides: dict[str, Any], status: int, code: str
) -> None:
    person = {
        "unknown": "3f0e4b9e-0000-4000-8000-000000000000",
        "other_org": interventions.register_person(OTHER),
        "own": interventions.register_person(ORG),
    }[person_kind]
    answer = declare(interventions, person, **overrides)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code
    assert answer.json()["message"]["fr"]
    assert answer.json()["message"]["en"]
    listed = interventions.client.get("/interventions", headers=staff(interventions)).json()
    assert listed["total"] == 0


def test_eligibility_is_judged_on_the_status_valid_on_the_service_date(
    interventions: InterventionsService,
) -> None:
    claimant = interventions.register_person(ORG, status="asylum_claimant", status_since=date(2025, 5, 1))
    answer = declare(interventions, claimant, code="ACC", volet="V1")
    assert "C1.E3" in codes(answer.json()["flags"])
    answer = declare(interventions, claimant, code="DAS", volet="V4", service_date="2026-11-17")
    assert answer.json()["flags"] == []


def test_agreement_volets_come_from_reporting_once_published(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    interventions.receive(
        reporting_contract.AgreementRecorded(
            agreement_id="a-1",
            organization_id=ORG,
            program="PASI",
            volets=("V2",),
            starts_on=date(2026, 4, 1),
            ends_on=date(2027, 3, 31),
        )
    )
    answer = declare(interventions, person, code="ACC", volet="V1")
    assert "C1.volet_not_in_agreement" in codes(answer.json()["flags"])


def test_a_correction_reruns_the_checks_and_keeps_the_history(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    declared = declare(interventions, person, code="SUI").json()
    intervention_id = declared["intervention_id"]
    corrected = interventions.client.post(
        f"/interventions/{intervention_id}/corrections",
        json={"details": details(code="PDI"), "reason": "Mauvais code saisi"},
        headers=staff(interventions),
    )
    assert corrected.status_code == 204, corrected.text
    row = interventions.client.get(f"/interventions/{intervention_id}", headers=staff(interventions)).json()
    assert row["code"] == "PDI"
    assert row["flags"] == []
    assert row["version"] == 2

    history = interventions.client.get(
        f"/interventions/{intervention_id}/history", headers=staff(interventions)
    )
    entries = history.json()
    assert [e["type"] for e in entries] == ["InterventionDeclared", "InterventionCorrected"]
    assert entries[1]["reason"] == "Mauvais code saisi"
    assert entries[1]["actor"] == "karine"
    assert codes(entries[0]["flags"]) == ["C5.no_active_plan"]


def test_a_cancelled_intervention_leaves_the_counts_and_cannot_change(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    first = declare(interventions, person).json()["intervention_id"]
    duplicate = declare(interventions, person)
    assert "C4.duplicate" in codes(duplicate.json()["flags"])
    cancel = interventions.client.post(
        f"/interventions/{first}/cancellation",
        json={"reason": "Saisie en double"},
        headers=staff(interventions),
    )
    assert cancel.status_code == 204
    again = interventions.client.post(
        f"/interventions/{first}/cancellation", json={"reason": "Encore"}, headers=staff(interventions)
    )
    assert again.status_code == 409
    assert again.json()["code"] == "intervention.cancelled"
    active = interventions.client.get("/interventions?status=active", headers=staff(interventions)).json()
    assert [i["intervention_id"] for i in active["items"]] == [duplicate.json()["intervention_id"]]


def test_another_organization_cannot_read_correct_or_cancel(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    intervention_id = declare(interventions, person).json()["intervention_id"]
    intruder = staff(interventions, OTHER)
    assert interventions.client.get(f"/interventions/{intervention_id}", headers=intruder).status_code == 404
    assert (
        interventions.client.get(f"/interventions/{intervention_id}/history", headers=intruder).status_code
        == 404
    )
    correct = interventions.client.post(
        f"/interventions/{intervention_id}/corrections",
        json={"details": details(code="PDI"), "reason": "Pas à moi"},
        headers=intruder,
    )
    assert correct.status_code == 404
    cancel = interventions.client.post(
        f"/interventions/{intervention_id}/cancellation", json={"reason": "Pas à moi"}, headers=intruder
    )
    assert cancel.status_code == 404
    assert interventions.client.get("/interventions", headers=intruder).json()["total"] == 0
    reviewer = interventions.headers("nadia", ["ministry_reviewer"], assigned_organizations=[ORG])
    assert interventions.client.get(f"/interventions/{intervention_id}", headers=reviewer).status_code == 200
    declare_as_reviewer = interventions.client.post(
        "/interventions", json={"person_id": person, **details()}, headers=reviewer
    )
    assert declare_as_reviewer.status_code == 403


def test_lists_filter_by_person_quarter_code_flag_and_staff(interventions: InterventionsService) -> None:
    anna, bob = interventions.register_person(ORG), interventions.register_person(ORG)
    declare(interventions, anna, code="SUI")
    declare(interventions, anna, code="PDI", service_date="2026-09-10", staff_member="marc")
    declare(interventions, bob, code="ACC")
    headers = staff(interventions)

    def total(query: str) -> int:
        answer = interventions.client.get(f"/interventions?{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    assert total(f"person_id={anna}") == 2
    assert total("quarter=2026-2027-Q2") == 1
    assert total("code=ACC") == 1
    assert total("check=C5") == 1
    assert total("severity=error") == 1
    assert total("check=C4") == 0
    assert total("staff_member=marc") == 1
    assert total("date_from=2026-11-01&date_to=2026-11-30") == 2
    assert interventions.client.get("/interventions?check=C9", headers=headers).status_code == 422


def test_a_group_session_declares_one_checked_intervention_per_attendee(
    interventions: InterventionsService,
) -> None:
    adult = interventions.register_person(ORG)
    minor = interventions.register_person(ORG, birth_date=date(2012, 1, 5))
    body = {
        **details(code="OBI", volet="V2", mode="group"),
        "title": "Objectif Intégration",
        "attendees": [adult, minor],
    }
    answer = interventions.client.post("/group-sessions", json=body, headers=staff(interventions))
    assert answer.status_code == 201, answer.text
    attendance = answer.json()["interventions"]
    flags = {
        person: interventions.client.get(f"/interventions/{iid}", headers=staff(interventions)).json()[
            "flags"
        ]
        for person, iid in attendance.items()
    }
    assert flags[adult] == []
    assert "C1.E5" in codes(flags[minor])
    session = answer.json()["session_id"]
    assert (
        interventions.client.get(f"/interventions?session_id={session}", headers=staff(interventions)).json()[
            "total"
        ]
        == 2
    )

    repeated = interventions.client.post(
        "/group-sessions", json={**body, "attendees": [adult, adult]}, headers=staff(interventions)
    )
    assert repeated.status_code == 422
    assert repeated.json()["code"] == "session.repeated_attendee"
    stranger = interventions.register_person(OTHER)
    refused = interventions.client.post(
        "/group-sessions", json={**body, "attendees": [adult, stranger]}, headers=staff(interventions)
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "intervention.unknown_person"
    assert interventions.client.get("/interventions", headers=staff(interventions)).json()["total"] == 2


def test_a_locked_quarter_refuses_writes_until_an_exception_is_granted_then_expires(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    in_q2 = declare(interventions, person, service_date="2026-08-10").json()["intervention_id"]
    lock(interventions, "2026-2027-Q2")

    late = declare(interventions, person, code="PDI", service_date="2026-08-12")
    assert late.status_code == 423
    assert late.json()["code"] == "quarter.locked"
    assert late.json()["details"]["quarter"] == "2026-2027-Q2"
    cancel = interventions.client.post(
        f"/interventions/{in_q2}/cancellation", json={"reason": "Erreur"}, headers=staff(interventions)
    )
    assert cancel.status_code == 423
    assert declare(interventions, person, code="PDI", service_date="2026-08-12", **{}).status_code == 423
    assert declare(interventions, person, org=ORG, service_date="2026-10-02").status_code == 201  # Q3 is open

    manager = interventions.headers("sophie", ["org_manager"], ORG)
    requested = interventions.client.post(
        "/lock-exceptions",
        json={"quarter": "2026-2027-Q2", "reason": "Deux accueils saisis en retard", "intervention_ids": []},
        headers=manager,
    )
    assert requested.status_code == 201, requested.text
    exception_id = requested.json()["id"]

    unassigned = interventions.headers("luc", ["ministry_reviewer"], assigned_organizations=[OTHER])
    grant = {"valid_until": (date(2026, 11, 20) + timedelta(days=10)).isoformat()}
    assert (
        interventions.client.post(
            f"/lock-exceptions/{exception_id}/grant", json=grant, headers=unassigned
        ).status_code
        == 404
    )
    assert (
        interventions.client.post(
            f"/lock-exceptions/{exception_id}/grant", json=grant, headers=manager
        ).status_code
        == 403
    )
    reviewer = interventions.headers("nadia", ["ministry_reviewer"], assigned_organizations=[ORG])
    granted = interventions.client.post(
        f"/lock-exceptions/{exception_id}/grant", json=grant, headers=reviewer
    )
    assert granted.status_code == 200, granted.text
    assert declare(interventions, person, code="PDI", service_date="2026-08-12").status_code == 201
    twice = interventions.client.post(f"/lock-exceptions/{exception_id}/grant", json=grant, headers=reviewer)
    assert twice.status_code == 409
    assert twice.json()["code"] == "lock_exception.already_decided"

    interventions.clock.advance(timedelta(days=11))
    expired = interventions.client.get(f"/lock-exceptions/{exception_id}", headers=manager).json()
    assert expired["status"] == "granted"
    assert expired["state"] == "expired"
    assert declare(interventions, person, code="EVB", service_date="2026-08-13").status_code == 423

    interventions.receive(
        reporting_contract.QuarterUnlocked(
            organization_id=ORG,
            quarter="2026-2027-Q2",
            report_id="r-2026-2027-Q2",
            reason="Correction d'audit",
        )
    )
    assert declare(interventions, person, code="EVB", service_date="2026-08-13").status_code == 201


def test_an_exception_for_an_open_quarter_or_a_bad_one_is_refused(
    interventions: InterventionsService,
) -> None:
    manager = interventions.headers("sophie", ["org_manager"], ORG)
    open_quarter = interventions.client.post(
        "/lock-exceptions", json={"quarter": "2026-2027-Q2", "reason": "Pour voir"}, headers=manager
    )
    assert open_quarter.status_code == 409
    assert open_quarter.json()["code"] == "lock_exception.quarter_not_locked"
    bad = interventions.client.post(
        "/lock-exceptions", json={"quarter": "2026-2028-Q2", "reason": "Pour voir"}, headers=manager
    )
    assert bad.status_code == 422


def test_a_refused_exception_keeps_the_quarter_locked(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    lock(interventions, "2026-2027-Q2")
    manager = interventions.headers("sophie", ["org_manager"], ORG)
    exception_id = interventions.client.post(
        "/lock-exceptions", json={"quarter": "2026-2027-Q2", "reason": "Oubli"}, headers=manager
    ).json()["id"]
    admin = interventions.headers("admin", ["admin"])
    refused = interventions.client.post(
        f"/lock-exceptions/{exception_id}/refusal", json={"reason": "Hors délai"}, headers=admin
    )
    assert refused.status_code == 200
    assert declare(interventions, person, service_date="2026-08-12").status_code == 423
    listed = interventions.client.get("/lock-exceptions?status=refused", headers=manager).json()
    assert listed["total"] == 1
    assert listed["items"][0]["decision_reason"] == "Hors délai"


def test_the_catalogue_is_data_an_admin_publishes_for_tomorrow(interventions: InterventionsService) -> None:
    reader = staff(interventions)
    current = interventions.client.get("/catalogue", headers=reader)
    assert current.status_code == 200
    assert "OBI" in current.json()["codes"]
    document = current.json()
    document = {
        **document,
        "version": "2026.2",
        "effective_from": "2026-11-21",
        "codes": {**document["codes"], "OBI": {**document["codes"]["OBI"], "min_age": 16}},
    }
    admin = interventions.headers("admin", ["admin"])
    assert interventions.client.post("/catalogue", json=document, headers=reader).status_code == 403
    retro = interventions.client.post(
        "/catalogue", json={**document, "effective_from": "2026-11-20"}, headers=admin
    )
    assert retro.status_code == 409
    assert retro.json()["code"] == "catalogue.retroactive"
    published = interventions.client.post("/catalogue", json=document, headers=admin)
    assert published.status_code == 201, published.text
    assert [v["version"] for v in interventions.client.get("/catalogue/versions", headers=reader).json()][
        -1
    ] == ("2026.2")
    assert (
        interventions.client.get("/catalogue?on=2026-11-21", headers=reader).json()["codes"]["OBI"]["min_age"]
        == 16
    )
    assert interventions.client.get("/catalogue", headers=reader).json()["codes"]["OBI"]["min_age"] == 18
    broken = interventions.client.post(
        "/catalogue", json={**document, "version": "2026.3", "codes": {"ACC": {"fr": "x"}}}, headers=admin
    )
    assert broken.status_code == 422
    assert broken.json()["code"] == "catalogue.invalid"


def test_a_follow_up_with_an_active_plan_is_clean_and_without_one_is_flagged(
    interventions: InterventionsService,
) -> None:
    son, neighbour = interventions.register_person(ORG), interventions.register_person(ORG)
    plan = interventions.client.post(
        "/action-plans",
        json={"person_id": son, "opened_on": "2026-11-10", "needs": ["housing", "french_courses"]},
        headers=staff(interventions),
    )
    assert plan.status_code == 201, plan.text
    assert declare(interventions, son, code="SUI").json()["flags"] == []
    assert codes(declare(interventions, neighbour, code="SUI").json()["flags"]) == ["C5.no_active_plan"]
    before_plan = declare(interventions, son, code="SUI", service_date="2026-11-09")
    assert codes(before_plan.json()["flags"]) == ["C5.no_active_plan"]


def test_a_merged_person_is_served_under_the_surviving_file(interventions: InterventionsService) -> None:
    kept, duplicate = interventions.register_person(ORG), interventions.register_person(ORG)
    interventions.receive(registration_contract.PersonsMerged(person_id=duplicate, into_person_id=kept))
    answer = declare(interventions, duplicate)
    assert answer.status_code == 201
    row = interventions.client.get(
        f"/interventions/{answer.json()['intervention_id']}", headers=staff(interventions)
    )
    assert row.json()["person_id"] == kept


def test_an_erased_person_can_no_longer_be_served(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    assert declare(interventions, person).status_code == 201
    interventions.receive(registration_contract.PersonErased(person_id=person))
    refused = declare(interventions, person, code="PDI")
    assert refused.status_code == 422
    assert refused.json()["code"] == "intervention.unknown_person"
    assert (
        interventions.client.get(f"/interventions?person_id={person}", headers=staff(interventions)).json()[
            "total"
        ]
        == 1
    )  # what was served stays counted


def test_a_status_change_is_followed_and_judged_on_the_service_date(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(
        ORG, status="temporary_worker", status_since=date(2025, 6, 1), birth_date=date(1990, 1, 1)
    )
    interventions.receive(
        registration_contract.PersonStatusChanged(
            person_id=person,
            organization_id=ORG,
            status="asylum_claimant",
            effective_from=date(2026, 11, 1),
        )
    )
    before = declare(interventions, person, code="DAS", volet="V4", service_date="2026-10-20")
    after = declare(interventions, person, code="DAS", volet="V4", service_date="2026-11-05")
    assert "C1.E3" in codes(before.json()["flags"])
    assert after.json()["flags"] == []


def test_rule_sets_published_by_registration_are_the_ones_checked(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG, status_since=date(2022, 1, 1))  # admitted then
    assert (
        declare(interventions, person, service_date="2026-10-20").json()["flags"] == []
    )  # 5 years: eligible
    shipped = load_default_rulebook().for_date("PASI", date(2026, 11, 1)).to_document()
    stricter = {**shipped, "version": "2026.9", "effective_from": "2026-11-21"}  # from tomorrow
    for limit in stricter["rules"]["E4"]["max_years"].values():
        limit["years"] = 4
    interventions.receive(
        registration_contract.RuleSetPublished(
            program="PASI", version="2026.9", effective_from=date(2026, 11, 21), document=stricter
        )
    )
    interventions.clock.advance(timedelta(days=1))
    flagged = declare(interventions, person, code="PDI", service_date="2026-11-21").json()["flags"]
    assert "C1.E4" in codes(flagged)
    earlier = declare(interventions, person, code="PDI", service_date="2026-11-19").json()["flags"]
    assert earlier == []  # a service before the new version is judged by the rules of its day


def test_an_exception_may_name_only_the_organizations_own_interventions(
    interventions: InterventionsService,
) -> None:
    """Another organization's intervention is "not found", and nothing is filed (no id of the
    other organization ends up in this one's list)."""
    theirs = declare(
        interventions, interventions.register_person(OTHER), org=OTHER, service_date="2026-08-10"
    ).json()["intervention_id"]
    mine = declare(interventions, interventions.register_person(ORG), service_date="2026-08-11").json()[
        "intervention_id"
    ]
    lock(interventions, "2026-2027-Q2")
    manager = interventions.headers("sophie", ["org_manager"], ORG)
    body = {"quarter": "2026-2027-Q2", "reason": "Correction", "intervention_ids": [mine, theirs]}
    refused = interventions.client.post("/lock-exceptions", json=body, headers=manager)
    assert refused.status_code == 404
    assert refused.json()["code"] == "intervention.not_found"
    assert refused.json()["details"] == {"intervention_ids": [theirs]}
    assert interventions.client.get("/lock-exceptions", headers=manager).json()["total"] == 0
    accepted = interventions.client.post(
        "/lock-exceptions", json={**body, "intervention_ids": [mine]}, headers=manager
    )
    assert accepted.status_code == 201, accepted.text


def test_a_declaration_counts_the_staff_members_other_interventions_that_day_whoever_they_served(
    interventions: InterventionsService,
) -> None:
    """C8: the catalogue's 40 interventions a day per staff member. A declaration reads the
    person's own interventions and the staff member's of that day, for any person."""
    persons = [interventions.register_person(ORG) for _ in range(43)]
    for person in persons[:40]:
        assert codes(declare(interventions, person, staff_member="marc").json()["flags"]) == []
    the_41st = declare(interventions, persons[40], staff_member="marc")
    assert codes(the_41st.json()["flags"]) == ["C8.staff_day_volume"]
    another_staff_member = declare(interventions, persons[41], staff_member="lea")
    assert codes(another_staff_member.json()["flags"]) == []
    next_day = declare(interventions, persons[42], staff_member="marc", service_date="2026-11-19")
    assert codes(next_day.json()["flags"]) == []


def test_a_declaration_runs_on_the_event_loop_where_writers_do_not_wait_for_each_other(
    interventions: InterventionsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short command (ADR 10, 16): handing it to a thread costs more than it saves — except on
    SQLite, where it may wait for another writer's whole transaction (an import's)."""
    where: list[str] = []
    declare_ = Interventions.declare

    def spy(self: Interventions, *args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            where.append("loop")
        except RuntimeError:
            where.append("thread")
        return declare_(self, *args, **kwargs)

    monkeypatch.setattr(Interventions, "declare", spy)
    assert declare(interventions, interventions.register_person(ORG)).status_code == 201
    assert where == (["thread"] if interventions.kernel.db.dialect == "sqlite" else ["loop"])


def test_a_declarations_reads_go_in_one_round_trip_on_postgresql(
    interventions: InterventionsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The person, the organization's locks and agreements, the person's plans and the other
    interventions: read ahead together (ADR 10), none read again one by one."""
    import gsi_kernel.store._pg_prepared as prepared

    person = interventions.register_person(ORG)
    assert declare(interventions, person).status_code == 201  # the books are cached from here
    trips: list[str] = []
    real = prepared.driver
    monkeypatch.setattr(prepared, "driver", lambda c: trips.append("trip") or real(c))
    answer = declare(interventions, person, code="SUI")
    assert answer.status_code == 201
    assert codes(answer.json()["flags"]) == ["C5.no_active_plan"]
    on_postgres = interventions.kernel.db.dialect == "postgresql"
    assert trips == (["trip"] if on_postgres else [])


def hold_session(service: InterventionsService, persons: list[str], org: str = ORG, **overrides: Any) -> Any:
    body = {**details(code="PDI", mode="group", **overrides), "attendees": persons}
    return service.client.post("/group-sessions", json=body, headers=staff(service, org))


def session_flags(service: InterventionsService, held: Any, org: str = ORG) -> list[list[str]]:
    assert held.status_code == 201, held.text
    return [
        codes(service.client.get(f"/interventions/{iid}", headers=staff(service, org)).json()["flags"])
        for iid in held.json()["interventions"].values()
    ]


def test_a_staff_members_daily_volume_counts_at_their_own_organization_only(
    interventions: InterventionsService,
) -> None:
    """C8: "marc" at another organization is another person; his 41 interventions there are that
    organization's volume (flagged there), neither counted nor told here — for a declaration (the
    one-intervention read) and for a session (the read of several)."""
    theirs = [interventions.register_person(OTHER) for _ in range(41)]
    assert (
        session_flags(interventions, hold_session(interventions, theirs, OTHER, staff_member="marc"), OTHER)
        == [["C8.staff_day_volume"]] * 41
    )
    mine = [interventions.register_person(ORG) for _ in range(3)]
    assert codes(declare(interventions, mine[0], staff_member="marc").json()["flags"]) == []
    held = hold_session(interventions, mine[1:], staff_member="marc")
    assert session_flags(interventions, held) == [[], []]


def lock_and_grant(service: InterventionsService, quarter: str = "2026-2027-Q2") -> dict[str, Any]:
    """Lock ``quarter`` for ORG, have ORG ask for an exception and its reviewer grant it for ten
    days; return the grant's answer body."""
    lock(service, quarter)
    manager = service.headers("sophie", ["org_manager"], ORG)
    requested = service.client.post(
        "/lock-exceptions", json={"quarter": quarter, "reason": "Saisies en retard"}, headers=manager
    )
    reviewer = service.headers("nadia", ["ministry_reviewer"], assigned_organizations=[ORG])
    granted = service.client.post(
        f"/lock-exceptions/{requested.json()['id']}/grant",
        json={"valid_until": "2026-11-30", "reason": "Accordé"},
        headers=reviewer,
    )
    assert granted.status_code == 200, granted.text
    body: dict[str, Any] = granted.json()
    return body


def test_a_change_made_under_a_granted_exception_needs_no_correction_request(
    interventions: InterventionsService,
) -> None:
    """C7 says "a correction request is needed": not for a declaration, a correction or a group
    session the granted exception lets through. Without one (expired), the change is refused."""
    person = interventions.register_person(ORG)
    other = interventions.register_person(ORG)
    lock_and_grant(interventions)

    declared = declare(interventions, person, code="PDI", service_date="2026-08-12")
    assert declared.status_code == 201, declared.text
    assert declared.json()["flags"] == []
    intervention_id = declared.json()["intervention_id"]
    corrected = interventions.client.post(
        f"/interventions/{intervention_id}/corrections",
        json={"details": details(code="PDI", service_date="2026-08-13"), "reason": "Mauvaise date"},
        headers=staff(interventions),
    )
    assert corrected.status_code == 204, corrected.text
    row = interventions.client.get(f"/interventions/{intervention_id}", headers=staff(interventions))
    assert row.json()["flags"] == []
    held = hold_session(interventions, [person, other], service_date="2026-08-14")
    assert session_flags(interventions, held) == [[], []]
    listed = interventions.client.get("/interventions?check=C7", headers=staff(interventions)).json()
    assert listed["total"] == 0

    interventions.clock.advance(timedelta(days=11))  # the exception's last day was 2026-11-30
    late = declare(interventions, person, code="EVB", service_date="2026-08-15")
    assert late.status_code == 423
    assert late.json()["code"] == "quarter.locked"


def test_granting_or_refusing_answers_the_exception_as_it_now_stands(
    interventions: InterventionsService,
) -> None:
    granted = lock_and_grant(interventions)
    manager = interventions.headers("sophie", ["org_manager"], ORG)
    assert (
        granted
        == interventions.client.get(f"/lock-exceptions/{granted['exception_id']}", headers=manager).json()
    )
    assert (granted["status"], granted["state"], granted["valid_until"]) == (
        "granted",
        "granted",
        "2026-11-30",
    )
    assert (granted["decided_by"], granted["decision_reason"]) == ("nadia", "Accordé")

    lock(interventions, "2026-2027-Q1")
    requested = interventions.client.post(
        "/lock-exceptions", json={"quarter": "2026-2027-Q1", "reason": "Oubli"}, headers=manager
    ).json()
    admin = interventions.headers("admin", ["admin"])
    refused = interventions.client.post(
        f"/lock-exceptions/{requested['id']}/refusal", json={"reason": "Hors délai"}, headers=admin
    )
    assert refused.status_code == 200, refused.text
    assert (
        refused.json()
        == interventions.client.get(f"/lock-exceptions/{requested['id']}", headers=manager).json()
    )
    assert (refused.json()["status"], refused.json()["decision_reason"]) == ("refused", "Hors délai")

    schema = interventions.client.get("/openapi.json").json()
    for path in ("/lock-exceptions/{exception_id}/grant", "/lock-exceptions/{exception_id}/refusal"):
        responses = schema["paths"][path]["post"]["responses"]
        assert "204" not in responses
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/LockExceptionView"
        }
