"""Erasure (Loi 25) by crypto-shredding: after it, the person's personal data is unreadable in
the event store, in the published messages and in every read model — while the events, the
pseudonymous id and the counts stay. Run on SQLite + embedded log and PostgreSQL + Kafka."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import MetaData, create_engine, select, text

from gsi_contracts import registration as contract
from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import Bus, Record
from gsi_kernel.clock import FixedClock
from gsi_kernel.privacy.cipher import PiiCodec
from gsi_kernel.privacy.keys import KeyStore
from gsi_kernel.runtime import Kernel
from registration.bootstrap import build, build_app
from registration.settings import RegistrationSettings
from tests.e2e.flow import token

MARKERS = ("Zephyrine", "Quasimodia", "zq@example.org", "98765432", "Secrète", "CONFIDENTIEL-7731")
PDF = b"%PDF-1.7\n% CONFIDENTIEL-7731\n%%EOF\n"
PERSON = {
    "family_name": "Zephyrine",
    "given_name": "Quasimodia",
    "birth_date": "1979-02-14",
    "sex": "F",
    "country_of_birth": "HT",
    "status": {
        "status": "permanent_resident",
        "effective_from": "2024-05-01",
        "admission_date": "2024-05-01",
    },
    "uci": "9876-5432",
    "email": "zq@example.org",
    "address": {"region": "06", "street": "77 rue Secrète", "municipality": "Montréal"},
    "consents": ["service_delivery"],
}


@pytest.fixture(
    params=["embedded", pytest.param("postgres+kafka", marks=[pytest.mark.postgres, pytest.mark.kafka])]
)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, Kernel, Bus]]:
    settings: dict[str, Any] = {"data_dir": tmp_path}
    if request.param == "postgres+kafka":
        settings |= {
            "database_url": request.getfixturevalue("postgres_url"),
            "db_schema": f"erasure_{uuid.uuid4().hex[:8]}",
            "bus": "kafka",
            "kafka_bootstrap_servers": request.getfixturevalue("kafka_bootstrap"),
        }
    container = build(
        RegistrationSettings(**settings), clock=FixedClock(datetime(2026, 11, 20, 15, tzinfo=UTC))
    )
    kernel = container.kernel
    reader = (
        KafkaBus(settings["kafka_bootstrap_servers"])
        if request.param != "embedded"
        else EmbeddedBus(tmp_path / "bus.db")
    )
    with TestClient(build_app(container)) as client:
        yield client, kernel, reader
    if request.param != "embedded":  # the service has stopped: nothing else uses its schema now
        engine = create_engine(settings["database_url"])
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{settings["db_schema"]}" CASCADE'))
        engine.dispose()


def _published(bus: Bus, person_id: str, expected_types: set[str], since: dict[int, int]) -> list[Record]:
    """The person's messages on registration's topic, read from the offsets the topic had when
    the test began (``since``): the shared broker's topic also holds every earlier run's."""
    if isinstance(bus, KafkaBus):
        return _published_on_kafka(bus, person_id, expected_types, since)
    consumer = bus.consumer(f"erasure-check-{uuid.uuid4().hex[:8]}", [contract.TOPIC])
    found: list[Record] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found += [r for r in consumer.poll(0.5) if r.key == f"person-{person_id}"]
        if expected_types <= {(r.header("ce_type") or b"").decode() for r in found}:
            break
    consumer.close()
    return found


def _end_offsets(bus: Bus) -> dict[int, int]:
    if not isinstance(bus, KafkaBus):
        return {}
    consumer = KafkaConsumer(bootstrap_servers=bus._servers)
    partitions = [
        TopicPartition(contract.TOPIC, p) for p in consumer.partitions_for_topic(contract.TOPIC) or ()
    ]
    offsets = {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    consumer.close()
    return offsets


def _published_on_kafka(
    bus: KafkaBus, person_id: str, expected_types: set[str], since: dict[int, int]
) -> list[Record]:
    consumer = KafkaConsumer(bootstrap_servers=bus._servers, enable_auto_commit=False)
    partitions = [
        TopicPartition(contract.TOPIC, p) for p in consumer.partitions_for_topic(contract.TOPIC) or ()
    ]
    consumer.assign(partitions)
    for tp in partitions:
        consumer.seek(tp, since.get(tp.partition, 0))
    found: list[Record] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            found += [
                Record(r.topic, r.partition, r.offset, r.key.decode(), r.value, tuple(r.headers))
                for r in batch
                if r.key == f"person-{person_id}".encode()
            ]
        if expected_types <= {(r.header("ce_type") or b"").decode() for r in found}:
            break
    consumer.close()
    return found


def _every_row_as_text(kernel: Kernel) -> str:
    """Every row of every table of the service's database, as one text (blobs decoded loosely)."""
    metadata = MetaData()
    with kernel.db.transaction() as connection:
        metadata.reflect(connection, schema=kernel.db.schema)
        parts = []
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                parts.extend(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row)
    return "\n".join(parts)


