"""A person's file as the portal reads it: the status history, the whole identity (unsealed for
those entitled to the file, every read logged), and eligibility read without writing — recorded
only on an explicit POST."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import FixedClock
from gsi_kernel.runtime import Kernel
from registration.bootstrap import build, build_app
from registration.settings import RegistrationSettings
from tests.api.conftest import NOW, Registration
from tests.api.test_http_behaviour import assert_error
from tests.api.test_registration import MONTREAL, SHERBROOKE, register
from tests.databases import postgres_schema, read_everything

PROTECTED = {"status": "protected_person", "effective_from": "2026-11-15", "reason": "Décision de la CISR"}


@pytest.fixture(params=["sqlite", "postgres"])
def registration(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registration]:
    """The registration service alone, on each backend (the file is read from the stream, whose
    loading differs on PostgreSQL)."""
    clock = FixedClock(NOW)
    with ExitStack() as stack:
        settings = RegistrationSettings(data_dir=tmp_path, run_workers=False)
        if request.param == "postgres":
            url = request.getfixturevalue("postgres_url")
            schema = stack.enter_context(postgres_schema(url))
            settings = settings.model_copy(update={"database_url": url, "db_schema": schema})
        container = build(settings, clock=clock)
        yield Registration(stack.enter_context(TestClient(build_app(container))), clock, container.kernel)


def _kernel(registration: Registration) -> Kernel:
    kernel = registration.client.app.state.kernel  # type: ignore[attr-defined]
    assert isinstance(kernel, Kernel)
    return kernel


def _events(registration: Registration, person_id: str) -> list[str]:
    """The types of the person's events, oldest first."""
    kernel = _kernel(registration)
    with kernel.db.transaction() as connection:
        return [e.type for e in kernel.store.load(connection, f"person-{person_id}")]


def _total_events(registration: Registration) -> int:
    """Every event of the service, whatever its stream."""
    kernel = _kernel(registration)
    return len(read_everything(kernel.db, kernel.store, limit=100_000))


