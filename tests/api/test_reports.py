"""Reporting API: the whole report workflow (verify → submit → take → reject → answer → resubmit →
accept → lock → unlock), the frozen snapshot and its integrity, the reviewers' queue, the
calendar, and every bad input of issue 5 with its code and nothing written."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from gsi_contracts import interventions as interventions_contract
from gsi_contracts import registration as registration_contract
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.tables import events, outbox
from tests.api.conftest import InterventionsService, ReportingService
from tests.consumers import deliver, outbox_events

ORG, OTHER = "org-sherbrooke", "org-montreal"
Q = "2026-2027-Q2"  # July–September 2026, due October 30
URL = f"/reports/{ORG}/{Q}"
OCT_20 = datetime(2026, 10, 20, 14, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Montréal


def manager(s: ReportingService, org: str = ORG) -> dict[str, str]:
    return s.headers("sophie", ["org_manager"], org)


def staff(s: ReportingService, org: str = ORG) -> dict[str, str]:
    return s.headers("karine", ["org_staff"], org)


def reviewer(s: ReportingService, *orgs: str) -> dict[str, str]:
    """Nadia, assigned to ``ORG``; for other organizations, a reviewer assigned to those only
    (assignments live in the registry, per reviewer: ADR 23)."""
    user = "nadia" if orgs in ((), (ORG,)) else "reviewer-" + "-".join(sorted(orgs))
    return s.headers(user, ["ministry_reviewer"], assigned_organizations=list(orgs or (ORG,)))


def admin(s: ReportingService) -> dict[str, str]:
    return s.headers("adele", ["admin"])


def written(kernel: Kernel) -> tuple[int, int]:
    """How many events the store holds and how many messages the outbox."""
    with kernel.db.transaction() as connection:
        stored = connection.execute(select(func.count()).select_from(events)).scalar_one()
        queued = connection.execute(select(func.count()).select_from(outbox)).scalar_one()
    return int(stored), int(queued)


def published(kernel: Kernel, kind: str) -> list[dict[str, Any]]:
    return [e.payload for e in outbox_events(kernel) if e.type == f"reporting.{kind}"]


def codes(findings: list[dict[str, Any]]) -> list[str]:
    return sorted(f["code"] for f in findings)


def seed(s: ReportingService) -> dict[str, str]:
    """A quarter with three blocking errors: an asylum claimant served under V1, a follow-up
    without an action plan, a duplicate reception; an agreement covers it, and it has ended."""
    s.clock.set(OCT_20)
    s.cover(ORG)
    p1, p3 = s.register_person(ORG), s.register_person(ORG)
    p2 = s.register_person(ORG, status="asylum_claimant", status_since=date(2025, 5, 1))
    return {
        "p1": p1,
        "p3": p3,
        "acc": s.declare(ORG, p1),
        "pdi": s.declare(ORG, p1, code="PDI", service_date=date(2026, 8, 12)),
        "claimant": s.declare(ORG, p2, service_date=date(2026, 8, 11)),
        "sui": s.declare(ORG, p3, code="SUI", service_date=date(2026, 8, 13)),
        "duplicate": s.declare(ORG, p1),
        "p2": p2,
    }


def fix(s: ReportingService, ids: dict[str, str]) -> None:
    """What the coordinator does after the first verify: open the plan, cancel the duplicate,
    correct the claimant's service to the asylum-claimant volet."""
    s.receive(
        interventions_contract.ActionPlanOpened(
            plan_id=str(uuid.uuid4()), person_id=ids["p3"], organization_id=ORG, opened_on=date(2026, 8, 1)
        )
    )
    s.receive(
        interventions_contract.InterventionCancelled(
            intervention_id=ids["duplicate"],
            person_id=ids["p1"],
            organization_id=ORG,
            service_date=date(2026, 8, 10),
            reason="Doublon",
            version=2,
        )
    )
    s.declare(
        ORG,
        ids["p2"],
        intervention_id=ids["claimant"],
        version=2,
        code="DAS",
        volet="V4",
        service_date=date(2026, 8, 11),
    )