def test_erasure_makes_personal_data_unreadable_everywhere_it_was_stored(
    service: tuple[TestClient, Kernel, Bus],
) -> None:
    client, kernel, bus = service
    staff = token(client, user_id="marc", roles=["org_staff"], organization="org-montreal")
    admin = token(client, user_id="admin", roles=["admin"])
    since = _end_offsets(bus)
    person_id = client.post("/persons", headers=staff, json=PERSON).json()["person_id"]
    upload = client.post(
        f"/persons/{person_id}/documents", headers=staff, files={"file": ("s.pdf", PDF, "application/pdf")}
    )
    document_id = upload.json()["document_id"]

    # Before: readable through the API, and the read model holds the names (the check can see them).
    assert client.get(f"/persons/{person_id}", headers=staff).json()["family_name"] == "Zephyrine"
    assert client.get(f"/persons/{person_id}/documents/{document_id}", headers=staff).content == PDF
    assert "Zephyrine" in _every_row_as_text(kernel)

    assert (
        client.post(
            f"/persons/{person_id}/erase", headers=admin, json={"reason": "Demande de la personne"}
        ).status_code
        == 204
    )

    # The event store: the events are all still there, their personal data sealed for good.
    with kernel.db.transaction() as connection:
        events = kernel.store.load(connection, f"person-{person_id}")
        fresh_process = PiiCodec(KeyStore(kernel.settings.master_key_bytes()))
        sealed = [e.payload["pii"] for e in events if "pii" in e.payload]
        assert sealed
        assert all(fresh_process.decrypt(connection, person_id, token_) is None for token_ in sealed)
    assert [e.type for e in events][-1] == "PersonErased"
    # Every table of the service's database (events, outbox, read models, documents, access log, keys).
    everything = _every_row_as_text(kernel)
    for marker in MARKERS:
        assert marker not in everything, marker
    # The published messages: never any personal data, and downstream learns of the erasure.
    messages = _published(
        bus, person_id, {contract.PersonRegistered.event_type, contract.PersonErased.event_type}, since
    )
    assert {(m.header("ce_type") or b"").decode() for m in messages} >= {
        contract.PersonRegistered.event_type,
        contract.PersonErased.event_type,
    }
    for message in messages:
        for marker in MARKERS:
            assert marker.encode() not in message.value, marker
    # Through the API: only the erasure record answers (410 Gone, or the export's document);
    # the person is listed nowhere (tests/api/test_erasure_read_paths.py walks every read).
    record = client.get(f"/persons/{person_id}/export", headers=admin).json()
    assert record == {
        "person_id": person_id,
        "erased": True,
        "erased_at": "2026-11-20T15:00:00Z",
        "erased_by": "admin",
        "reason": "Demande de la personne",
    }
    file = client.get(f"/persons/{person_id}", headers=staff)
    assert (file.status_code, file.json()["details"]) == (410, record)
    assert client.get("/persons", headers=staff).json()["total"] == 0
    assert client.get("/persons", headers=staff, params={"name": "zeph"}).json()["total"] == 0
    assert client.get(f"/persons/{person_id}/documents/{document_id}", headers=staff).status_code == 410
    # A rebuilt read model cannot bring the names back: their key is gone.
    assert kernel.projections.rebuild("registration.persons") == len(events)
    assert client.get(f"/persons/{person_id}", headers=staff).status_code == 410
    assert "Zephyrine" not in _every_row_as_text(kernel)
    # An erased person cannot be changed again.
    change = {"status": "citizen", "effective_from": "2026-11-01", "reason": "Citoyenneté"}
    assert (
        client.post(f"/persons/{person_id}/status", headers=staff, json=change).json()["code"]
        == "person.erased"
    )
