"""The registration API: registering, files, changes, consents, documents, search, duplicates,
rule sets, and bad input (4xx with a code, nothing written)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gsi_eligibility.rules import load_default_rulebook
from tests.api.conftest import Registration
from tests.api.test_http_behaviour import assert_error

SHERBROOKE, MONTREAL = "org-sherbrooke", "org-montreal"

AMINA: dict[str, Any] = {
    "family_name": "Haddad",
    "given_name": "Amina",
    "birth_date": "1984-03-12",
    "sex": "F",
    "country_of_birth": "SY",
    "languages": ["ar"],
    "french_level": "beginner",
    "status": {
        "status": "government_assisted_refugee",
        "effective_from": "2026-11-02",
        "admission_date": "2026-11-02",
    },
    "uci": "1234-5678",
    "email": "amina@example.org",
    "address": {
        "region": "05",
        "street": "12 rue King Ouest",
        "municipality": "Sherbrooke",
        "postal_code": "J1H 1N9",
    },
    "consents": ["service_delivery", "ministry_reporting"],
}

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def staff(registration: Registration) -> dict[str, str]:
    return registration.headers("karine", ["org_staff"], SHERBROOKE)


@pytest.fixture
def admin(registration: Registration) -> dict[str, str]:
    return registration.headers("admin", ["admin"])


def register(registration: Registration, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = registration.client.post("/persons", headers=headers, json={**AMINA, **changes})
    assert response.status_code == 201, response.text
    return dict(response.json())


def total(registration: Registration, headers: dict[str, str], **params: Any) -> int:
    response = registration.client.get("/persons", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def test_registering_evaluates_every_volet_with_reasons(
    registration: Registration, staff: dict[str, str]
) -> None:
    body = register(registration, staff)
    assert body["possible_duplicate"] is False
    by_volet = {e["volet"]: e for e in body["eligibility"]}
    assert set(by_volet) == {"V1", "V2", "V3", "V4", "V5"}
    assert by_volet["V1"]["eligible"] is True
    assert by_volet["V3"]["eligible"] is True  # government-assisted refugee
    assert by_volet["V4"]["eligible"] is False
    [failure] = [f for f in by_volet["V4"]["failures"] if f["rule"] == "E3"]
    assert failure["fr"]
    assert failure["en"]
    assert failure["fr"] != failure["en"]


def test_the_file_shows_decrypted_data_and_every_read_is_logged(
    registration: Registration, staff: dict[str, str], admin: dict[str, str]
) -> None:
    person_id = register(registration, staff)["person_id"]
    file = registration.client.get(f"/persons/{person_id}", headers=staff).json()
    assert (file["family_name"], file["given_name"], file["region"]) == ("Haddad", "Amina", "05")
    assert sorted(c["purpose"] for c in file["consents"]) == ["ministry_reporting", "service_delivery"]
    assert file["eligible_volets"] == ["V1", "V2", "V3"]
    registration.client.get(f"/persons/{person_id}", headers=admin, params={"purpose": "person_request"})
    log = registration.client.get("/access-log", headers=admin, params={"person_id": person_id}).json()
    assert [(e["actor"], e["purpose"], e["action"]) for e in log["items"]] == [
        ("admin", "person_request", "read"),
        ("karine", "service_delivery", "read"),
    ]
    assert_error(registration.client.get("/access-log", headers=staff), 403, "auth.forbidden_role")


def test_another_organization_sees_nothing_and_changes_nothing(
    registration: Registration, staff: dict[str, str]
) -> None:
    person_id = register(registration, staff)["person_id"]
    other = registration.headers("marc", ["org_staff"], MONTREAL)
    assert_error(registration.client.get(f"/persons/{person_id}", headers=other), 404, "person.not_found")
    change = {"status": "protected_person", "effective_from": "2026-11-10", "reason": "Décision reçue"}
    assert_error(
        registration.client.post(f"/persons/{person_id}/status", headers=other, json=change),
        404,
        "person.not_found",
    )
    assert total(registration, other) == 0
    file = registration.client.get(f"/persons/{person_id}", headers=staff).json()
    assert file["status"] == "government_assisted_refugee"


def test_a_reviewer_reads_only_assigned_organizations(
    registration: Registration, staff: dict[str, str]
) -> None:
    person_id = register(registration, staff)["person_id"]
    assigned = registration.headers("nadia", ["ministry_reviewer"], assigned_organizations=[SHERBROOKE])
    stranger = registration.headers("paul", ["ministry_reviewer"], assigned_organizations=[MONTREAL])
    assert registration.client.get(f"/persons/{person_id}", headers=assigned).status_code == 200
    assert_error(registration.client.get(f"/persons/{person_id}", headers=stranger), 404, "person.not_found")


def test_status_history_drives_eligibility_on_a_date(registration: Registration) -> None:
    staff = registration.headers("karine", ["org_staff"], SHERBROOKE)
    claimant = {"status": "asylum_claimant", "effective_from": "2025-01-10", "admission_date": "2025-01-10"}
    person_id = register(registration, staff, status=claimant, uci=None)["person_id"]
    change = {"status": "protected_person", "effective_from": "2026-06-01", "reason": "Décision de la CISR"}
    assert (
        registration.client.post(f"/persons/{person_id}/status", headers=staff, json=change).status_code
        == 204
    )

    def eligible(on: str, volet: str) -> bool:
        response = registration.client.get(
            f"/persons/{person_id}/eligibility", headers=staff, params={"on": on, "volet": volet}
        )
        assert response.status_code == 200, response.text
        [evaluation] = response.json()
        return bool(evaluation["eligible"])

    assert eligible("2026-05-31", "V4") is True  # still an asylum claimant then
    assert eligible("2026-06-01", "V4") is False  # protected person from that day
    assert eligible("2026-06-01", "V1") is True
    file = registration.client.get(f"/persons/{person_id}", headers=staff).json()
    assert (file["status"], file["status_since"]) == ("protected_person", "2026-06-01")


def test_address_and_consent_changes(registration: Registration, staff: dict[str, str]) -> None:
    person_id = register(registration, staff)["person_id"]
    move = {
        "region": "03",
        "municipality": "Québec",
        "effective_from": "2026-11-15",
        "reason": "Déménagement",
    }
    assert (
        registration.client.post(f"/persons/{person_id}/address", headers=staff, json=move).status_code == 204
    )
    bad = {**move, "region": "42"}
    assert_error(
        registration.client.post(f"/persons/{person_id}/address", headers=staff, json=bad),
        422,
        "person.unknown_region",
    )
    assert (
        registration.client.post(
            f"/persons/{person_id}/consents", headers=staff, json={"purpose": "research"}
        ).status_code
        == 204
    )
    withdraw = registration.client.post(
        f"/persons/{person_id}/consents/research/withdraw",
        headers=staff,
        json={"reason": "Demande de la personne"},
    )
    assert withdraw.status_code == 204
    again = registration.client.post(
        f"/persons/{person_id}/consents/research/withdraw",
        headers=staff,
        json={"reason": "Demande de la personne"},
    )
    assert_error(again, 409, "consent.not_given")
    file = registration.client.get(f"/persons/{person_id}", headers=staff).json()
    assert file["region"] == "03"
    leaves = {"region": None, "effective_from": "2026-11-18", "reason": "Départ hors Québec"}
    assert (
        registration.client.post(f"/persons/{person_id}/address", headers=staff, json=leaves).status_code
        == 204
    )
    assert (
        registration.client.get(f"/persons/{person_id}", headers=staff).json()["eligible_volets"] == []
    )  # E1
    file = registration.client.get(f"/persons/{person_id}", headers=staff).json()
    research = next(c for c in file["consents"] if c["purpose"] == "research")
    assert research["withdrawn_at"] is not None
    assert research["withdrawal_reason"] == "Demande de la personne"


def test_documents_are_checked_stored_encrypted_and_read_back(
    registration: Registration, staff: dict[str, str]
) -> None:
    person_id = register(registration, staff)["person_id"]
    url = f"/persons/{person_id}/documents"
    created = registration.client.post(
        url,
        headers=staff,
        files={"file": ("statut.pdf", PDF, "application/pdf")},
        data={"kind": "status_document"},
    )
    assert created.status_code == 201, created.text
    document_id = created.json()["document_id"]
    fetched = registration.client.get(f"{url}/{document_id}", headers=staff)
    assert fetched.status_code == 200
    assert fetched.content == PDF
    assert fetched.headers["content-type"] == "application/pdf"
    [meta] = registration.client.get(f"/persons/{person_id}", headers=staff).json()["documents"]
    import hashlib

    assert (meta["size"], meta["sha256"], meta["kind"]) == (
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
        "status_document",
    )


@pytest.mark.parametrize(
    ("content", "media_type", "status", "code"),
    [
        (b"%PDF-" + b"x" * (10 * 1024 * 1024), "application/pdf", 413, "document.too_large"),
        (b"hello, not a pdf", "application/pdf", 415, "document.unsupported_type"),
        (PDF, "application/x-msdownload", 415, "document.unsupported_type"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_stored(
    registration: Registration, staff: dict[str, str], content: bytes, media_type: str, status: int, code: str
) -> None:
    person_id = register(registration, staff)["person_id"]
    response = registration.client.post(
        f"/persons/{person_id}/documents", headers=staff, files={"file": ("f", content, media_type)}
    )
    assert_error(response, status, code)
    assert registration.client.get(f"/persons/{person_id}", headers=staff).json()["documents"] == []


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"birth_date": "2999-01-01"}, 422, "person.birth_date_in_future"),
        (
            {"status": {"status": "permanent_resident", "effective_from": "1970-01-01"}},
            422,
            "person.status_before_birth",
        ),
        ({"status": {"status": "tourist", "effective_from": "2026-01-01"}}, 422, "invalid_field"),
        ({"address": {"region": "18"}}, 422, "person.unknown_region"),
        ({"address": {"region": "Estrie"}}, 422, "invalid_field"),
        ({"family_name": ""}, 422, "invalid_field"),
        ({"email": "not-an-email"}, 422, "invalid_field"),
        ({"country_of_birth": "Syria"}, 422, "invalid_field"),
    ],
)
def test_bad_registrations_are_refused_and_write_nothing(
    registration: Registration, staff: dict[str, str], changes: dict[str, Any], status: int, code: str
) -> None:
    response = registration.client.post("/persons", headers=staff, json={**AMINA, **changes})
    assert_error(response, status, code)
    assert total(registration, staff) == 0


def test_missing_required_fields_are_named(registration: Registration, staff: dict[str, str]) -> None:
    body = {k: v for k, v in AMINA.items() if k not in ("birth_date", "status")}
    error = assert_error(registration.client.post("/persons", headers=staff, json=body), 422, "missing_field")
    assert {tuple(e["location"]) for e in error["details"]["errors"]} == {
        ("body", "birth_date"),
        ("body", "status"),
    }


def test_search_filters_and_pages(registration: Registration, staff: dict[str, str]) -> None:
    register(registration, staff)
    register(
        registration,
        staff,
        family_name="Nguyen",
        given_name="Linh",
        uci=None,
        sex="F",
        birth_date="1990-05-01",
        status={
            "status": "permanent_resident",
            "effective_from": "2024-09-01",
            "admission_date": "2024-09-01",
        },
        address={"region": "06"},
    )
    register(
        registration,
        staff,
        family_name="Nadeau",
        given_name="Élodie",
        uci=None,
        birth_date="1995-07-07",
        status={"status": "asylum_claimant", "effective_from": "2026-02-01"},
        address={"region": "05"},
    )
    assert total(registration, staff) == 3
    assert total(registration, staff, name="na") == 1  # Nadeau
    assert total(registration, staff, name="élo") == 1  # accents do not matter
    assert total(registration, staff, name="n") == 2
    assert total(registration, staff, status="permanent_resident") == 1
    assert total(registration, staff, region="05") == 2
    assert total(registration, staff, eligible_for="V3") == 1
    assert total(registration, staff, eligible_for="V4") == 1
    assert total(registration, staff, uci="1234 5678") == 1  # normalised before hashing
    assert total(registration, staff, registered_from="2026-11-20", registered_to="2026-11-20") == 3
    assert total(registration, staff, registered_from="2026-11-21") == 0
    page = registration.client.get("/persons", headers=staff, params={"limit": 2, "offset": 2}).json()
    assert (len(page["items"]), page["total"]) == (1, 3)
    assert_error(
        registration.client.get("/persons", headers=staff, params={"limit": 1000}), 422, "invalid_field"
    )


def test_a_probable_duplicate_elsewhere_is_flagged_without_leaking_and_can_be_merged(
    registration: Registration, staff: dict[str, str], admin: dict[str, str]
) -> None:
    first = register(registration, staff)["person_id"]
    montreal = registration.headers("marc", ["org_staff"], MONTREAL)
    response = registration.client.post(
        "/persons",
        headers=montreal,
        json={**AMINA, "family_name": "AMINA", "given_name": "Hadad", "uci": None},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["possible_duplicate"] is True
    assert first not in response.text
    assert SHERBROOKE not in response.text
    second = body["person_id"]
    queue = registration.client.get("/duplicates", headers=admin).json()
    [pair] = queue["items"]
    assert (pair["person_id"], pair["candidate_person_id"], pair["match"]) == (second, first, "probable")
    assert_error(registration.client.get("/duplicates", headers=montreal), 403, "auth.forbidden_role")
    merged = registration.client.post(
        f"/duplicates/{second}/{first}/merge", headers=admin, json={"reason": "Même personne"}
    )
    assert merged.status_code == 204
    assert registration.client.get("/duplicates", headers=admin).json()["total"] == 0
    assert registration.client.get(f"/persons/{second}", headers=montreal).json()["merged_into"] == first
    change = {"status": "protected_person", "effective_from": "2026-11-10", "reason": "Décision reçue"}
    assert_error(
        registration.client.post(f"/persons/{second}/status", headers=montreal, json=change),
        409,
        "person.merged",
    )


def test_the_same_uci_is_an_exact_duplicate_that_can_be_dismissed(
    registration: Registration, staff: dict[str, str], admin: dict[str, str]
) -> None:
    first = register(registration, staff)["person_id"]
    montreal = registration.headers("marc", ["org_staff"], MONTREAL)
    second = register(
        registration, montreal, family_name="Tremblay", given_name="Julie", birth_date="1991-01-01"
    )
    assert second["possible_duplicate"] is True
    [pair] = registration.client.get("/duplicates", headers=admin).json()["items"]
    assert (pair["candidate_person_id"], pair["match"]) == (first, "uci")
    dismissed = registration.client.post(
        f"/duplicates/{second['person_id']}/{first}/dismiss",
        headers=admin,
        json={"reason": "Erreur de saisie de l'IUC"},
    )
    assert dismissed.status_code == 204
    assert registration.client.get("/duplicates", headers=admin).json()["total"] == 0


def _rule_set(version: str, effective_from: str, permanent_resident_years: int) -> dict[str, Any]:
    """The shipped PASI rule set as a new version, with another permanent-resident limit (E4)."""
    document = load_default_rulebook().for_date("PASI", date(2026, 11, 20)).to_document()
    document = {**document, "version": version, "effective_from": effective_from}
    document["rules"]["E4"]["max_years"]["permanent_resident"]["years"] = permanent_resident_years
    return document


def test_publishing_a_rule_set_version_changes_evaluations_from_its_date(
    registration: Registration, staff: dict[str, str], admin: dict[str, str]
) -> None:
    """Journey 4: from April 1, 2027 the permanent-resident limit goes from 5 to 4 years."""
    resident = {
        "status": "permanent_resident",
        "effective_from": "2022-06-01",
        "admission_date": "2022-06-01",
    }
    person_id = register(registration, staff, status=resident, uci=None)["person_id"]
    document = _rule_set("2027.1", "2027-04-01", 4)
    assert_error(
        registration.client.post("/rule-sets", headers=staff, json=document), 403, "auth.forbidden_role"
    )
    published = registration.client.post("/rule-sets", headers=admin, json=document)
    assert published.status_code == 201, published.text
    assert published.json()["version"] == "2027.1"
    versions = registration.client.get("/rule-sets", headers=admin).json()
    assert [v["version"] for v in versions] == ["2020.1", "2027.1"]
    assert versions[1]["published_by"] == "admin"

    def v1(on: str) -> dict[str, Any]:
        response = registration.client.get(
            f"/persons/{person_id}/eligibility", headers=staff, params={"on": on, "volet": "V1"}
        )
        return dict(response.json()[0])

    before, after = v1("2027-03-31"), v1("2027-04-01")
    assert (before["eligible"], before["rule_set_version"]) == (True, "2020.1")
    assert (after["eligible"], after["rule_set_version"]) == (False, "2027.1")
    assert [f["rule"] for f in after["failures"]] == ["E4"]


def test_bad_rule_sets_are_refused(registration: Registration, admin: dict[str, str]) -> None:
    document = _rule_set("2027.1", "2027-04-01", 4)
    broken = registration.client.post("/rule-sets", headers=admin, json={**document, "unexpected": 1})
    assert_error(broken, 422, "ruleset.invalid")
    retroactive = registration.client.post(
        "/rule-sets", headers=admin, json=_rule_set("2026.9", "2026-01-01", 4)
    )
    assert retroactive.status_code == 409
    assert registration.client.get("/rule-sets", headers=admin).json()[-1]["version"] == "2020.1"


def test_export_holds_everything_on_the_person(
    registration: Registration, staff: dict[str, str], admin: dict[str, str]
) -> None:
    person_id = register(registration, staff)["person_id"]
    registration.client.post(
        f"/persons/{person_id}/documents", headers=staff, files={"file": ("s.pdf", PDF, "application/pdf")}
    )
    registration.client.get(f"/persons/{person_id}", headers=staff)
    assert_error(
        registration.client.get(f"/persons/{person_id}/export", headers=staff), 403, "auth.forbidden_role"
    )
    exported = registration.client.get(f"/persons/{person_id}/export", headers=admin).json()
    assert exported["format"] == "gsi.person-export.v1"
    assert exported["person"]["person_id"] == person_id
    registered = exported["history"][0]
    assert registered["type"] == "PersonRegistered"
    assert registered["actor"] == "karine"
    assert registered["data"]["pii"]["family_name"] == "Haddad"
    assert registered["data"]["pii"]["email"] == "amina@example.org"
    assert registered["data"]["pii"]["uci"] == "1234-5678"
    types = [h["type"] for h in exported["history"]]
    assert types.count("ConsentGiven") == 2
    assert "EligibilityEvaluated" in types
    assert "DocumentAttached" in types
    import base64

    [document] = exported["documents"]
    assert base64.b64decode(document["content_base64"]) == PDF
    assert [(a["actor"], a["action"]) for a in exported["access_log"]] == [
        ("karine", "read"),
        ("admin", "export"),
    ]


def test_the_retention_job_erases_persons_inactive_for_the_configured_years(
    registration: Registration, staff: dict[str, str], admin: dict[str, str]
) -> None:
    from datetime import timedelta

    dormant = register(registration, staff)["person_id"]
    registration.clock.advance(timedelta(days=365 * 6))
    active = register(
        registration, staff, family_name="Nguyen", given_name="Linh", uci=None, birth_date="1990-05-01"
    )["person_id"]
    registration.clock.advance(timedelta(days=365 * 2))  # dormant: 8 years; active: 2 years
    assert_error(registration.client.post("/retention/run", headers=staff), 403, "auth.forbidden_role")
    run = registration.client.post("/retention/run", headers=admin)
    assert run.status_code == 200, run.text
    assert run.json() == {"erased": [dormant], "years": 7}
    assert registration.client.get(f"/persons/{dormant}", headers=staff).json()["erased"] is True
    assert registration.client.get(f"/persons/{active}", headers=staff).json()["family_name"] == "Nguyen"
    assert registration.client.post("/retention/run", headers=admin).json()["erased"] == []


def test_the_retention_worker_runs_at_most_once_per_interval(
    registration: Registration, staff: dict[str, str]
) -> None:
    from datetime import timedelta

    from registration.app.retention import RetentionWorker

    state = registration.client.app.state  # type: ignore[attr-defined]
    register(registration, staff)
    worker = RetentionWorker(state.kernel, state.privacy, years=7, every=timedelta(hours=24))
    second_instance = RetentionWorker(state.kernel, state.privacy, years=7, every=timedelta(hours=24))
    assert worker.run_once() == 0  # first run: nothing is that old
    assert second_instance.run_once() == 0  # within the interval: does not run at all
    registration.clock.advance(timedelta(days=365 * 8))
    assert worker.run_once() == 1
    registration.clock.advance(timedelta(hours=1))
    assert second_instance.run_once() == 0