def submitted(s: ReportingService) -> dict[str, str]:
    ids = seed(s)
    fix(s, ids)
    answer = s.client.post(f"{URL}/submit", headers=manager(s))
    assert answer.status_code == 200, answer.text
    return ids


def under_control(s: ReportingService) -> dict[str, str]:
    ids = submitted(s)
    assert s.client.post(f"{URL}/take", headers=reviewer(s)).status_code == 200
    return ids


def test_verify_returns_every_finding_and_the_summary_and_records_it(reporting: ReportingService) -> None:
    ids = seed(reporting)
    before = reporting.client.get(URL, headers=manager(reporting)).json()
    assert (before["state"], before["interventions_count"], before["persons_count"]) == ("draft", 5, 3)
    assert before["submission_due"] == "2026-10-30"

    answer = reporting.client.post(f"{URL}/verify", headers=manager(reporting))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    errors = [f for f in body["findings"] if f["severity"] == "error"]
    assert {f["code"] for f in errors} >= {"C1.E3", "C4.duplicate", "C5.no_active_plan"}
    flagged = {(f["intervention_id"], f["code"]) for f in errors}
    assert {(ids["claimant"], "C1.E3"), (ids["sui"], "C5.no_active_plan")} <= flagged
    assert {(ids["acc"], "C4.duplicate"), (ids["duplicate"], "C4.duplicate")} & flagged  # the later id
    assert all(f["fr"] and f["en"] for f in body["findings"])
    assert body["summary"]["blocking"] is True
    assert body["summary"]["errors"] == len(errors)
    assert body["catalogue_versions"]
    assert body["rule_set_versions"]

    fix(reporting, ids)
    again = reporting.client.post(f"{URL}/verify", headers=manager(reporting)).json()
    assert again["summary"]["errors"] == 0, again["findings"]
    assert again["interventions_count"] == 4
    report = reporting.client.get(URL, headers=staff(reporting)).json()  # staff may read
    assert (report["state"], report["verified_errors"], report["verified_by"]) == ("draft", 0, "sophie")
    history = reporting.client.get(f"{URL}/history", headers=manager(reporting)).json()
    assert [h["event"] for h in history] == ["ReportVerified", "ReportVerified"]
    assert history[0]["details"]["summary"]["errors"] == len(errors)


