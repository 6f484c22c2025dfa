"""One read-your-writes rule in every service (ADR 28), on PostgreSQL: a command's read models
are written in its own transaction. Its result reads back at once with no catch-up running (the
background workers are off), every event it stored is marked projected, and a read model that
cannot take the events fails the command, which then leaves nothing behind: no event, no row."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Table, func, select

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.runtime import Kernel
from gsi_kernel.settings import ServiceSettings
from interventions.bootstrap import build as build_interventions
from interventions.bootstrap import build_app as build_interventions_app
from interventions.settings import InterventionsSettings
from interventions.tables import interventions
from notifications.bootstrap import build as build_notifications
from notifications.bootstrap import build_app as build_notifications_app
from notifications.settings import NotificationsSettings
from notifications.workflow.tables import ministry_contacts
from registration.bootstrap import build as build_registration
from registration.bootstrap import build_app as build_registration_app
from registration.settings import RegistrationSettings
from registration.tables import persons
from reporting.bootstrap import build as build_reporting
from reporting.bootstrap import build_app as build_reporting_app
from reporting.registry_projection import organizations
from reporting.settings import ReportingSettings
from tests.api.conftest import NOW, ServiceUnderTest
from tests.api.test_interventions import details
from tests.api.test_registration import AMINA
from tests.databases import postgres_schema

pytestmark = pytest.mark.postgres
ORG = "org-sherbrooke"


@dataclass(frozen=True)
class Service:
    settings: type[ServiceSettings]
    build: Callable[..., Any]
    build_app: Callable[[Any], FastAPI]
    # The command (its answer), then the read of its result right after it.
    command: Callable[[ServiceUnderTest], httpx.Response]
    read: Callable[[ServiceUnderTest, httpx.Response], httpx.Response]
    read_model: Table  # where the command writes a row


def _register(s: ServiceUnderTest) -> httpx.Response:
    return s.client.post("/persons", headers=s.headers("karine", ["org_staff"], ORG), json=AMINA)


def _read_person(s: ServiceUnderTest, answer: httpx.Response) -> httpx.Response:
    return s.client.get(
        f"/persons/{answer.json()['person_id']}", headers=s.headers("karine", ["org_staff"], ORG)
    )


def _declare(s: ServiceUnderTest) -> httpx.Response:
    person = "6f1c2a52-0000-4000-8000-000000000001"
    s.register_person(ORG, person_id=person)  # a consumed event: projected in the consumer's transaction
    return s.client.post(
        "/interventions",
        headers=s.headers("karine", ["org_staff"], ORG),
        json={"person_id": person, **details()},
    )


def _read_intervention(s: ServiceUnderTest, answer: httpx.Response) -> httpx.Response:
    staff = s.headers("karine", ["org_staff"], ORG)
    return s.client.get(f"/interventions/{answer.json()['intervention_id']}", headers=staff)


def _register_organization(s: ServiceUnderTest) -> httpx.Response:
    body = {"organization_id": ORG, "name": "Organisme de Sherbrooke", "regions": ["05"]}
    return s.client.post("/organizations", headers=s.headers("admin", ["admin"]), json=body)


def _read_organization(s: ServiceUnderTest, _answer: httpx.Response) -> httpx.Response:
    return s.client.get(f"/organizations/{ORG}", headers=s.headers("admin", ["admin"]))


def _set_contact(s: ServiceUnderTest) -> httpx.Response:
    body = {"email": "julien.tremblay@mifi.gouv.qc.ca", "name": "Julien Tremblay", "language": "fr"}
    return s.client.put("/ministry-contacts/julien", headers=s.headers("admin", ["admin"]), json=body)


def _read_contact(s: ServiceUnderTest, _answer: httpx.Response) -> httpx.Response:
    return s.client.get("/ministry-contacts/julien", headers=s.headers("admin", ["admin"]))


SERVICES = {
    "registration": Service(
        RegistrationSettings, build_registration, build_registration_app, _register, _read_person, persons
    ),
    "interventions": Service(
        InterventionsSettings,
        build_interventions,
        build_interventions_app,
        _declare,
        _read_intervention,
        interventions,
    ),
    "reporting": Service(
        ReportingSettings,
        build_reporting,
        build_reporting_app,
        _register_organization,
        _read_organization,
        organizations,
    ),
    "notifications": Service(
        NotificationsSettings,
        build_notifications,
        build_notifications_app,
        _set_contact,
        _read_contact,
        ministry_contacts,
    ),
}


@contextmanager
def _on_postgres(service: Service, url: str, tmp_path: Path) -> Iterator[ServiceUnderTest]:
    """The service on a schema of its own, its background workers (the catch-up among them) off."""
    clock = FixedClock(NOW)
    with postgres_schema(url) as schema:
        settings = service.settings(data_dir=tmp_path, database_url=url, db_schema=schema, run_workers=False)
        container = service.build(settings, clock=clock)
        try:
            app = service.build_app(container)
            with TestClient(app, raise_server_exceptions=False) as client:
                yield ServiceUnderTest(client, clock, container.kernel)
        finally:
            container.kernel.db.dispose()


def _stored(kernel: Kernel) -> list[EventEnvelope]:
    with kernel.db.transaction() as connection:
        return kernel.store.read_all(connection, limit=100_000, settled=True)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_commands_result_reads_back_at_once(name: str, postgres_url: str, tmp_path: Path) -> None:
    service = SERVICES[name]
    with _on_postgres(service, postgres_url, tmp_path) as s:
        answer = service.command(s)
        assert answer.status_code in (200, 201), answer.text
        read = service.read(s, answer)
        assert read.status_code == 200, read.text
        stored = _stored(s.kernel)
        assert stored, "the command stored its events"
        assert all(e.projected for e in stored)  # nothing was left to a catch-up


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_read_model_that_fails_fails_the_command_which_leaves_nothing(
    name: str, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = SERVICES[name]
    with _on_postgres(service, postgres_url, tmp_path) as s:
        if name == "interventions":
            s.register_person(ORG, person_id="6f1c2a52-0000-4000-8000-000000000001")
        before = _stored(s.kernel)

        def broken(_connection: Connection, _batch: Sequence[EventEnvelope]) -> None:
            raise RuntimeError("this read model cannot take the events")

        for projection in s.kernel.wiring.projections:
            monkeypatch.setattr(projection, "apply_batch", broken)
        answer = service.command(s)
        assert answer.status_code == 500, answer.text
        monkeypatch.undo()
        assert _stored(s.kernel) == before  # no event of the command
        with s.kernel.db.transaction() as connection:  # and no row of its read model
            assert connection.execute(select(func.count()).select_from(service.read_model)).scalar_one() == 0
