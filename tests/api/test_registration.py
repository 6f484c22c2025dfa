"""The registration API: registering, files, changes, consents, documents, search, duplicates,
rule sets, and bad input (4xx with a code, nothing written)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_eligibility.rules import load_default_rulebook
from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import Conflict
from registration.bootstrap import build, build_app
from registration.settings import RegistrationSettings
from tests.api.conftest import NOW, Registration
from tests.api.test_http_behaviour import assert_error
from tests.databases import postgres_schema
from tests.e2e.flow import token

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
    gone = registration.client.get(f"/persons/{dormant}", headers=staff)
    assert (gone.status_code, gone.json()["details"]["erased_by"]) == (410, "admin")
    assert registration.client.get(f"/persons/{active}", headers=staff).json()["family_name"] == "Nguyen"
    assert registration.client.post("/retention/run", headers=admin).json()["erased"] == []


def test_the_retention_worker_runs_at_most_once_per_interval(
    registration: Registration, staff: dict[str, str]
) -> None:
    from datetime import timedelta

    from registration.privacy.retention import RetentionWorker

    built = registration.client.app.state.container  # type: ignore[attr-defined]
    register(registration, staff)
    db, clock, privacy = built.kernel.db, built.kernel.clock, built.privacy
    worker = RetentionWorker(db=db, clock=clock, privacy=privacy, years=7, every=timedelta(hours=24))
    second_instance = RetentionWorker(db=db, clock=clock, privacy=privacy, years=7, every=timedelta(hours=24))
    assert worker.run_once() == 0  # first run: nothing is that old
    assert second_instance.run_once() == 0  # within the interval: does not run at all
    registration.clock.advance(timedelta(days=365 * 8))
    assert worker.run_once() == 1
    registration.clock.advance(timedelta(hours=1))
    assert second_instance.run_once() == 0


# ---- file numbers, the same UCI twice, one name normalization (issue 17) ---------------------


def search_items(registration: Registration, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = registration.client.get("/persons", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_each_file_gets_a_number_shown_everywhere_and_searchable(
    registration: Registration, staff: dict[str, str]
) -> None:
    first = register(registration, staff)
    second = register(registration, staff, family_name="Nguyen", given_name="Linh", uci=None)
    assert first["file_reference"] == f"D-{first['file_number']:06d}"
    assert second["file_number"] > first["file_number"] > 0
    shown = registration.client.get(f"/persons/{first['person_id']}", headers=staff).json()
    assert (shown["file_number"], shown["file_reference"]) == (first["file_number"], first["file_reference"])
    [found] = search_items(registration, staff, file_number=first["file_reference"])
    assert (found["person_id"], found["file_reference"]) == (first["person_id"], first["file_reference"])
    [found] = search_items(registration, staff, file_number=str(second["file_number"]))
    assert found["person_id"] == second["person_id"]
    assert search_items(registration, staff, file_number="D-999999") == []
    assert search_items(registration, staff, file_number="D-000000") == []
    montreal = registration.headers("marc", ["org_staff"], MONTREAL)
    assert search_items(registration, montreal, file_number=first["file_reference"]) == []
    assert_error(
        registration.client.get("/persons", headers=staff, params={"file_number": "X-12"}),
        422,
        "invalid_field",
    )
    from tests.consumers import outbox_events

    kernel = registration.client.app.state.kernel  # type: ignore[attr-defined]
    published = {
        e.payload["person_id"]: e.payload["file_number"]
        for e in outbox_events(kernel)
        if e.type == "registration.PersonRegistered"
    }
    assert published == {first["person_id"]: first["file_number"], second["person_id"]: second["file_number"]}


def test_the_same_uci_twice_in_one_organization_is_refused_with_the_existing_file(
    registration: Registration, staff: dict[str, str], admin: dict[str, str]
) -> None:
    first = register(registration, staff)
    again = registration.client.post(
        "/persons",
        headers=staff,
        json={**AMINA, "family_name": "Tremblay", "given_name": "Julie", "uci": "12345678"},  # same UCI
    )
    body = assert_error(again, 409, "person.duplicate_uci")
    assert body["details"] == {
        "person_id": first["person_id"],
        "file_number": first["file_number"],
        "file_reference": first["file_reference"],
    }
    assert first["file_reference"] in body["message"]["fr"]
    assert total(registration, staff) == 1  # nothing written
    assert registration.client.get("/duplicates", headers=admin).json()["total"] == 0
    # Once the first file is erased, its UCI is no longer held: the person may be registered again.
    erased = registration.client.post(
        f"/persons/{first['person_id']}/erase", headers=admin, json={"reason": "Demande de la personne"}
    )
    assert erased.status_code == 204
    again = register(registration, staff)
    assert again["file_number"] > first["file_number"]
    # In another organization the same UCI is a possible duplicate, shown for review by file number.
    montreal = registration.headers("marc", ["org_staff"], MONTREAL)
    elsewhere = register(registration, montreal)
    assert elsewhere["possible_duplicate"] is True
    [pair] = registration.client.get("/duplicates", headers=admin).json()["items"]
    assert (pair["match"], pair["file_number"], pair["candidate_file_number"]) == (
        "uci",
        elsewhere["file_number"],
        again["file_number"],
    )


def test_a_name_is_found_whatever_its_punctuation(registration: Registration, staff: dict[str, str]) -> None:
    obrien = register(registration, staff, family_name="O'Brien-Tremblay", given_name="Siobhán", uci=None)
    register(
        registration, staff, family_name="Tremblay", given_name="Marc", uci=None, birth_date="1990-01-01"
    )
    for query in ("obrien", "O'Brien", "brien", "o'brien-trem", "siobhan", "OBRIEN tremb"):
        found = [p["person_id"] for p in search_items(registration, staff, name=query)]
        assert found == [obrien["person_id"]], query
    assert total(registration, staff, name="tremblay") == 2
    assert total(registration, staff, name="obrien", region="05") == 1  # the persons-table path too


def _new_person(index: int, uci: str | None) -> Any:
    from registration.persons.app import NewPerson, Pii
    from registration.persons.events import StatusPeriod
    from registration.persons.values import FrenchLevel, Sex, Status

    return NewPerson(
        pii=Pii(family_name=f"Nom{index}", given_name="Prénom", uci=uci),
        birth_date=date(1960 + index, 3, 12),
        sex=Sex.FEMALE,
        country_of_birth="SY",
        languages=(),
        french_level=FrenchLevel.NONE,
        status=StatusPeriod(status=Status.PERMANENT_RESIDENT, effective_from=date(2025, 9, 1)),
        region="05",
        consents=(),
    )


@pytest.mark.postgres
def test_concurrent_registrations_get_distinct_numbers_and_one_file_per_uci(
    postgres_url: str, tmp_path: Path
) -> None:
    """Where transactions really overlap: registrations at once in one organization never share
    a number, and of simultaneous registrations of one UCI there, one wins and the others are
    told which file holds it."""
    with postgres_schema(postgres_url) as schema:
        settings = RegistrationSettings(data_dir=tmp_path, database_url=postgres_url, db_schema=schema)
        with TestClient(build_app(build(settings, clock=FixedClock(NOW)))) as client:
            registering = client.app.state.container.registering  # type: ignore[attr-defined]
            context = CommandContext.new("karine", SHERBROOKE)
            start = threading.Barrier(8)

            def attempt(index: int, uci: str | None) -> tuple[str, Any]:
                start.wait()
                try:
                    done = registering.register(
                        _new_person(index, uci), organization_id=SHERBROOKE, context=context
                    )
                    return "registered", (done.person_id, done.file_number)
                except Conflict as conflict:
                    return conflict.code, conflict.details["person_id"]

            with ThreadPoolExecutor(max_workers=8) as pool:
                numbered = list(pool.map(lambda i: attempt(i, None), range(8)))
            numbers = [number for _, (_, number) in numbered]
            assert len(set(numbers)) == 8

            with ThreadPoolExecutor(max_workers=8) as pool:
                outcomes = list(pool.map(lambda i: attempt(10 + i, "7777-0000"), range(8)))
            [(_, (winner, _))] = [o for o in outcomes if o[0] == "registered"]
            assert (
                sorted(o for o in outcomes if o[0] != "registered") == [("person.duplicate_uci", winner)] * 7
            )


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_an_upgraded_database_numbers_old_files_and_finds_old_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, backend: str
) -> None:
    """A database from before revision 0005 — events without file numbers, name keys that kept
    punctuation as separators — is upgraded: old persons are found as new ones are, their UCI is
    held, and the file-numbering worker numbers them (and publishes the numbers)."""
    from registration.persons.file_numbers import FileNumbering
    from tests.consumers import outbox_events

    with ExitStack() as stack:
        settings = RegistrationSettings(data_dir=tmp_path, run_workers=False)
        if backend == "postgres":
            url = request.getfixturevalue("postgres_url")
            schema = stack.enter_context(postgres_schema(url))
            settings = settings.model_copy(update={"database_url": url, "db_schema": schema})
        old = _registered_before_0005(settings, monkeypatch)
        _downgrade_to_0004(settings)
        container = build(settings, clock=FixedClock(NOW))
        kernel = container.kernel
        client = stack.enter_context(TestClient(build_app(container)))  # migrates to the head again
        headers = token(client, user_id="karine", roles=["org_staff"], organization=SHERBROOKE)
        found = client.get("/persons", headers=headers, params={"name": "obrien"}).json()["items"]
        assert [(p["person_id"], p["file_number"]) for p in found] == [(old[0], None)]
        assert_error(client.post("/persons", headers=headers, json=AMINA), 409, "person.duplicate_uci")

        assert FileNumbering(db=kernel.db, writer=kernel.writer).run_once() == 2
        assert FileNumbering(db=kernel.db, writer=kernel.writer).run_once() == 0
        numbers = [client.get(f"/persons/{pid}", headers=headers).json()["file_number"] for pid in old]
        assert None not in numbers
        assert len(set(numbers)) == 2
        refused = assert_error(
            client.post("/persons", headers=headers, json=AMINA), 409, "person.duplicate_uci"
        )
        assert refused["details"]["file_number"] == numbers[0]
        published = {
            e.payload["person_id"]: e.payload
            for e in outbox_events(kernel)
            if e.type == "registration.PersonFileNumberAssigned"
        }
        assert published == {
            pid: {"person_id": pid, "organization_id": SHERBROOKE, "file_number": n}
            for pid, n in zip(old, numbers, strict=True)
        }
        new = client.post("/persons", headers=headers, json={**AMINA, "uci": None}).json()
        assert new["file_number"] > max(numbers)


def _registered_before_0005(settings: RegistrationSettings, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two persons registered, their events stored as the code before 0005 stored them."""
    from gsi_kernel.events import DomainEvent
    from registration.persons.events import PersonRegistered

    def without_number(event: DomainEvent) -> dict[str, Any]:
        return {k: v for k, v in event.model_dump(mode="json").items() if k != "file_number"}

    with (
        monkeypatch.context() as patched,
        TestClient(build_app(build(settings, clock=FixedClock(NOW)))) as client,
    ):
        patched.setattr(PersonRegistered, "to_payload", without_number)
        headers = token(client, user_id="karine", roles=["org_staff"], organization=SHERBROOKE)
        return [
            client.post("/persons", headers=headers, json={**AMINA, **changes}).json()["person_id"]
            for changes in ({"family_name": "O'Brien-Tremblay"}, {"family_name": "Roy", "uci": None})
        ]