def test_the_whole_workflow_from_submission_to_unlock(reporting: ReportingService) -> None:
    s = reporting
    ids = submitted(s)
    report = s.client.get(URL, headers=manager(s)).json()
    assert (report["state"], report["submission_version"], report["late"]) == ("submitted", 1, False)
    assert (report["control_due"], report["errors"]) == ("2026-11-19", 0)
    [notice] = published(s.kernel, "ReportSubmitted")
    assert (notice["submission_version"], notice["interventions_count"], notice["persons_count"]) == (1, 4, 3)

    queue = s.client.get("/reports/queue", headers=reviewer(s)).json()
    assert [(e["report_id"], e["age_days"], e["state"]) for e in queue["items"]] == [
        (report["report_id"], 0, "submitted")
    ]

    taken = s.client.post(f"{URL}/take", headers=reviewer(s)).json()
    assert (taken["state"], taken["taken_by"]) == ("under_control", "nadia")
    rejected = s.client.post(
        f"{URL}/reject",
        headers=reviewer(s),
        json={
            "reason": "Durée à revoir",
            "items": [{"intervention_id": ids["pdi"], "reason": "Durée irréaliste"}],
        },
    )
    assert rejected.status_code == 200, rejected.text
    rejection = rejected.json()["rejection"]
    assert (rejected.json()["state"], rejection["reason"], rejection["resubmission_due"]) == (
        "rejected", "Durée à revoir", "2026-11-03",  # 10 business days after Tuesday, October 20
    )  # fmt: skip
    [message] = published(s.kernel, "ReportRejected")
    assert [(i["intervention_id"], i["reason"]) for i in message["items"]] == [
        (ids["pdi"], "Durée irréaliste")
    ]

    answered = s.client.post(
        f"{URL}/answers",
        headers=manager(s),
        json={"answers": [{"intervention_id": ids["pdi"], "answer": "Corrigée"}]},
    ).json()
    assert answered["rejection"]["items"][0]["answer"] == "Corrigée"
    s.declare(
        ORG,
        ids["p1"],
        intervention_id=ids["pdi"],
        version=2,
        code="PDI",
        service_date=date(2026, 8, 12),
        duration_minutes=30,
    )
    resubmitted = s.client.post(f"{URL}/submit", headers=manager(s)).json()
    assert (resubmitted["state"], resubmitted["submission_version"]) == ("submitted", 2)

    assert s.client.post(f"{URL}/take", headers=reviewer(s)).status_code == 200
    accepted = s.client.post(f"{URL}/accept", headers=reviewer(s), json={}).json()
    assert (accepted["state"], accepted["decided_by"]) == ("accepted", "nadia")
    locked = s.client.post(f"{URL}/lock", headers=reviewer(s)).json()
    assert locked["state"] == "locked"
    assert published(s.kernel, "QuarterLocked") == [
        {"organization_id": ORG, "quarter": Q, "report_id": report["report_id"]}
    ]

    unlocked = s.client.post(f"{URL}/unlock", headers=admin(s), json={"reason": "Correction d'audit"}).json()
    assert (unlocked["state"], unlocked["unlock_reason"], unlocked["unlocked_by"]) == (
        "accepted", "Correction d'audit", "adele",
    )  # fmt: skip
    [reopened] = published(s.kernel, "QuarterUnlocked")
    assert reopened["reason"] == "Correction d'audit"
    history = s.client.get(f"{URL}/history", headers=admin(s)).json()
    assert [(h["event"], h["by"]) for h in history] == [
        ("ReportSubmitted", "sophie"), ("ReportTakenUnderControl", "nadia"), ("ReportRejected", "nadia"),
        ("RejectionAnswered", "sophie"), ("ReportSubmitted", "sophie"), ("ReportTakenUnderControl", "nadia"),
        ("ReportAccepted", "nadia"), ("ReportLocked", "nadia"), ("ReportUnlocked", "adele"),
    ]  # fmt: skip
    assert history[-1]["details"] == {"reason": "Correction d'audit"}
    assert all(h["at"] for h in history)
    assert {"ReportUnderControl", "ReportAccepted"} <= {e.type.split(".")[1] for e in outbox_events(s.kernel)}


def test_a_submission_shows_exactly_what_was_frozen_and_integrity_says_what_changed(
    reporting: ReportingService,
) -> None:
    s = reporting
    ids = submitted(s)
    intact = s.client.get(f"{URL}/integrity", headers=reviewer(s)).json()
    assert (intact["status"], intact["record_intact"]) == ("intact", True)
    assert intact["sha256"] == intact["current_sha256"] == intact["snapshot_sha256"]

    s.declare(
        ORG,
        ids["p1"],
        intervention_id=ids["pdi"],
        version=2,
        code="PDI",
        service_date=date(2026, 8, 12),
        duration_minutes=30,
    )
    added = s.declare(ORG, ids["p1"], code="REF", target_organization="org-x", referral_reason="emploi")
    s.receive(
        interventions_contract.InterventionCancelled(
            intervention_id=ids["acc"],
            person_id=ids["p1"],
            organization_id=ORG,
            service_date=date(2026, 8, 10),
            reason="Erreur",
            version=2,
        )
    )
    changed = s.client.get(f"{URL}/integrity", headers=manager(s)).json()
    assert changed["status"] == "changed"
    assert changed["record_intact"] is True
    assert changed["changed"] == [
        {"intervention_id": ids["pdi"], "submitted_version": 1, "current_version": 2}
    ]
    assert changed["added"] == [{"intervention_id": added, "version": 1}]
    assert changed["removed"] == [{"intervention_id": ids["acc"], "version": 1}]

    frozen = s.client.get(f"{URL}/submissions/1", headers=reviewer(s), params={"limit": 200}).json()
    assert frozen["interventions_count"] == 4
    items = {i["intervention_id"]: i for i in frozen["items"]}
    assert (items[ids["pdi"]]["version"], items[ids["pdi"]]["duration_minutes"]) == (1, 45)  # as submitted
    assert (items[ids["claimant"]]["version"], items[ids["claimant"]]["code"]) == (2, "DAS")
    assert ids["duplicate"] not in items
    assert added not in items
    assert (
        s.client.get(f"{URL}/submissions/2", headers=reviewer(s)).json()["code"]
        == "report.submission_not_found"
    )


