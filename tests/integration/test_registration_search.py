"""Registration's person search on SQLite and PostgreSQL: the name-token path (name alone, or
with a registration-date range) and the persons-table path must give the same, exact answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import FixedClock
from registration.bootstrap import build, build_app
from registration.settings import RegistrationSettings
from tests.databases import postgres_schema
from tests.e2e.flow import token

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
SHERBROOKE, GATINEAU = "org-sherbrooke", "org-gatineau"
# (family, given, organization, days after START): "Martin Marie" has two tokens starting "mar".
PEOPLE = [
    ("Tremblay", "Marie", SHERBROOKE, 0),
    ("Martin", "Marie", SHERBROOKE, 1),
    ("Martínez", "Carlos", GATINEAU, 2),
    ("Haddad", "Amina", SHERBROOKE, 3),
    ("Tremblay-Côté", "Marc", GATINEAU, 4),
    ("Nguyen", "Linh", GATINEAU, 5),
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, FixedClock]]:
    clock = FixedClock(START)
    if request.param == "sqlite":
        settings = RegistrationSettings(data_dir=tmp_path)
        with TestClient(build_app(build(settings, clock=clock))) as c:
            yield c, clock
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as schema:
        url = request.getfixturevalue("postgres_url")
        settings = RegistrationSettings(data_dir=tmp_path, database_url=url, db_schema=schema)
        with TestClient(build_app(build(settings, clock=clock))) as c:
            yield c, clock


@pytest.fixture
def people(client: tuple[TestClient, FixedClock]) -> TestClient:
    c, clock = client
    for family, given, organization, days in PEOPLE:
        clock.set(START + timedelta(days=days))
        body = {
            "family_name": family,
            "given_name": given,
            "birth_date": f"19{70 + days}-03-12",
            "sex": "F",
            "country_of_birth": "SY",
            "status": {"status": "permanent_resident", "effective_from": "2025-09-01"},
            "address": {"region": "05" if organization == SHERBROOKE else "07"},
            "consents": ["service_delivery"],
        }
        headers = token(c, user_id="staff", roles=["org_staff"], organization=organization)
        assert c.post("/persons", headers=headers, json=body).status_code == 201
    return c


def search(c: TestClient, organization: str | None, **params: Any) -> tuple[list[str], int]:
    roles = ["admin"] if organization is None else ["org_staff"]
    headers = token(c, user_id="reader", roles=roles, organization=organization)
    response = c.get("/persons", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return [f"{p['family_name']} {p['given_name']}" for p in body["items"]], int(body["total"])


@pytest.mark.parametrize(
    ("organization", "params", "expected"),
    [
        # A person whose two names start with the prefix is found (and counted) once.
        (None, {"name": "mar"}, ["Martin Marie", "Martínez Carlos", "Tremblay Marie", "Tremblay-Côté Marc"]),
        (SHERBROOKE, {"name": "mar"}, ["Martin Marie", "Tremblay Marie"]),
        (None, {"name": "MAR tre"}, ["Tremblay Marie", "Tremblay-Côté Marc"]),
        (None, {"name": "cote"}, ["Tremblay-Côté Marc"]),
        (
            None,
            {"name": "mar", "registered_from": "2026-11-03", "registered_to": "2026-11-04"},
            ["Martin Marie", "Martínez Carlos"],
        ),
        (GATINEAU, {"name": "mar", "registered_from": "2026-11-05"}, ["Tremblay-Côté Marc"]),
        (None, {"name": "mar", "region": "07"}, ["Martínez Carlos", "Tremblay-Côté Marc"]),  # persons path
        (None, {"name": "zzz"}, []),
    ],
)
def test_a_name_search_finds_each_person_once_in_name_order(
    people: TestClient, organization: str | None, params: dict[str, Any], expected: list[str]
) -> None:
    assert search(people, organization, **params) == (expected, len(expected))


def test_pages_of_a_name_search_follow_the_name_order_and_keep_the_exact_total(people: TestClient) -> None:
    pages = [search(people, None, name="mar", limit=3, offset=offset) for offset in (0, 3, 6)]
    assert [names for names, _ in pages] == [
        ["Martin Marie", "Martínez Carlos", "Tremblay Marie"],
        ["Tremblay-Côté Marc"],
        [],
    ]
    assert {total for _, total in pages} == {4}


def test_an_erased_person_is_no_longer_found_by_name(people: TestClient) -> None:
    admin = token(people, user_id="admin", roles=["admin"])
    [found] = people.get("/persons", headers=admin, params={"name": "haddad"}).json()["items"]
    erased = people.post(f"/persons/{found['person_id']}/erase", headers=admin, json={"reason": "Demande"})
    assert erased.status_code == 204
    assert search(people, None, name="haddad") == ([], 0)
    assert search(people, None, name="ami") == ([], 0)


def test_punctuation_and_spacing_do_not_count_on_either_path(client: tuple[TestClient, FixedClock]) -> None:
    """One normalization for search and duplicates: "obrien" finds O'Brien-Tremblay through the
    name tokens (name alone) and through the persons table (with another filter)."""
    c, _ = client
    body = {
        "family_name": "O'Brien-Tremblay",
        "given_name": "Siobhán",
        "birth_date": "1980-03-12",
        "sex": "F",
        "country_of_birth": "IE",
        "status": {"status": "permanent_resident", "effective_from": "2025-09-01"},
        "address": {"region": "05"},
    }
    headers = token(c, user_id="staff", roles=["org_staff"], organization=SHERBROOKE)
    assert c.post("/persons", headers=headers, json=body).status_code == 201
    for params in (
        {"name": "obrien"},
        {"name": "O BRIEN-trem"},
        {"name": "tremblay siob"},
        {"name": "brien", "region": "05"},
    ):
        assert search(c, SHERBROOKE, **params) == (["O'Brien-Tremblay Siobhán"], 1), params