def _downgrade_to_0004(settings: RegistrationSettings) -> None:
    """Back to revision 0004, with the name tokens that code made: one per space-separated part."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from registration.bootstrap import MIGRATIONS

    url, schema = settings.resolved_database_url, settings.resolved_schema
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes.update(database_url=url, schema=schema)
    command.downgrade(config, "0004")
    options = {"connect_args": {"options": f"-csearch_path={schema}"}} if url.startswith("postgresql") else {}
    engine = create_engine(url, **options)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM name_tokens"))
        for family in ("o brien tremblay", "roy"):
            for part in f"{family} amina".split():
                connection.execute(
                    text(
                        "INSERT INTO name_tokens SELECT :t, person_id, organization_id, family_norm, given_norm,"
                        " registered_at FROM persons WHERE family_norm = :f"
                    ),
                    {"t": part, "f": family},
                )
    engine.dispose()


def test_eligibility_is_on_today_in_montreal_unless_a_date_is_given(
    registration: Registration, staff: dict[str, str]
) -> None:
    person_id = register(registration, staff)["person_id"]
    registration.clock.set(datetime(2026, 12, 1, 3, 30, tzinfo=UTC))  # still November 30 in Montréal
    today = registration.client.get(f"/persons/{person_id}/eligibility", headers=staff)
    assert today.status_code == 200, today.text
    assert {e["on_date"] for e in today.json()} == {"2026-11-30"}
    given = registration.client.get(
        f"/persons/{person_id}/eligibility", headers=staff, params={"on": "2026-11-25"}
    )
    assert {e["on_date"] for e in given.json()} == {"2026-11-25"}


def test_eligibility_for_a_code_outside_the_catalogue_is_refused_like_its_declaration(
    registration: Registration, staff: dict[str, str]
) -> None:
    person_id = register(registration, staff)["person_id"]
    url = f"/persons/{person_id}/eligibility"
    refused = assert_error(
        registration.client.get(url, headers=staff, params={"code": "ZZZ"}), 422, "catalogue.unknown_code"
    )
    assert refused["details"]["field"] == "code"
    known = registration.client.get(url, headers=staff, params={"code": "ACC", "volet": "V1"})
    assert known.status_code == 200, known.text
    assert [e["volet"] for e in known.json()] == ["V1"]