def test_the_reviewer_sees_the_frozen_findings_as_per_intervention_flags(reporting: ReportingService) -> None:
    s = reporting
    ids = seed(s)  # submitted with its errors
    assert s.client.post(f"{URL}/submit", headers=manager(s)).status_code == 200
    frozen = s.client.get(f"{URL}/submissions/1", headers=reviewer(s)).json()
    flags = {i["intervention_id"]: codes(i["flags"]) for i in frozen["items"]}
    assert "C5.no_active_plan" in flags[ids["sui"]]
    assert flags[ids["pdi"]] == []
    errors = s.client.get(
        f"{URL}/submissions/1/findings", headers=reviewer(s), params={"severity": "error"}
    ).json()
    assert errors["total"] == frozen["errors"] >= 3
    c5 = s.client.get(f"{URL}/submissions/1/findings", headers=reviewer(s), params={"check": "C5"}).json()
    assert [f["intervention_id"] for f in c5["items"]] == [ids["sui"]]


def test_a_lock_closes_the_quarter_in_the_interventions_service(
    reporting: ReportingService, interventions: InterventionsService
) -> None:
    s = reporting
    under_control(s)
    s.client.post(f"{URL}/accept", headers=reviewer(s), json={})
    s.client.post(f"{URL}/lock", headers=reviewer(s))
    [lock] = [e for e in outbox_events(s.kernel) if e.type == "reporting.QuarterLocked"]
    assert deliver(interventions.kernel, lock) == 1

    person = interventions.register_person(ORG)
    late = interventions.client.post(
        "/interventions",
        headers=interventions.headers("karine", ["org_staff"], ORG),
        json={"person_id": person, "code": "ACC", "service_date": "2026-09-15", "duration_minutes": 30,
              "mode": "in_person", "volet": "V1", "staff_member": "karine"},
    )  # fmt: skip
    assert late.status_code == 423, late.text
    assert late.json()["code"] == "quarter.locked"


# ---- bad input: 4xx with a code, nothing written ---------------------------------------------------


def test_an_organization_cannot_see_verify_or_submit_another_organizations_report(
    reporting: ReportingService,
) -> None:
    s = reporting
    seed(s)
    before = written(s.kernel)
    for method, path in [("get", URL), ("post", f"{URL}/verify"), ("post", f"{URL}/submit")]:
        answer = getattr(s.client, method)(path, headers=manager(s, OTHER))
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "report.not_found"
    assert written(s.kernel) == before
    assert s.client.get(URL, headers=manager(s)).json()["state"] == "draft"


@pytest.mark.parametrize("step", ["take", "accept", "reject", "lock"])
def test_a_reviewer_cannot_act_for_an_organization_not_assigned_to_them(
    reporting: ReportingService, step: str
) -> None:
    s = reporting
    submitted(s)
    other_reviewer = reviewer(s, OTHER)  # assigned (in the registry) before counting
    before = written(s.kernel)
    body = {"reason": "Non conforme"} if step == "reject" else {}
    answer = s.client.post(f"{URL}/{step}", headers=other_reviewer, json=body)
    assert (answer.status_code, answer.json()["code"]) == (404, "report.not_found")
    assert written(s.kernel) == before
    assert s.client.get("/reports/queue", headers=reviewer(s, OTHER)).json()["total"] == 0
    assert s.client.get(URL, headers=reviewer(s, OTHER)).status_code == 404


def test_accepting_with_blocking_errors_needs_an_explicit_override_reason(
    reporting: ReportingService,
) -> None:
    s = reporting
    seed(s)
    s.client.post(f"{URL}/submit", headers=manager(s))
    s.client.post(f"{URL}/take", headers=reviewer(s))
    before = written(s.kernel)
    for body in ({}, {"override_reason": None}):
        refused = s.client.post(f"{URL}/accept", headers=reviewer(s), json=body)
        assert (refused.status_code, refused.json()["code"]) == (409, "report.blocking_errors")
        assert refused.json()["details"]["errors"] >= 3
    assert written(s.kernel) == before
    forced = s.client.post(
        f"{URL}/accept", headers=reviewer(s), json={"override_reason": "Validé avec IRCC"}
    ).json()
    assert (forced["state"], forced["override_reason"]) == ("accepted", "Validé avec IRCC")


