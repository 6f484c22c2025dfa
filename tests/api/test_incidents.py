"""The confidentiality-incident register (Loi 25) in registration: an administrator records an
incident with the mandatory items, corrects it, records notices and measures, closes it; every
step keeps its author and time; bad input is refused with a code and nothing is written; only
administrators may see or touch the register."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Registration
from tests.api.test_http_behaviour import assert_error

INCIDENT = {
    "personal_information": "Noms, dates de naissance et courriels de participants",
    "circumstances": "Liste envoyée par courriel au mauvais organisme partenaire",
    "occurred_on": "2026-11-02",
    "detected_on": "2026-11-04",
    "persons_concerned": 37,
    "risk_assessment": "Renseignements peu sensibles; le destinataire a détruit le fichier",
    "serious_injury_risk": False,
}


def admin(s: Registration, user: str = "adele") -> dict[str, str]:
    return s.headers(user, ["admin"])


def record(s: Registration, **changes: Any) -> dict[str, Any]:
    answer = s.client.post("/incidents", headers=admin(s), json={**INCIDENT, **changes})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def register_size(s: Registration) -> int:
    return int(s.client.get("/incidents", headers=admin(s)).json()["total"])


def test_an_incident_is_recorded_with_every_mandatory_item_and_its_author(registration: Registration) -> None:
    created = record(registration, occurred_until="2026-11-03", persons_estimated=True)
    assert {k: created[k] for k in INCIDENT} == INCIDENT
    assert (created["occurred_until"], created["persons_estimated"], created["status"]) == (
        "2026-11-03", True, "open",
    )  # fmt: skip
    assert (created["recorded_by"], created["recorded_at"][:10]) == ("adele", "2026-11-20")
    assert created["kept_until"] == "2031-11-04"  # five years after it was detected
    assert [(h["event"], h["by"]) for h in created["history"]] == [("IncidentRecorded", "adele")]
    read = registration.client.get(f"/incidents/{created['incident_id']}", headers=admin(registration))
    assert read.json() == created


def test_corrections_notices_measures_and_closing_keep_who_and_when(registration: Registration) -> None:
    s = registration
    incident_id = record(s, serious_injury_risk=True)["incident_id"]
    url = f"/incidents/{incident_id}"
    corrected = s.client.patch(
        url, headers=admin(s, "marc"), json={"persons_concerned": 41, "reason": "Recomptage des envois"}
    )
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["persons_concerned"], corrected.json()["updated_by"]) == (41, "marc")

    refused = s.client.post(f"{url}/close", headers=admin(s), json={"reason": "Dossier complet"})
    body = assert_error(refused, 409, "incident.notices_missing")
    assert body["details"]["missing"] == ["commission", "persons"]

    for recipient, day in (("commission", "2026-11-05"), ("persons", "2026-11-06")):
        sent = s.client.post(
            f"{url}/notices", headers=admin(s), json={"recipient": recipient, "sent_on": day}
        )
        assert sent.status_code == 200, sent.text
    measure = {"description": "Rappel de la procédure d'envoi", "taken_on": "2026-11-07"}
    assert s.client.post(f"{url}/measures", headers=admin(s), json=measure).status_code == 200
    closed = s.client.post(f"{url}/close", headers=admin(s, "lea"), json={"reason": "Dossier complet"}).json()

    assert (closed["commission_notified_on"], closed["persons_notified_on"]) == ("2026-11-05", "2026-11-06")
    assert [(m["description"], m["taken_on"], m["recorded_by"]) for m in closed["measures"]] == [
        ("Rappel de la procédure d'envoi", "2026-11-07", "adele")
    ]
    assert (closed["status"], closed["closed_by"], closed["closing_reason"]) == (
        "closed",
        "lea",
        "Dossier complet",
    )
    assert [(h["event"], h["by"], h["reason"]) for h in closed["history"]] == [
        ("IncidentRecorded", "adele", None),
        ("IncidentCorrected", "marc", "Recomptage des envois"),
        ("IncidentNoticeSent", "adele", None),
        ("IncidentNoticeSent", "adele", None),
        ("IncidentMeasureTaken", "adele", None),
        ("IncidentClosed", "lea", "Dossier complet"),
    ]
    after = s.client.patch(url, headers=admin(s), json={"circumstances": "Autre", "reason": "Trop tard"})
    assert_error(after, 409, "incident.closed")


def test_the_register_lists_newest_detected_first_and_filters_by_status(registration: Registration) -> None:
    s = registration
    older = record(s, occurred_on="2026-09-01", detected_on="2026-09-02")["incident_id"]
    newer = record(s)["incident_id"]
    s.client.post(f"/incidents/{older}/close", headers=admin(s), json={"reason": "Sans suite"})
    listed = s.client.get("/incidents", headers=admin(s)).json()
    assert [i["incident_id"] for i in listed["items"]] == [newer, older]
    open_only = s.client.get("/incidents?status=open", headers=admin(s)).json()
    assert [i["incident_id"] for i in open_only["items"]] == [newer]
    since = s.client.get("/incidents?detected_from=2026-10-01", headers=admin(s)).json()
    assert since["total"] == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"occurred_on": "2026-11-21", "detected_on": "2026-11-21"}, "incident.date_in_future"),
        ({"detected_on": "2027-01-01"}, "incident.date_in_future"),
        ({"occurred_on": "2026-11-05", "detected_on": "2026-11-04"}, "incident.detected_before_occurred"),
        ({"occurred_until": "2026-11-01"}, "incident.invalid_period"),
        ({"persons_concerned": -3}, "incident.negative_count"),
        ({"circumstances": ""}, "invalid_field"),
        ({"serious_injury_risk": None}, "invalid_field"),
        ({"injury": "none"}, "unknown_field"),
    ],
)
def test_bad_incidents_are_refused_with_a_code_and_nothing_is_recorded(
    registration: Registration, changes: dict[str, Any], code: str
) -> None:
    answer = registration.client.post("/incidents", headers=admin(registration), json={**INCIDENT, **changes})
    assert_error(answer, 422, code)
    assert register_size(registration) == 0


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("", {"detected_on": "2026-10-01", "reason": "Erreur de saisie"}, 422, "incident.detected_before_occurred"),
        ("", {"persons_concerned": 37, "reason": "Même valeur"}, 422, "incident.nothing_to_change"),
        ("", {"circumstances": None, "reason": "Effacer"}, 422, "incident.invalid_change"),
        ("/notices", {"recipient": "commission", "sent_on": "2026-11-03"}, 422, "incident.notice_before_detection"),
        ("/notices", {"recipient": "commission", "sent_on": "2026-12-01"}, 422, "incident.date_in_future"),
        ("/measures", {"description": "Mesure", "taken_on": "2026-11-01"}, 422, "incident.measure_before_incident"),
    ],
)  # fmt: skip
def test_bad_changes_are_refused_and_the_entry_is_unchanged(
    registration: Registration, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    s = registration
    created = record(s)
    url = f"/incidents/{created['incident_id']}{path}"
    answer = (
        s.client.patch(url, headers=admin(s), json=body)
        if not path
        else s.client.post(url, headers=admin(s), json=body)
    )
    assert_error(answer, status, code)
    assert s.client.get(f"/incidents/{created['incident_id']}", headers=admin(s)).json() == created


def test_a_second_notice_to_the_same_recipient_conflicts(registration: Registration) -> None:
    url = f"/incidents/{record(registration)['incident_id']}/notices"
    notice = {"recipient": "persons", "sent_on": "2026-11-10"}
    assert registration.client.post(url, headers=admin(registration), json=notice).status_code == 200
    again = registration.client.post(url, headers=admin(registration), json=notice)
    assert_error(again, 409, "incident.notice_already_recorded")


def test_an_unknown_incident_is_not_found(registration: Registration) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert_error(
        registration.client.get(f"/incidents/{missing}", headers=admin(registration)),
        404,
        "incident.not_found",
    )
    closing = registration.client.post(
        f"/incidents/{missing}/close", headers=admin(registration), json={"reason": "Rien"}
    )
    assert_error(closing, 404, "incident.not_found")


@pytest.mark.parametrize(
    ("roles", "organization", "assigned"),
    [
        (["org_staff"], "org-sherbrooke", []),
        (["org_manager"], "org-sherbrooke", []),
        (["ministry_reviewer"], None, ["org-sherbrooke"]),
    ],
)
def test_only_administrators_see_or_touch_the_register(
    registration: Registration, roles: list[str], organization: str | None, assigned: list[str]
) -> None:
    s = registration
    incident_id = record(s)["incident_id"]
    who = s.headers("someone", roles, organization, assigned_organizations=assigned)
    for method, path, body in (
        ("GET", "/incidents", None),
        ("GET", f"/incidents/{incident_id}", None),
        ("POST", "/incidents", INCIDENT),
        ("PATCH", f"/incidents/{incident_id}", {"persons_concerned": 1, "reason": "Tentative"}),
        ("POST", f"/incidents/{incident_id}/close", {"reason": "Tentative"}),
    ):
        answer = s.client.request(method, path, headers=who, json=body)
        assert_error(answer, 403, "auth.forbidden_role")
        assert "Noms, dates" not in answer.text
    assert register_size(s) == 1
    assert s.client.get(f"/incidents/{incident_id}", headers=admin(s)).json()["persons_concerned"] == 37
