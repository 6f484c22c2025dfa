from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_contracts import interventions as interventions_contract
from gsi_contracts import registration as registration_contract
from gsi_contracts import reporting as reporting_contract
from gsi_kernel.clock import FixedClock
from gsi_kernel.events import DomainEvent
from gsi_kernel.runtime import Kernel
from interventions.bootstrap import build as build_interventions
from interventions.bootstrap import build_app as build_interventions_app
from interventions.settings import InterventionsSettings
from notifications.bootstrap import build as build_notifications
from notifications.bootstrap import build_app as build_notifications_app
from notifications.bootstrap import scheduler
from notifications.settings import NotificationsSettings
from registration.bootstrap import build, build_app
from registration.settings import RegistrationSettings
from reporting.bootstrap import build as build_reporting
from reporting.bootstrap import build_app as build_reporting_app
from reporting.settings import ReportingSettings
from tests.consumers import deliver, published
from tests.databases import postgres_schema
from tests.e2e.flow import token

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@dataclass
class ServiceUnderTest:
    """A service alone, in this process, on a clock the test moves; other services' published
    events are fed to it through its own consumer handlers."""

    client: TestClient
    clock: FixedClock
    kernel: Kernel

    def headers(
        self, user: str, roles: list[str], organization: str | None = None, **claims: Any
    ) -> dict[str, str]:
        """A token for ``user``. A reviewer's ``assigned_organizations`` are not a claim the
        services believe (ADR 23): they are assigned in the service's registry first."""
        if "ministry_reviewer" in roles:
            for assigned in claims.get("assigned_organizations", ()):
                self.assign_reviewer(user, assigned)
        return token(self.client, user_id=user, roles=roles, organization=organization, **claims)

    def assign_reviewer(self, reviewer: str, organization: str) -> None:
        """As reporting publishes an assignment (a service that follows them)."""
        self.receive(reporting_contract.ReviewerAssigned(organization_id=organization, reviewer_id=reviewer))

    def unassign_reviewer(self, reviewer: str, organization: str) -> None:
        self.receive(
            reporting_contract.ReviewerUnassigned(organization_id=organization, reviewer_id=reviewer)
        )

    def receive(self, event: DomainEvent, *, occurred_at: datetime | None = None) -> None:
        """Hand one published event (a ``gsi_contracts`` model) to the service's consumers."""
        assert deliver(self.kernel, published(event, occurred_at=occurred_at or self.clock.now()))

    def register_person(
        self,
        organization: str,
        *,
        person_id: str | None = None,
        birth_date: date = date(1985, 3, 2),
        status: str = "permanent_resident",
        status_since: date = date(2025, 6, 1),
        region: str | None = "05",
        registered_at: datetime = datetime(2025, 9, 2, 14, 0, tzinfo=UTC),
    ) -> str:
        """Make a person known to the service as registered by ``organization``; return the id."""
        person_id = person_id or str(uuid.uuid4())
        self.receive(
            registration_contract.PersonRegistered(
                person_id=person_id,
                organization_id=organization,
                birth_date=birth_date,
                status=status,
                status_since=status_since,
                region=region,
                admission_date=status_since,
            ),
            occurred_at=registered_at,
        )
        return person_id


class Registration(ServiceUnderTest):
    """The registration service: reviewer assignments come as reporting's published events."""


@pytest.fixture
def registration(tmp_path: Path) -> Iterator[Registration]:
    """The registration service alone, in this process, on a clock the test moves."""
    clock = FixedClock(NOW)
    container = build(RegistrationSettings(data_dir=tmp_path), clock=clock)
    with TestClient(build_app(container)) as client:
        yield Registration(client, clock, container.kernel)