@pytest.mark.parametrize(
    ("step", "body"),
    [("accept", {}), ("reject", {"reason": "Trop tard"}), ("take", None), ("lock", None)],
)
def test_no_decision_on_a_locked_report(reporting: ReportingService, step: str, body: Any) -> None:
    s = reporting
    under_control(s)
    s.client.post(f"{URL}/accept", headers=reviewer(s), json={})
    s.client.post(f"{URL}/lock", headers=reviewer(s))
    before = written(s.kernel)
    refused = s.client.post(f"{URL}/{step}", headers=reviewer(s), json=body)
    assert refused.status_code == 409
    assert refused.json()["code"] == "report.invalid_transition"
    assert refused.json()["details"]["current_state"] == "locked"
    assert written(s.kernel) == before


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status", "code"),
    [
        ("staff", "post", "/verify", None, 403, "auth.forbidden_role"),
        ("staff", "post", "/submit", None, 403, "auth.forbidden_role"),
        ("reviewer", "post", "/submit", None, 403, "auth.forbidden_role"),
        ("manager", "post", "/take", None, 403, "auth.forbidden_role"),
        ("reviewer", "post", "/unlock", {"reason": "Audit"}, 403, "auth.forbidden_role"),
        ("admin", "post", "/unlock", {}, 422, "missing_field"),
        ("admin", "post", "/unlock", {"reason": "Audit"}, 409, "report.invalid_transition"),
        ("reviewer", "post", "/take", None, 409, "report.invalid_transition"),
        (
            "manager",
            "post",
            "/answers",
            {"answers": [{"intervention_id": "x", "answer": "y"}]},
            409,
            "report.invalid_transition",
        ),
        ("reviewer", "post", "/reject", {"items": []}, 422, "missing_field"),
        ("reviewer", "post", "/accept", {"override_reason": "Valable", "extra": 1}, 422, "unknown_field"),
        ("manager", "get", "/integrity", None, 404, "report.submission_not_found"),
    ],
)
def test_refusals_have_a_code_and_write_nothing(
    reporting: ReportingService, who: str, method: str, path: str, body: Any, status: int, code: str
) -> None:
    s = reporting
    seed(s)
    headers = {"staff": staff, "manager": manager, "reviewer": reviewer, "admin": admin}[who](s)
    before = written(s.kernel)
    kwargs = {} if body is None else {"json": body}
    answer = getattr(s.client, method)(f"{URL}{path}", headers=headers, **kwargs)
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.json()["message"]["fr"]
    assert answer.json()["message"]["en"]
    assert written(s.kernel) == before


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([{"intervention_id": "not-submitted", "reason": "Inconnue"}], "report.item_not_submitted"),
        (
            [{"intervention_id": "I", "reason": "Motif A"}, {"intervention_id": "I", "reason": "Motif B"}],
            "report.duplicate_item",
        ),
    ],
)
def test_a_rejection_names_only_submitted_interventions(
    reporting: ReportingService, items: list[dict[str, str]], code: str
) -> None:
    s = reporting
    ids = under_control(s)
    items = [
        {**i, "intervention_id": ids["acc"] if i["intervention_id"] == "I" else i["intervention_id"]}
        for i in items
    ]
    before = written(s.kernel)
    refused = s.client.post(
        f"{URL}/reject", headers=reviewer(s), json={"reason": "Non conforme", "items": items}
    )
    assert (refused.status_code, refused.json()["code"]) == (422, code)
    assert written(s.kernel) == before


def test_a_second_submission_is_refused_with_the_current_state(reporting: ReportingService) -> None:
    submitted(reporting)
    again = reporting.client.post(f"{URL}/submit", headers=manager(reporting))
    assert again.status_code == 409
    assert again.json()["details"] == {"current_state": "submitted", "requested": "submit"}