def _file(registration: Registration, person_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = registration.client.get(f"/persons/{person_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_file_shows_every_status_period_with_its_reason_and_when_it_was_recorded(
    registration: Registration,
) -> None:
    staff = registration.headers("karine", ["org_staff"], SHERBROOKE)
    person_id = register(registration, staff)["person_id"]
    registration.clock.set(datetime(2026, 11, 21, 14, 0, tzinfo=UTC))
    changed = registration.client.post(f"/persons/{person_id}/status", headers=staff, json=PROTECTED)
    assert changed.status_code == 204, changed.text

    file = _file(registration, person_id, staff)
    assert (file["status"], file["status_since"]) == ("protected_person", "2026-11-15")
    assert file["statuses"] == [
        {
            "status": "government_assisted_refugee",
            "effective_from": "2026-11-02",
            "admission_date": "2026-11-02",
            "expires_on": None,
            "reason": None,
            "recorded_at": "2026-11-20T15:00:00Z",
        },
        {
            "status": "protected_person",
            "effective_from": "2026-11-15",
            "admission_date": "2026-11-02",  # kept from the first admission
            "expires_on": None,
            "reason": "Décision de la CISR",
            "recorded_at": "2026-11-21T14:00:00Z",
        },
    ]


def test_the_file_holds_the_whole_identity_for_those_entitled_to_it_and_every_read_is_logged(
    registration: Registration,
) -> None:
    staff = registration.headers("karine", ["org_staff"], SHERBROOKE)
    reviewer = registration.headers("rita", ["ministry_reviewer"], assigned_organizations=[SHERBROOKE])
    admin = registration.headers("admin", ["admin"])
    person_id = register(registration, staff, phone="819-555-0101")["person_id"]

    file = _file(registration, person_id, staff)
    identity = {k: file[k] for k in ("languages", "french_level", "uci", "email", "phone")}
    assert identity == {
        "languages": ["ar"],
        "french_level": "beginner",
        "uci": "1234-5678",
        "email": "amina@example.org",
        "phone": "819-555-0101",
    }
    address = ("region", "street", "municipality", "postal_code")
    assert [file[k] for k in address] == ["05", "12 rue King Ouest", "Sherbrooke", "J1H 1N9"]

    # A new address replaces the old one whole: what it leaves out is gone from the file.
    move = {
        "region": "03",
        "municipality": "Québec",
        "effective_from": "2026-11-15",
        "reason": "Déménagement",
    }
    assert (
        registration.client.post(f"/persons/{person_id}/address", headers=staff, json=move).status_code == 204
    )
    moved = _file(registration, person_id, reviewer)
    assert [moved[k] for k in address] == ["03", None, "Québec", None]
    assert moved["uci"] == "1234-5678"

    # Another organization does not learn the file exists.
    montreal = registration.headers("marc", ["org_manager"], MONTREAL)
    answer = registration.client.get(f"/persons/{person_id}", headers=montreal)
    assert_error(answer, 404, "person.not_found")
    assert "amina" not in answer.text.lower()
    assert "1234-5678" not in answer.text

    reads = registration.client.get("/access-log", headers=admin, params={"person_id": person_id}).json()
    assert sorted((r["actor"], r["action"]) for r in reads["items"]) == [("karine", "read"), ("rita", "read")]


def test_reading_eligibility_writes_nothing(registration: Registration) -> None:
    staff = registration.headers("karine", ["org_staff"], SHERBROOKE)
    reviewer = registration.headers("rita", ["ministry_reviewer"], assigned_organizations=[SHERBROOKE])
    person_id = register(registration, staff)["person_id"]
    before, total = _events(registration, person_id), _total_events(registration)
    row_before = _file(registration, person_id, staff)

    for headers, params in ((staff, {}), (staff, {"on": "2026-11-25", "volet": "V1"}), (reviewer, {})):
        answer = registration.client.get(f"/persons/{person_id}/eligibility", headers=headers, params=params)
        assert answer.status_code == 200, answer.text
    assert [e["on_date"] for e in answer.json()] == ["2026-11-20"] * len(answer.json())

    assert _events(registration, person_id) == before
    assert _total_events(registration) == total
    assert _file(registration, person_id, staff)["eligibility_on"] == row_before["eligibility_on"]
    # Its checks still answer: a date before the birth is refused, and nothing is written then either.
    early = registration.client.get(
        f"/persons/{person_id}/eligibility", headers=staff, params={"on": "1980-01-01"}
    )
    assert_error(early, 422, "eligibility.date_before_birth")
    assert _total_events(registration) == total


def test_an_eligibility_check_is_recorded_on_the_file_by_its_organization(registration: Registration) -> None:
    staff = registration.headers("karine", ["org_staff"], SHERBROOKE)
    person_id = register(registration, staff)["person_id"]
    before = _events(registration, person_id)
    url = f"/persons/{person_id}/eligibility-checks"

    recorded = registration.client.post(url, headers=staff, json={"on": "2026-11-25", "volet": "V1"})
    assert recorded.status_code == 201, recorded.text
    [evaluation] = recorded.json()
    assert (evaluation["volet"], evaluation["on_date"]) == ("V1", "2026-11-25")
    assert _events(registration, person_id) == [*before, "EligibilityEvaluated"]
    assert _file(registration, person_id, staff)["eligibility_on"] == "2026-11-25"

    # Only the person's organization records on the file: another one does not learn it exists,
    # a reviewer reads (GET) but does not write; a refused check writes nothing.
    total = _total_events(registration)
    montreal = registration.headers("marc", ["org_staff"], MONTREAL)
    assert_error(registration.client.post(url, headers=montreal, json={}), 404, "person.not_found")
    reviewer = registration.headers("rita", ["ministry_reviewer"], assigned_organizations=[SHERBROOKE])
    assert_error(registration.client.post(url, headers=reviewer, json={}), 403, "auth.forbidden_role")
    unknown = registration.client.post(url, headers=staff, json={"code": "ZZZ"})
    assert_error(unknown, 422, "catalogue.unknown_code")
    assert _total_events(registration) == total
