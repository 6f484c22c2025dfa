"""Erasure (Loi 25) leaves nothing behind on disk (ADR 19): once a person is erased — by an
administrator or by the retention job — neither their names (as registered, or normalised into
search keys) nor their wrapped key are anywhere in the database's files: not in SQLite's file,
WAL or shared memory, not in any PostgreSQL relation's pages (after a CHECKPOINT), nor in the
other files of the service's data directory. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from gsi_kernel.clock import FixedClock
from gsi_kernel.privacy.tables import subject_keys
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.purge import Purge, owe
from registration.bootstrap import build, build_app
from registration.privacy.retention import RetentionWorker
from registration.settings import RegistrationSettings
from registration.tables import ERASURE_PURGE
from tests.disk import database_files, found_on_disk
from tests.e2e.flow import token


@dataclass
class Service:
    client: TestClient
    kernel: Kernel
    clock: FixedClock
    data_dir: Path

    def headers(self, user: str, roles: list[str], organization: str | None = None) -> dict[str, str]:
        return token(self.client, user_id=user, roles=roles, organization=organization)

    def on_disk(self, needles: list[bytes]) -> dict[str, list[str]]:
        """Which needles are in the database's files or in any other file of the data directory
        (the embedded log of published messages, among others)."""
        own = {p.resolve() for p in database_files(self.kernel.db)}
        others = [p for p in self.data_dir.rglob("*") if p.is_file() and p.resolve() not in own]
        return found_on_disk(self.kernel.db, needles, extra=others)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    settings: dict[str, Any] = {"data_dir": tmp_path}
    if request.param == "postgres":
        settings |= {
            "database_url": request.getfixturevalue("postgres_url"),
            "db_schema": f"leftovers_{uuid.uuid4().hex[:8]}",
        }
    clock = FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC))
    container = build(RegistrationSettings(**settings), clock=clock)
    with TestClient(build_app(container)) as client:
        yield Service(client, container.kernel, clock, tmp_path)
    if request.param == "postgres":  # the service has stopped: nothing else uses its schema now
        engine = create_engine(settings["database_url"])
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{settings["db_schema"]}" CASCADE'))
        engine.dispose()


def _marker() -> str:
    """A name no one else has: letters only, so that no normalisation of names changes it
    beyond its case."""
    return "".join("ghijklmnop"[int(c)] if c.isdigit() else c for c in uuid.uuid4().hex)


def _register(service: Service, staff: dict[str, str], family: str, given: str) -> str:
    body = {
        "family_name": f"Zqx{family}",
        "given_name": f"Zqx{given}",
        "birth_date": "1979-02-14",
        "sex": "F",
        "country_of_birth": "HT",
        "status": {"status": "permanent_resident", "effective_from": "2024-05-01"},
        "email": f"{given}@example.org",
        "address": {"region": "06", "street": f"77 rue {family}", "municipality": "Montréal"},
        "consents": ["service_delivery"],
    }
    response = service.client.post("/persons", headers=staff, json=body)
    assert response.status_code == 201, response.text
    person_id = str(response.json()["person_id"])
    # More versions of the read-model row, each with the names: a status change, an evaluation.
    change = {"status": "citizen", "effective_from": "2026-11-01", "reason": "Citoyenneté obtenue"}
    assert service.client.post(f"/persons/{person_id}/status", headers=staff, json=change).status_code == 204
    evaluated = service.client.post(
        f"/persons/{person_id}/eligibility-checks", headers=staff, json={"on": "2026-11-20"}
    )
    assert evaluated.status_code == 201, evaluated.text
    return person_id


def _wrapped_key(kernel: Kernel, person_id: str) -> bytes:
    with kernel.db.transaction() as connection:
        key = connection.execute(
            select(subject_keys.c.wrapped_key).where(subject_keys.c.subject_id == person_id)
        ).scalar_one()
    assert isinstance(key, bytes)
    assert len(key) >= 32
    return key


def test_an_erased_person_leaves_no_byte_of_their_names_nor_their_key_on_disk(service: Service) -> None:
    staff = service.headers("marc", ["org_staff"], "org-montreal")
    admin = service.headers("admin", ["admin"])
    family, given, other = _marker(), _marker(), _marker()
    person_id = _register(service, staff, family, given)
    _register(service, staff, other, _marker())
    key = _wrapped_key(service.kernel, person_id)
    needles = [family.encode(), given.encode(), key]

    before = service.on_disk(needles)
    assert family in before, before  # the read model holds the names in clear
    assert given in before, before
    assert key.lower().decode("latin-1") in before  # and the key table the wrapped key

    erased = service.client.post(f"/persons/{person_id}/erase", headers=admin, json={"reason": "Demande"})
    assert erased.status_code == 204, erased.text

    assert service.on_disk(needles) == {}
    assert other in service.on_disk([other.encode()])  # the others' live rows are all there
    found = service.client.get("/persons", headers=staff, params={"name": f"zqx{other[:5]}"}).json()
    assert found["total"] == 1


def test_a_retention_batch_leaves_nothing_of_the_persons_it_erased(service: Service) -> None:
    staff = service.headers("marc", ["org_staff"], "org-montreal")
    admin = service.headers("admin", ["admin"])
    dormant = [(_marker(), _marker()) for _ in range(2)]
    ids = [_register(service, staff, family, given) for family, given in dormant]
    keys = [_wrapped_key(service.kernel, person_id) for person_id in ids]
    service.clock.advance(timedelta(days=365 * 6))
    active = _marker()
    _register(service, staff, active, _marker())
    service.clock.advance(timedelta(days=365 * 2))  # the dormant: 8 years; the active one: 2
    needles = [name.encode() for pair in dormant for name in pair] + keys

    run = service.client.post("/retention/run", headers=admin)
    assert run.status_code == 200, run.text
    assert sorted(run.json()["erased"]) == sorted(ids)

    assert service.on_disk(needles) == {}
    assert active in service.on_disk([active.encode()])


def test_the_retention_worker_pays_a_purge_still_owed(service: Service) -> None:
    """A purge that could not run after its erasure (a long transaction, a lock not granted, a
    crash) is paid by the worker's next pass, whatever the retention interval."""
    kernel = service.kernel
    privacy = service.client.app.state.container.privacy  # type: ignore[attr-defined]
    ledger = Purge(kernel.db, ERASURE_PURGE, [], kernel.clock)
    with kernel.db.transaction() as connection:
        owe(connection, ERASURE_PURGE, kernel.clock.now())
    assert ledger.owed()
    RetentionWorker(
        db=kernel.db, clock=kernel.clock, privacy=privacy, years=7, every=timedelta(hours=24)
    ).run_once()
    assert not ledger.owed()