def test_a_bad_quarter_is_refused(reporting: ReportingService) -> None:
    answer = reporting.client.get(f"/reports/{ORG}/2026-Q2", headers=manager(reporting))
    assert (answer.status_code, answer.json()["code"]) == (422, "report.invalid_quarter")


# ---- queue, lists, calendar ---------------------------------------------------------------------


def test_the_queue_lists_submitted_reports_by_control_deadline_with_their_age(
    reporting: ReportingService,
) -> None:
    s = reporting
    s.clock.set(datetime(2026, 10, 5, 14, tzinfo=UTC))
    s.cover(OTHER, ORG)
    for org in (OTHER, ORG):
        person = s.register_person(org)
        s.declare(org, person)
        assert s.client.post(f"/reports/{org}/{Q}/submit", headers=manager(s, org)).status_code == 200
        s.clock.set(datetime(2026, 10, 9, 14, tzinfo=UTC))
    s.clock.set(datetime(2026, 10, 20, 14, tzinfo=UTC))
    both = s.client.get("/reports/queue", headers=reviewer(s, ORG, OTHER)).json()
    assert [(e["organization_id"], e["age_days"], e["control_due"]) for e in both["items"]] == [
        (OTHER, 15, "2026-11-04"), (ORG, 11, "2026-11-08"),
    ]  # fmt: skip
    assert both["items"][0]["days_left"] == 15
    assert s.client.get("/reports/queue", headers=admin(s)).json()["total"] == 2
    assert s.client.get("/reports/queue", headers=manager(s)).status_code == 403
    mine = s.client.get("/reports", headers=manager(s), params={"limit": 50}).json()
    assert [(r["organization_id"], r["quarter"]) for r in mine["items"] if r["state"] != "draft"] == [
        (ORG, Q)
    ]
    # and the drafts of the other quarters begun that its agreement covers (Q1, Q3), its own only
    assert {r["organization_id"] for r in mine["items"]} == {ORG}
    assert [(r["quarter"], r["state"]) for r in mine["items"]] == [
        ("2026-2027-Q3", "draft"), (Q, "submitted"), ("2026-2027-Q1", "draft"),
    ]  # fmt: skip
    overview = s.client.get("/reports/overview", headers=admin(s), params={"fiscal_year": "2026-2027"}).json()
    assert [(o["quarter"], o["states"]) for o in overview][1] == (Q, {"submitted": 2})


def test_the_calendar_is_data_an_admin_sets_per_fiscal_year(reporting: ReportingService) -> None:
    s = reporting
    default = s.client.get("/calendar/2026-2027", headers=manager(s)).json()
    assert default["source"] == "default"
    assert [q["submission_due"] for q in default["quarters"]] == [
        "2026-07-30",
        "2026-10-30",
        "2027-01-30",
        "2027-04-30",
    ]
    assert len(default["holidays"]) == 11

    body = {
        "submission_due": {"q1": "2026-07-30", "q2": "2026-11-13", "q3": "2027-02-05", "q4": "2027-04-30"},
        "control_window_days": 20,
        "resubmission_business_days": 5,
    }
    assert s.client.put("/calendar/2026-2027", headers=reviewer(s), json=body).status_code == 403
    set_ = s.client.put("/calendar/2026-2027", headers=admin(s), json=body)
    assert set_.status_code == 200, set_.text
    assert (set_.json()["source"], set_.json()["set_by"]) == ("set", "adele")
    assert s.client.put("/calendar/2026-2027", headers=admin(s), json=body).status_code == 200
    [message] = published(s.kernel, "FiscalYearCalendarSet")  # the same calendar again: no new event
    assert message["deadlines"][1] == {"quarter": Q, "submission_due": "2026-11-13"}

    s.clock.set(datetime(2026, 11, 10, 15, tzinfo=UTC))
    s.cover(ORG)
    s.declare(ORG, s.register_person(ORG))
    report = s.client.post(f"{URL}/submit", headers=manager(s)).json()
    assert (report["submission_due"], report["late"], report["control_due"]) == (
        "2026-11-13",
        False,
        "2026-11-30",
    )


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/calendar/2026-2028", None, "calendar.invalid_fiscal_year"),
        ("/calendar/2026-2027", {"q2": "2026-09-30"}, "calendar.deadline_before_quarter_end"),
        (
            "/calendar/2026-2027",
            {"holidays": [{"date": "2027-04-01", "name_fr": "x", "name_en": "x"}]},
            "calendar.holiday_outside_year",
        ),
        ("/calendar/2026-2027", {"control_window_days": 0}, "invalid_field"),
    ],
)
def test_a_bad_calendar_is_refused(
    reporting: ReportingService, path: str, body: dict[str, Any] | None, code: str
) -> None:
    s = reporting
    due = {"q1": "2026-07-30", "q2": "2026-10-30", "q3": "2027-01-30", "q4": "2027-04-30"}
    payload: dict[str, Any] = {
        "submission_due": due,
        "control_window_days": 30,
        "resubmission_business_days": 10,
    }
    for key, value in (body or {}).items():
        if key.startswith("q"):
            due[key] = value
        else:
            payload[key] = value
    before = written(s.kernel)
    answer = s.client.put(path, headers=admin(s), json=payload)
    assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text
    assert written(s.kernel) == before


