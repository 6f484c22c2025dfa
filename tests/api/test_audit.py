"""The audit view (``GET /audit``) every service has: who did what to which object, when and why,
newest first, with filters — for administrators only; in registration, without any personal
data (journey 3: "the audit view shows who unlocked, when and why")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import Registration, ReportingService
from tests.api.test_http_behaviour import assert_error
from tests.api.test_registration import AMINA, register
from tests.api.test_reports import ORG, URL, admin, reviewer, under_control


def audit(s: Any, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = s.client.get("/audit", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def locked_then_unlocked(s: ReportingService) -> str:
    """A report taken to locked, then unlocked by the admin an hour later; its stream id."""
    under_control(s)
    assert s.client.post(f"{URL}/accept", headers=reviewer(s), json={}).status_code == 200
    assert s.client.post(f"{URL}/lock", headers=reviewer(s)).status_code == 200
    s.clock.advance(timedelta(hours=1))
    unlocked = s.client.post(f"{URL}/unlock", headers=admin(s), json={"reason": "Correction d'audit"})
    assert unlocked.status_code == 200, unlocked.text
    return f"report-{ORG}-2026-2027-Q2"


def test_the_audit_view_shows_who_unlocked_when_and_why(reporting: ReportingService) -> None:
    s = reporting
    stream = locked_then_unlocked(s)
    [entry] = audit(s, admin(s), event_type="ReportUnlocked")["items"]
    assert (entry["actor"], entry["reason"], entry["stream_id"]) == ("adele", "Correction d'audit", stream)
    assert datetime.fromisoformat(entry["recorded_at"]) == s.clock.now()
    assert entry["organization"] == ORG
    assert entry["details"]["submission_version"] == 1  # the whole payload: reporting holds no PI


def test_newest_first_with_filters_on_actor_object_type_and_time(reporting: ReportingService) -> None:
    s = reporting
    stream = locked_then_unlocked(s)
    everything = audit(s, admin(s), object_id=f"{ORG}-2026-2027-Q2")
    types = [e["event_type"] for e in everything["items"]]
    assert types[:3] == ["ReportUnlocked", "ReportLocked", "ReportAccepted"]
    assert {e["stream_id"] for e in everything["items"]} == {stream}
    assert everything["total"] == len(types)

    by_reviewer = audit(s, admin(s), actor="nadia", stream_id=stream)["items"]
    assert [(e["event_type"], e["actor"]) for e in by_reviewer] == [
        ("ReportLocked", "nadia"), ("ReportAccepted", "nadia"), ("ReportTakenUnderControl", "nadia"),
    ]  # fmt: skip
    decisions = audit(s, admin(s), event_type=["ReportAccepted", "ReportLocked"])["items"]
    assert [e["event_type"] for e in decisions] == ["ReportLocked", "ReportAccepted"]

    unlocked_at = s.clock.now()
    last_hour = audit(s, admin(s), **{"from": (unlocked_at - timedelta(minutes=30)).isoformat()})["items"]
    assert [e["event_type"] for e in last_hour] == ["ReportUnlocked"]
    before = audit(s, admin(s), to=(unlocked_at - timedelta(minutes=30)).isoformat())["items"]
    assert "ReportUnlocked" not in {e["event_type"] for e in before}

    page = audit(s, admin(s), stream_id=stream, offset=1, limit=2)
    assert [e["event_type"] for e in page["items"]] == types[1:3]
    assert (page["total"], page["limit"]) == (everything["total"], 2)


def test_an_empty_period_is_refused(reporting: ReportingService) -> None:
    answer = reporting.client.get(
        "/audit",
        headers=admin(reporting),
        params={"from": "2026-11-20T12:00:00", "to": "2026-11-20T11:00:00"},
    )
    assert_error(answer, 422, "audit.invalid_period")


@pytest.mark.parametrize(
    ("user", "roles", "organization", "assigned"),
    [
        ("karine", ["org_staff"], ORG, []),
        ("sophie", ["org_manager"], ORG, []),
        ("nadia", ["ministry_reviewer"], None, [ORG]),
    ],
)
def test_only_administrators_read_the_audit_view(
    reporting: ReportingService, user: str, roles: list[str], organization: str | None, assigned: list[str]
) -> None:
    s = reporting
    locked_then_unlocked(s)
    who = s.headers(user, roles, organization, assigned_organizations=assigned)
    answer = s.client.get("/audit", headers=who)
    assert_error(answer, 403, "auth.forbidden_role")
    assert "Correction" not in answer.text
    assert_error(s.client.get("/audit"), 401, "auth.missing_token")


def test_registrations_audit_shows_no_personal_data(registration: Registration) -> None:
    s = registration
    staff = s.headers("karine", ["org_staff"], "org-sherbrooke")
    person_id = register(s, staff)["person_id"]
    move = {
        "region": "03",
        "municipality": "Québec",
        "effective_from": "2026-11-15",
        "reason": "Déménagement",
    }
    assert s.client.post(f"/persons/{person_id}/address", headers=staff, json=move).status_code == 204

    answer = s.client.get("/audit", headers=s.headers("adele", ["admin"]), params={"object_id": person_id})
    assert answer.status_code == 200, answer.text
    entries = answer.json()["items"]
    assert entries[0]["event_type"] in {"AddressChanged", "EligibilityEvaluated"}
    assert {"PersonRegistered", "AddressChanged", "ConsentGiven"} <= {e["event_type"] for e in entries}
    assert {(e["stream_id"], e["actor"]) for e in entries} == {(f"person-{person_id}", "karine")}
    moved = next(e for e in entries if e["event_type"] == "AddressChanged")
    assert moved["reason"] == "Déménagement"
    assert moved["details"] == {"effective_from": "2026-11-15"}
    consent = next(e for e in entries if e["event_type"] == "ConsentGiven")
    assert consent["details"]["purpose"] in {"service_delivery", "ministry_reporting"}
    for personal in (
        AMINA["family_name"], AMINA["given_name"], AMINA["birth_date"], AMINA["email"], "Québec", "v1.", '"pii"',
        '"region"', '"sex"', '"uci_hash"',
    ):  # fmt: skip
        assert personal not in answer.text, personal
