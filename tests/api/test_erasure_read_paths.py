"""After an erasure (Loi 25), no read path of registration answers anything of the person but
the erasure record: every GET operation the service documents is called — found in its OpenAPI
document, so that an operation added tomorrow is walked too — as an administrator and as the
person's organization, with each filter that could name the person, and none answers a marker
of theirs (names, birth date, UCI, email, phone, street, document content)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from registration.persons.queries import AccessPurpose
from tests.api.conftest import Registration
from tests.api.test_http_behaviour import assert_error

SHERBROOKE, MONTREAL = "org-sherbrooke", "org-montreal"
HEX = "".join("ghijklmnop"[int(c)] if c.isdigit() else c for c in uuid.uuid4().hex[:12])
MARKERS = {
    "family name": f"Zqxfam{HEX}",
    "given name": f"Zqxgiv{HEX}",
    "birth date": "1931-07-29",
    "uci": "8642-1357",
    "uci, as typed": "86421357",
    "email": f"zqx.{HEX}@example.org",
    "phone": "+1 873 555 8642",
    "street": f"88 rue Zqxrue{HEX}",
    "document": f"CONFIDENTIEL-{HEX}",
}
PERSON = {
    "family_name": MARKERS["family name"],
    "given_name": MARKERS["given name"],
    "birth_date": MARKERS["birth date"],
    "sex": "F",
    "country_of_birth": "HT",
    "status": {
        "status": "permanent_resident",
        "effective_from": "2024-05-01",
        "admission_date": "2024-05-01",
    },
    "uci": MARKERS["uci"],
    "email": MARKERS["email"],
    "phone": MARKERS["phone"],
    "address": {"region": "06", "street": MARKERS["street"], "municipality": "Montréal"},
    "consents": ["service_delivery", "research"],
}
PDF = f"%PDF-1.7\n% {MARKERS['document']}\n%%EOF\n".encode()
# The values a walked operation's parameters get when they can name the person (their id, a
# prefix of their name, their UCI, region, status…), each tried alone; and the required others.
NAMING = {
    "person_id": "{person_id}",
    "object_id": "{person_id}",
    "stream_id": "person-{person_id}",
    "name": MARKERS["family name"][:7].lower(),
    "uci": MARKERS["uci"],
    "region": "06",
    "status": "citizen",
    "registered_from": "2026-01-01",
    "purpose": AccessPurpose.PERSON_REQUEST.value,
}
REQUIRED = {"on": "2026-11-20", "against": "2020.1"}


def _operations(registration: Registration) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    document = registration.client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        if "get" in operations:
            yield path, operations["get"].get("parameters", [])


def _requests(
    path: str, parameters: list[dict[str, Any]], ids: dict[str, str]
) -> Iterator[tuple[str, dict[str, str]]]:
    """The path filled with the person's objects, once without optional filters, then once per
    filter that can name them."""
    url = path
    for p in (p for p in parameters if p["in"] == "path"):
        assert p["name"] in ids, f"{path}: teach this test what fills {{{p['name']}}}"
        url = url.replace("{" + p["name"] + "}", ids[p["name"]])
    query = [p for p in parameters if p["in"] == "query"]
    required = {p["name"]: REQUIRED[p["name"]] for p in query if p.get("required")}
    yield url, required
    for p in query:
        if p["name"] in NAMING:
            yield url, {**required, p["name"]: NAMING[p["name"]].format(**ids)}


def _leaks(
    registration: Registration, callers: list[dict[str, str]], ids: dict[str, str]
) -> set[tuple[str, str]]:
    """(operation, marker) for every marker some GET answers."""
    found: set[tuple[str, str]] = set()
    for path, parameters in _operations(registration):
        for url, params in _requests(path, parameters, ids):
            for headers in callers:
                response = registration.client.get(url, headers=headers, params=params)
                assert response.status_code < 500, f"{url} {params}: {response.text}"
                answered = response.content.decode("utf-8", "replace").lower()
                found |= {(path, name) for name, marker in MARKERS.items() if marker.lower() in answered}
    return found


def test_after_an_erasure_no_read_path_answers_anything_of_the_person(registration: Registration) -> None:
    client = registration.client
    staff = registration.headers("karine", ["org_staff"], SHERBROOKE)
    admin = registration.headers("admin", ["admin"])
    person_id = client.post("/persons", headers=staff, json=PERSON).json()["person_id"]
    upload = client.post(
        f"/persons/{person_id}/documents", headers=staff, files={"file": ("p.pdf", PDF, "application/pdf")}
    )
    assert upload.status_code == 201, upload.text
    # The same UCI registered elsewhere later: an exact duplicate whose candidate is our person.
    montreal = registration.headers("marc", ["org_staff"], MONTREAL)
    other = {**PERSON, "family_name": "Tremblay", "given_name": "Julie", "birth_date": "1990-01-01"}
    other |= {"email": None, "phone": None, "address": {"region": "06"}}
    assert client.post("/persons", headers=montreal, json=other).json()["possible_duplicate"] is True
    incident = client.post(
        "/incidents",
        headers=admin,
        json={
            "personal_information": "Noms et adresses",
            "circumstances": "Courriel au mauvais destinataire",
            "occurred_on": "2026-11-02",
            "detected_on": "2026-11-04",
            "persons_concerned": 1,
            "risk_assessment": "Faible",
            "serious_injury_risk": False,
        },
    )
    assert incident.status_code == 201, incident.text
    ids = {
        "person_id": person_id,
        "document_id": upload.json()["document_id"],
        "incident_id": incident.json()["incident_id"],
        # The programme's rules hold no one's data; read anyway, as every GET is.
        "program": "PASI",
        "rule_set_version": "2020.1",
    }

    # Before: the walk sees the markers where they belong (so it would see a leak after).
    before = _leaks(registration, [admin, staff], ids)
    assert {
        ("/persons/{person_id}", "family name"),
        ("/persons", "given name"),
        ("/persons/{person_id}/export", "email"),
        ("/persons/{person_id}/export", "street"),
        ("/persons/{person_id}/documents/{document_id}", "document"),
        ("/duplicates", "family name"),
    } <= before

    erased = client.post(
        f"/persons/{person_id}/erase", headers=admin, json={"reason": "Demande de la personne"}
    )
    assert erased.status_code == 204, erased.text

    assert _leaks(registration, [admin, staff], ids) == set()

    record = {
        "person_id": person_id,
        "erased": True,
        "erased_at": "2026-11-20T15:00:00Z",
        "erased_by": "admin",
        "reason": "Demande de la personne",
    }
    assert client.get(f"/persons/{person_id}/export", headers=admin).json() == record
    for url, params in (
        (f"/persons/{person_id}", {}),
        (f"/persons/{person_id}/eligibility", REQUIRED),
        (f"/persons/{person_id}/documents/{ids['document_id']}", {}),
    ):
        assert (
            assert_error(client.get(url, headers=staff, params=params), 410, "person.erased")["details"]
            == record
        )
    change = {"status": "citizen", "effective_from": "2026-11-01", "reason": "Citoyenneté"}
    assert_error(
        client.post(f"/persons/{person_id}/status", headers=staff, json=change), 410, "person.erased"
    )
    # Erasing again changes nothing; another organization still does not learn the person exists.
    again = client.post(f"/persons/{person_id}/erase", headers=admin, json={"reason": "Encore"})
    assert again.status_code == 204
    assert client.get(f"/persons/{person_id}/export", headers=admin).json() == record
    assert_error(client.get(f"/persons/{person_id}", headers=montreal), 404, "person.not_found")
    # Listed nowhere: search, the duplicates queue.
    assert client.get("/persons", headers=staff).json()["total"] == 0
    assert client.get("/persons", headers=admin, params={"region": "06"}).json()["total"] == 1  # the other
    assert client.get("/duplicates", headers=admin).json()["total"] == 0
    # The access log keeps who read the file, when and why: nothing about the person.
    reads = client.get("/access-log", headers=admin, params={"person_id": person_id}).json()["items"]
    assert {(r["actor"], r["action"]) for r in reads} >= {("admin", "export"), ("karine", "document")}
    assert all(
        set(r) == {"person_id", "actor", "actor_organization", "roles", "purpose", "action", "at"}
        for r in reads
    )


def test_the_export_and_the_gone_answer_are_documented(registration: Registration) -> None:
    document = registration.client.get("/openapi.json").json()
    export = document["paths"]["/persons/{person_id}/export"]["get"]["responses"]["200"]
    shapes = export["content"]["application/json"]["schema"]["anyOf"]
    assert {s["$ref"].rsplit("/", 1)[-1] for s in shapes} == {"PersonExport", "ErasureRecord"}
    record = document["components"]["schemas"]["ErasureRecord"]
    assert set(record["properties"]) == {"person_id", "erased", "erased_at", "erased_by", "reason"}
    for path in ("/persons/{person_id}", "/persons/{person_id}/eligibility", "/persons/{person_id}/status"):
        operation = next(iter(document["paths"][path].values()))
        assert "410" in operation["responses"], path