def test_verify_checks_the_volets_of_the_organizations_agreement(reporting: ReportingService) -> None:
    s = reporting
    s.clock.set(OCT_20)
    person = s.register_person(ORG)
    s.declare(ORG, person, code="PDI", volet="V1")
    unrestricted = s.client.post(f"{URL}/verify", headers=manager(s)).json()
    assert "C1.volet_not_in_agreement" not in codes(unrestricted["findings"])  # no agreement yet

    organization = {"organization_id": ORG, "name": "SANC", "regions": ["05"]}
    assert s.client.post("/organizations", headers=admin(s), json=organization).status_code == 201
    agreement = {"organization_id": ORG, "starts_on": "2026-04-01", "ends_on": "2029-03-31", "volets": ["V2"]}
    assert s.client.post("/agreements", headers=admin(s), json=agreement).status_code == 201
    restricted = s.client.post(f"{URL}/verify", headers=manager(s)).json()
    assert codes(restricted["findings"]) == ["C1.volet_not_in_agreement"]


def test_a_merged_persons_interventions_count_under_the_surviving_person(reporting: ReportingService) -> None:
    s = reporting
    s.clock.set(OCT_20)
    kept, duplicate = s.register_person(ORG), s.register_person(ORG)
    s.declare(ORG, kept)
    s.declare(ORG, duplicate)  # the same reception, the same day, under the duplicate file
    clean = s.client.post(f"{URL}/verify", headers=manager(s)).json()
    assert (clean["summary"]["errors"], clean["persons_count"]) == (0, 2)

    s.receive(registration_contract.PersonsMerged(person_id=duplicate, into_person_id=kept))
    merged = s.client.post(f"{URL}/verify", headers=manager(s)).json()
    assert merged["persons_count"] == 1
    assert "C4.duplicate" in codes(merged["findings"])


def test_the_accepted_reports_export_holds_what_was_submitted(reporting: ReportingService) -> None:
    s = reporting
    ids = under_control(s)
    assert s.client.post(f"{URL}/accept", headers=reviewer(s), json={}).status_code == 200
    s.declare(
        ORG, ids["p1"], intervention_id=ids["pdi"], version=2, code="PDI", service_date=date(2026, 8, 12)
    )
    url = "/exports/accepted-reports/2026-2027.csv"
    answer = s.client.get(url, headers=reviewer(s))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 4
    assert {r["organization_id"] for r in rows} == {ORG}
    assert {r["report_state"] for r in rows} == {"accepted"}
    pdi = next(r for r in rows if r["intervention_id"] == ids["pdi"])
    assert pdi["intervention_version"] == "1"  # as submitted, not the correction made since
    assert s.client.get(url, headers=reviewer(s, OTHER)).text.count("\n") == 1  # header only
    assert s.client.get(url, headers=manager(s)).status_code == 403
    assert s.client.get("/exports/accepted-reports/2026-2028.csv", headers=admin(s)).status_code == 422