class InterventionsService(ServiceUnderTest):
    """The interventions service: persons come as registration's published events."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def interventions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InterventionsService]:
    """The interventions service alone, in this process, on a clock the test moves: on SQLite
    and on PostgreSQL (its read models are written inline, ADR 16, by statements of their own
    on each)."""
    clock = FixedClock(NOW)
    with ExitStack() as stack:
        settings = InterventionsSettings(data_dir=tmp_path)
        if request.param == "postgres":
            url = request.getfixturevalue("postgres_url")
            schema = stack.enter_context(postgres_schema(url))
            settings = InterventionsSettings(data_dir=tmp_path, database_url=url, db_schema=schema)
        container = build_interventions(settings, clock=clock)
        with TestClient(build_interventions_app(container)) as client:
            yield InterventionsService(client, clock, container.kernel)
        container.kernel.db.dispose()


class ReportingService(ServiceUnderTest):
    """The reporting service alone, in this process; persons and interventions are fed to it as
    registration's and interventions' published events would be, through its consumer handlers."""

    def assign_reviewer(self, reviewer: str, organization: str) -> None:
        """Through reporting's own registry: the organization (registered if unknown), then the
        assignment, as an admin."""
        admin = token(self.client, user_id="admin", roles=["admin"])
        body = {"organization_id": organization, "name": f"Organisme {organization}", "regions": ["05"]}
        registered = self.client.post("/organizations", headers=admin, json=body)
        assert registered.status_code in (201, 409), registered.text
        assigned = self.client.put(f"/organizations/{organization}/reviewers/{reviewer}", headers=admin)
        assert assigned.status_code == 204, assigned.text

    def unassign_reviewer(self, reviewer: str, organization: str) -> None:
        admin = token(self.client, user_id="admin", roles=["admin"])
        removed = self.client.delete(f"/organizations/{organization}/reviewers/{reviewer}", headers=admin)
        assert removed.status_code == 204, removed.text

    def cover(
        self,
        *organizations: str,
        starts_on: date = date(2026, 4, 1),
        ends_on: date = date(2029, 3, 31),
        volets: tuple[str, ...] = ("V1", "V2", "V3", "V4", "V5"),
    ) -> None:
        """Register each organization (unless it is known) and record, as an admin, a PASI
        agreement with ``volets`` from ``starts_on`` to ``ends_on``: its quarters then owe a
        report, which may be submitted once each quarter has ended (with every volet, the
        agreement changes no check's outcome)."""
        admin = self.headers("admin", ["admin"])
        for organization in organizations:
            body = {"organization_id": organization, "name": f"Organisme {organization}", "regions": ["05"]}
            registered = self.client.post("/organizations", headers=admin, json=body)
            assert registered.status_code in (201, 409), registered.text
            agreement = {
                "organization_id": organization, "program": "PASI", "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(), "volets": list(volets),
            }  # fmt: skip
            recorded = self.client.post("/agreements", headers=admin, json=agreement)
            assert recorded.status_code == 201, recorded.text

    def declare(
        self,
        organization: str,
        person_id: str,
        *,
        intervention_id: str | None = None,
        version: int = 1,
        **fields: Any,
    ) -> str:
        """An intervention as interventions publishes it (``version`` > 1: a correction)."""
        intervention_id = intervention_id or str(uuid.uuid4())
        values: dict[str, Any] = {
            "intervention_id": intervention_id,
            "person_id": person_id,
            "organization_id": organization,
            "code": "ACC",
            "service_date": date(2026, 8, 10),
            "volet": "V1",
            "duration_minutes": 45,
            "staff_member": "karine",
            "version": version,
            **fields,
        }
        if version == 1:
            self.receive(interventions_contract.InterventionDeclared(**values))
        else:
            self.receive(interventions_contract.InterventionCorrected(reason="Correction", **values))
        return intervention_id


@pytest.fixture
def reporting(tmp_path: Path) -> Iterator[ReportingService]:
    """The reporting service alone, in this process, on a clock the test moves."""
    clock = FixedClock(NOW)
    container = build_reporting(ReportingSettings(data_dir=tmp_path), clock=clock)
    with TestClient(build_reporting_app(container)) as client:
        yield ReportingService(client, clock, container.kernel)


@dataclass
class NotificationsService(ServiceUnderTest):
    """The notifications service alone, in this process, its workers not running: the test ticks
    the scheduler itself, on a clock it moves."""

    def tick(self, holder: str = "scheduler-test") -> int:
        """One scheduler tick at the clock's time; how many reminders it recorded."""
        return scheduler(self.kernel, lease_seconds=120, holder=holder).run_once()


@pytest.fixture
def notifications(tmp_path: Path) -> Iterator[NotificationsService]:
    clock = FixedClock(NOW)
    settings = NotificationsSettings(data_dir=tmp_path, run_workers=False)
    container = build_notifications(settings, clock=clock)
    with TestClient(build_notifications_app(container)) as client:
        yield NotificationsService(client, clock, container.kernel)
