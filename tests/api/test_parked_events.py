"""Issue 17, the incident: a person registered with U+0000 in a name reached registration's store;
PostgreSQL could not write it to the persons read model, the projection stopped, every later
person was "not found", ``/ready`` turned 503 quoting the database's error, and the service did
not start again. Now (ADR 6, "Parking"): the event is parked, the service starts and goes on,
``/ready`` answers 200 and counts it, and an administrator sees it — without its personal data —
and retries or skips it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import CommandContext
from registration.bootstrap import build, build_app
from registration.container import Container
from registration.persons import events as ev
from registration.persons.values import FrenchLevel, Sex, Status
from registration.settings import RegistrationSettings
from tests.api.conftest import NOW, Registration
from tests.api.test_http_behaviour import assert_error
from tests.api.test_registration import AMINA
from tests.databases import postgres_schema
from tests.e2e.flow import token

SHERBROOKE = "org-sherbrooke"
FAMILY, GIVEN = "Trem\x00blay", "Josée"  # what the poison event carries, sealed
PERSONS = "registration.persons"


@dataclass
class Deployment:
    """Registration on one PostgreSQL schema, started and stopped as a process would be."""

    settings: RegistrationSettings
    clock: FixedClock

    @contextmanager
    def running(self) -> Iterator[TestClient]:
        container = build(self.settings, clock=self.clock)
        with TestClient(build_app(container)) as client:  # the lifespan: Kernel.start
            yield client

    def stopped(self) -> Container:
        return build(self.settings, clock=self.clock)


@pytest.fixture
def deployment(postgres_url: str, tmp_path: Path) -> Iterator[Deployment]:
    with postgres_schema(postgres_url) as schema:
        settings = RegistrationSettings(data_dir=tmp_path, database_url=postgres_url, db_schema=schema)
        yield Deployment(settings, FixedClock(NOW))


def _append_poison(container: Container) -> str:
    """A registration as it reached the store before the edge refused such text: straight into
    the event store, its names sealed as registering seals them."""
    kernel, vault = container.kernel, container.vault
    person_id = str(uuid.uuid4())
    with kernel.db.transaction() as c:
        sealed = vault.seal(c, person_id, {"family_name": FAMILY, "given_name": GIVEN}, new=True)
        registered = ev.PersonRegistered(
            person_id=person_id,
            organization_id=SHERBROOKE,
            birth_date=date(1979, 7, 23),
            sex=Sex.FEMALE,
            country_of_birth="HT",
            languages=("fr",),
            french_level=FrenchLevel.NATIVE,
            status=ev.StatusPeriod(status=Status.PERMANENT_RESIDENT, effective_from=date(2025, 6, 1)),
            region="05",
            uci_hash=None,
            pii=sealed,
        )
        kernel.store.append(
            c, f"person-{person_id}", 0, [registered], CommandContext.new("karine", SHERBROOKE)
        )
    kernel.db.dispose()
    return person_id


def _register(client: TestClient, headers: dict[str, str], **changes: Any) -> str:
    response = client.post("/persons", headers=headers, json={**AMINA, **changes})
    assert response.status_code == 201, response.text
    return str(response.json()["person_id"])


def _staff(client: TestClient) -> dict[str, str]:
    return token(client, user_id="karine", roles=["org_staff"], organization=SHERBROOKE)


def _admin(client: TestClient) -> dict[str, str]:
    return token(client, user_id="adele", roles=["admin"])


def _ready(client: TestClient) -> dict[str, Any]:
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    body = dict(response.json())
    assert body["status"] == "ok"
    return body


@pytest.mark.postgres
def test_a_poison_registration_in_the_store_stops_nothing_and_shows_no_personal_data(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    with deployment.running() as client:
        before = _register(client, _staff(client))
    poisoned = _append_poison(deployment.stopped())  # in the store while the service is down

    with caplog.at_level(logging.INFO), deployment.running() as client:  # it starts
        staff, admin = _staff(client), _admin(client)
        after = _register(client, staff, family_name="Côté", given_name="Léa", uci="8765-4321")
        for person_id in (before, after):  # later persons are found
            assert client.get(f"/persons/{person_id}", headers=staff).status_code == 200
        assert client.get(f"/persons/{poisoned}", headers=staff).status_code == 404  # parked

        ready = _ready(client)
        assert ready["parked_events"][PERSONS] == 1
        assert ready["checks"]["database"] == "ok"

        listed = client.get("/admin/parked-events", headers=admin)
        assert listed.status_code == 200, listed.text
        [parked] = listed.json()["items"]
        assert (parked["projection"], parked["event_type"], parked["stream_id"]) == (
            PERSONS,
            "PersonRegistered",
            f"person-{poisoned}",
        )
        assert parked["error"].startswith(
            "DataError: psycopg.errors.UntranslatableCharacter [SQLSTATE 22P05]"
        )
        assert parked["resolved_at"] is None
        for personal in ("Trem", "blay", GIVEN, "1979", "HT"):
            assert personal not in listed.text

        assert_error(client.get("/admin/parked-events", headers=staff), 403, "auth.forbidden_role")
        # Retried before its cause is fixed: it still fails, and stays parked with its error.
        body = assert_error(
            client.post(f"/admin/parked-events/{parked['id']}/retry", headers=admin),
            409,
            "parked_event.still_failing",
        )
        assert body["details"]["error"].startswith("DataError")
        assert "Trem" not in str(body)
    assert "Trem" not in caplog.text
    assert GIVEN not in caplog.text
    assert f"parked event {parked['event_id']} (PersonRegistered)" in caplog.text

    with deployment.running() as client:  # and again: it starts over it
        admin = _admin(client)
        assert _ready(client)["parked_events"][PERSONS] == 1
        skipped = client.post(
            f"/admin/parked-events/{parked['id']}/skip",
            headers=admin,
            json={"reason": "Nom illisible saisi avant le correctif ; personne réinscrite"},
        )
        assert skipped.status_code == 200, skipped.text
        assert skipped.json()["resolution"] == "skipped"
        assert skipped.json()["resolved_by"] == "adele"
        assert _ready(client)["parked_events"][PERSONS] == 0
        again = client.post(f"/admin/parked-events/{parked['id']}/skip", headers=admin, json={"reason": "x"})
        assert_error(again, 409, "parked_event.resolved")


def test_the_parked_events_routes_are_for_administrators_with_bilingual_errors(
    registration: Registration,
) -> None:
    """On SQLite, with nothing parked: the list is empty, an unknown number is a 404, a reason
    is required and printable, and only administrators may call them."""
    client, admin = registration.client, registration.headers("adele", ["admin"])
    listed = client.get("/admin/parked-events", headers=admin)
    assert listed.json() == {"items": [], "total": 0, "offset": 0, "limit": 50}
    assert_error(client.post("/admin/parked-events/7/retry", headers=admin), 404, "parked_event.not_found")
    skip = "/admin/parked-events/7/skip"
    assert_error(client.post(skip, headers=admin, json={"reason": "ok"}), 404, "parked_event.not_found")
    assert_error(client.post(skip, headers=admin, json={}), 422, "missing_field")
    assert client.post(skip, headers=admin, json={"reason": "a\x00b"}).status_code == 422
    staff = registration.headers("karine", ["org_staff"], SHERBROOKE)
    assert_error(client.post(skip, headers=staff, json={"reason": "ok"}), 403, "auth.forbidden_role")
    assert_error(client.get("/admin/parked-events"), 401, "auth.missing_token")
    assert registration.client.get("/ready").json()["parked_events"] == {
        "registration.persons": 0,
        "registration.rule_sets": 0,
        "registration.incidents": 0,
    }