def test_integration_indicators_regions_first_service_and_rejection_rate(reporting: ReportingService) -> None:
    s = reporting
    quick = s.register_person(ORG, region="03", status_since=date(2026, 8, 3))  # a Monday
    slow = s.register_person(ORG, region="05", status_since=date(2026, 7, 1))
    unknown_region = s.register_person(OTHER, region=None, status_since=date(2026, 8, 3))
    s.declare(ORG, quick, service_date=date(2026, 8, 6))  # Thursday: 3 business days
    s.declare(ORG, quick, code="PDI", service_date=date(2026, 8, 20))  # not a first service
    s.declare(ORG, slow, service_date=date(2026, 8, 12))  # 30 business days
    s.declare(OTHER, unknown_region, service_date=date(2026, 8, 10))  # 5 business days
    cancelled = s.declare(OTHER, s.register_person(OTHER, region="06"), service_date=date(2026, 8, 10))
    s.receive(
        interventions_contract.InterventionCancelled(
            intervention_id=cancelled,
            person_id="x",
            organization_id=OTHER,
            service_date=date(2026, 8, 10),
            reason="Doublon",
            version=2,
        )
    )
    answer = s.client.get("/indicators/2026-2027/integration", headers=admin(s))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["persons_served_per_region"] == [
        {"region": None, "persons": 1},
        {"region": "03", "persons": 1},
        {"region": "05", "persons": 1},
    ]
    first = body["first_service"]
    assert (first["persons"], first["median_business_days"], first["within_reference"]) == (3, 5, 2)
    assert first["within_reference_pct"] == 66.7
    assert [r["rejection_rate_pct"] for r in body["rejection_rates"]] == [None, None, None, None]
    assert s.client.get("/indicators/2026-2027/integration", headers=manager(s)).status_code == 403


def test_the_rejection_rate_counts_rejected_submissions_of_the_quarter(reporting: ReportingService) -> None:
    s = reporting
    under_control(s)
    rejected = s.client.post(f"{URL}/reject", headers=reviewer(s), json={"reason": "À revoir", "items": []})
    assert rejected.status_code == 200, rejected.text
    assert s.client.post(f"{URL}/submit", headers=manager(s)).status_code == 200
    rates = s.client.get("/indicators/2026-2027/integration", headers=admin(s)).json()["rejection_rates"]
    q2 = next(r for r in rates if r["quarter"] == Q)
    assert (q2["submissions"], q2["rejections"], q2["rejection_rate_pct"]) == (2, 1, 50.0)


def test_a_rejection_publishes_what_names_each_intervention_to_people(reporting: ReportingService) -> None:
    """Notifications shows a rejected intervention by the person's file number, its date and its
    code with its label, never by its id: reporting publishes them with the rejection, as
    submitted (the number of a person registered before files were numbered included)."""
    s = reporting
    ids = under_control(s)
    s.receive(
        registration_contract.PersonFileNumberAssigned(
            person_id=ids["p1"], organization_id=ORG, file_number=123
        )
    )
    s.declare(
        ORG, ids["p1"], intervention_id=ids["pdi"], version=2, code="PDI", service_date=date(2026, 8, 20)
    )
    rejected = s.client.post(
        f"{URL}/reject",
        headers=reviewer(s),
        json={
            "reason": "Durées à revoir",
            "items": [
                {"intervention_id": ids["pdi"], "reason": "Durée irréaliste"},
                {"intervention_id": ids["sui"], "reason": "Plan d'action ouvert après le suivi"},
            ],
        },
    )
    assert rejected.status_code == 200, rejected.text
    [message] = published(s.kernel, "ReportRejected")
    assert message["items"] == [
        {
            "intervention_id": ids["pdi"],
            "reason": "Durée irréaliste",
            "person_file_number": 123,
            "service_date": "2026-08-12",  # as submitted (version 1), not as corrected since
            "code": "PDI",
            "code_fr": "Premières démarches d'installation",
            "code_en": "First settlement steps",
        },
        {
            "intervention_id": ids["sui"],
            "reason": "Plan d'action ouvert après le suivi",
            "person_file_number": None,  # not numbered yet: the person's id is still never shown
            "service_date": "2026-08-13",
            "code": "SUI",
            "code_fr": message["items"][1]["code_fr"],
            "code_en": message["items"][1]["code_en"],
        },
    ]
    assert message["items"][1]["code_fr"]
