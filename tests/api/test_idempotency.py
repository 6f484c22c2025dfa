"""``Idempotency-Key`` (issue 19, ADR 21): a request sent again with the same key runs once and
gets its first answer; another body with the same key is refused; a bad key is refused; two
requests with one key at once have one effect — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, inspect, select, update

from gsi_kernel.store import idempotency
from gsi_kernel.store.database import Database
from gsi_kernel.store.ddl import upgrade_kernel_tables_v4
from gsi_kernel.store.tables import idempotency_keys
from tests.api.conftest import InterventionsService
from tests.api.test_interventions import details, staff
from tests.consumers import outbox_events
from tests.databases import postgres_database, sqlite_database

ORG = "org-sherbrooke"
DECLARED = "interventions.InterventionDeclared"


def declared(service: InterventionsService) -> int:
    return sum(1 for e in outbox_events(service.kernel) if e.type == DECLARED)


def keyed(service: InterventionsService, key: str, user: str = "karine") -> dict[str, str]:
    return {**service.headers(user, ["org_staff"], ORG), "Idempotency-Key": key}


def send(service: InterventionsService, person: str, key: str, user: str = "karine", **overrides: Any) -> Any:
    body = {"person_id": person, **details(**overrides)}
    return service.client.post("/interventions", json=body, headers=keyed(service, key, user))


def test_the_same_key_and_body_get_the_first_answer_and_nothing_runs_again(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    first = send(interventions, person, "decl-0001")
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers

    again = send(interventions, person, "decl-0001")
    assert again.status_code == 201
    assert again.json() == first.json()  # the same intervention id: the first answer
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert declared(interventions) == 1
    listed = interventions.client.get("/interventions", headers=staff(interventions)).json()
    assert listed["total"] == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    assert send(interventions, person, "decl-0002").status_code == 201

    other = send(interventions, person, "decl-0002", duration_minutes=90)
    assert other.status_code == 422
    body = other.json()
    assert body["code"] == "request.idempotency_key_reused"
    assert "clé d'idempotence" in body["message"]["fr"]
    assert "idempotency key" in body["message"]["en"]
    assert declared(interventions) == 1


def test_a_key_is_each_callers_own(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    assert send(interventions, person, "shared-key").status_code == 201
    # Another user's same key is another key: their request runs (a second declaration).
    assert send(interventions, person, "shared-key", user="julie").status_code == 201
    assert declared(interventions) == 2


@pytest.mark.parametrize("key", ["", "a b", "x" * 201, "clé".encode(), "tab\there"])
def test_a_malformed_key_is_refused_before_anything_runs(
    interventions: InterventionsService, key: str | bytes
) -> None:
    person = interventions.register_person(ORG)
    headers: dict[str, str | bytes] = {**staff(interventions), "Idempotency-Key": key}
    answer = interventions.client.post(
        "/interventions", json={"person_id": person, **details()}, headers=headers
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "request.idempotency_key_invalid"
    assert answer.json()["message"]["fr"]
    assert answer.json()["message"]["en"]
    assert declared(interventions) == 0


def test_a_refusal_without_effect_releases_the_key(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    refused = send(interventions, person, "decl-0003", duration_minutes=0)
    assert refused.status_code == 422
    assert refused.json()["code"] != "request.idempotency_key_reused"
    # Corrected, sent again with the same key: nothing had run, so it runs now.
    accepted = send(interventions, person, "decl-0003", duration_minutes=30)
    assert accepted.status_code == 201, accepted.text
    assert declared(interventions) == 1


def test_a_key_past_its_24_hours_is_a_new_key(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    assert send(interventions, person, "decl-0004").status_code == 201
    with interventions.kernel.db.transaction() as connection:
        connection.execute(
            update(idempotency_keys).values(expires_at=idempotency.now() - timedelta(seconds=1))
        )
    again = send(interventions, person, "decl-0004")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert declared(interventions) == 2
    with interventions.kernel.db.transaction() as connection:
        assert connection.execute(select(func.count()).select_from(idempotency_keys)).scalar() == 1
        connection.execute(
            update(idempotency_keys).values(expires_at=idempotency.now() - timedelta(seconds=1))
        )
        assert idempotency.sweep(connection) == 1


def test_requests_sent_at_once_with_one_key_have_one_effect(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    headers = keyed(interventions, "decl-parallel")
    body = {"person_id": person, **details()}

    async def all_at_once() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=interventions.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gsi") as client:
            sent = [client.post("/interventions", json=body, headers=headers) for _ in range(8)]
            return await asyncio.gather(*sent)

    answers = asyncio.run(all_at_once())
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, [a.text for a in answers]
    created = {a.json()["intervention_id"] for a in answers if a.status_code == 201}
    assert len(created) == 1  # whoever answered 201 gave the one intervention
    for busy in (a for a in answers if a.status_code == 409):
        assert busy.json()["code"] == "request.idempotency_key_in_progress"
        assert busy.headers["Retry-After"] == "1"
    assert declared(interventions) == 1


def test_the_state_changing_operations_document_the_header(interventions: InterventionsService) -> None:
    spec = interventions.client.get("/openapi.json").json()
    declare_op = spec["paths"]["/interventions"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in declare_op["parameters"])
    listing = spec["paths"]["/interventions"]["get"]
    assert all(p["name"] != "Idempotency-Key" for p in listing.get("parameters", []))
    assert "503" in declare_op["responses"]


# The store itself: one reservation wins; a request whose key was taken over cannot commit.


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with ExitStack() as stack:
        if request.param == "postgres":
            yield stack.enter_context(postgres_database(request.getfixturevalue("postgres_url")))
        else:
            yield stack.enter_context(sqlite_database(tmp_path))


def reserve(db: Database, fingerprint: str = "f1") -> object:
    with db.transaction() as connection:
        return idempotency.reserve(connection, "k1", fingerprint)


def test_a_reserved_key_is_in_progress_then_replayed(database: Database) -> None:
    claim = reserve(database)
    assert isinstance(claim, idempotency.Claim)
    assert reserve(database) == "in_progress"
    assert reserve(database, "f2") == "reused"
    with database.transaction() as connection:
        token = idempotency.current().set(claim)
        try:
            idempotency.confirm_in(connection)
        finally:
            idempotency.current().reset(token)
    with database.transaction() as connection:
        idempotency.record(connection, claim, idempotency.Answer(201, [("content-type", "x/y")], b"{}"))
    assert reserve(database) == idempotency.Answer(201, [("content-type", "x/y")], b"{}")


def test_one_of_many_reservations_at_once_wins(database: Database) -> None:
    """Eight threads, eight connections (on PostgreSQL: really at once)."""
    barrier = threading.Barrier(8)

    def one() -> object:
        barrier.wait()
        return reserve(database)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: one(), range(8)))
    assert sum(isinstance(o, idempotency.Claim) for o in outcomes) == 1
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["in_progress"] * 7


def test_a_request_whose_key_was_taken_over_cannot_commit(database: Database) -> None:
    first = reserve(database)
    assert isinstance(first, idempotency.Claim)
    with database.transaction() as connection:  # its lease ran out (a request that hung)
        connection.execute(update(idempotency_keys).values(lease_until=idempotency.now()))
    second = reserve(database)
    assert isinstance(second, idempotency.Claim)
    assert second.owner != first.owner

    token = idempotency.current().set(first)
    try:
        with pytest.raises(idempotency.KeyTakenOver), database.transaction() as connection:
            connection.execute(update(idempotency_keys).values(fingerprint="f1"))  # its "effect"
    finally:
        idempotency.current().reset(token)
    token = idempotency.current().set(second)
    try:
        with database.transaction() as connection:
            idempotency.confirm_in(connection)
    finally:
        idempotency.current().reset(token)
    # A key whose request committed, then died before keeping its answer, is not run again.
    with database.transaction() as connection:
        connection.execute(update(idempotency_keys).values(lease_until=idempotency.now()))
    assert reserve(database) == "answer_lost"


def test_a_refusal_releases_and_a_success_without_a_transaction_is_kept(database: Database) -> None:
    claim = reserve(database)
    assert isinstance(claim, idempotency.Claim)
    with database.transaction() as connection:
        idempotency.record(connection, claim, idempotency.Answer(422, [], b"{}"))
    again = reserve(database)
    assert isinstance(again, idempotency.Claim)  # released: it runs again
    with database.transaction() as connection:
        idempotency.record(connection, again, idempotency.Answer(200, [], b"ok"))
    assert reserve(database) == idempotency.Answer(200, [], b"ok")


def test_kernel_tables_v4_add_the_keys_table_once(database: Database) -> None:
    """A database built before version 4 gets the table from the upgrade; a second run (or a
    database version 1 built with it) changes nothing."""
    with database.transaction() as connection:
        idempotency_keys.drop(connection)
        assert not inspect(connection).has_table("idempotency_keys")
        upgrade_kernel_tables_v4(connection)
        upgrade_kernel_tables_v4(connection)
        assert inspect(connection).has_table("idempotency_keys")
    assert isinstance(reserve(database), idempotency.Claim)
