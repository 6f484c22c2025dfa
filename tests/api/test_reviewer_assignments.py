"""A reviewer's organizations come from reporting's registry, on every service, at once (ADR 23):
an administrator assigns a reviewer in reporting, and with the very token they had, the reviewer
reads the organization's persons (registration), interventions (interventions), report
(reporting) and notices (notifications); the assignment removed, each service refuses them
again. The token's ``assigned_orgs`` claim counts for nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from gsi_contracts import reporting
from gsi_kernel.clock import FixedClock
from gsi_kernel.fiscal import FiscalQuarter
from tests.api.conftest import NotificationsService
from tests.e2e.flow import Services, cover, eventually, token
from tests.in_process import embedded_services, services_on_postgres
from tests.people import refugee

ORG, OTHER = "org-registre-a", "org-registre-b"
REVIEWER = "rita@mifi"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
SERVED_ON = NOW.date()
QUARTER = FiscalQuarter.of(SERVED_ON)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    """The four services in this process, their workers relaying and consuming events: on
    SQLite, and on PostgreSQL (each in its own schema, dropped afterwards)."""
    clock = FixedClock(NOW)
    if request.param == "sqlite":
        with embedded_services(tmp_path, clock) as four:
            yield four
        return
    url = request.getfixturevalue("postgres_url")
    prefix = f"ra_{uuid.uuid4().hex[:10]}"
    with ExitStack() as stack:
        stack.callback(_drop_schemas, url, prefix)
        yield stack.enter_context(services_on_postgres(tmp_path, url, prefix, clock))


def _drop_schemas(url: str, prefix: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for service in ("registration", "interventions", "reporting", "notifications"):
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{prefix}_{service}" CASCADE'))
    engine.dispose()


def _organization_data(services: Services) -> dict[str, str]:
    """ORG with an agreement, a person and an intervention; OTHER registered too. The URL of
    ORG's data on reporting, registration and interventions, by service."""
    cover(services, ORG)
    admin = token(services.registration, user_id="admin", roles=["admin"])
    body = {"organization_id": OTHER, "name": "Autre organisme", "regions": ["05"]}
    assert services.reporting.post("/organizations", headers=admin, json=body).status_code == 201
    staff = token(services.registration, user_id="karine", roles=["org_staff"], organization=ORG)
    registered = services.registration.post("/persons", headers=staff, json=refugee())
    assert registered.status_code == 201, registered.text
    person_id = registered.json()["person_id"]
    declaration = {
        "person_id": person_id, "code": "ACC", "service_date": SERVED_ON.isoformat(),
        "duration_minutes": 30, "mode": "in_person", "volet": "V1", "staff_member": "karine",
    }  # fmt: skip

    def declared() -> Any:
        answer = services.interventions.post("/interventions", headers=staff, json=declaration)
        return answer.json()["intervention_id"] if answer.status_code == 201 else None

    intervention_id = eventually(declared, what="interventions learns of the person")
    report = f"/reports/{ORG}/{QUARTER}"
    manager = token(services.registration, user_id="sophie", roles=["org_manager"], organization=ORG)
    eventually(lambda: services.reporting.get(report, headers=manager).status_code == 200, what="report")
    return {
        "registration": f"/persons/{person_id}",
        "interventions": f"/interventions/{intervention_id}",
        "reporting": report,
    }


def _answers(services: Services, urls: dict[str, str], headers: dict[str, str]) -> dict[str, int]:
    return {name: getattr(services, name).get(url, headers=headers).status_code for name, url in urls.items()}


def _reviewers(services: Services, method: str, path: str) -> None:
    admin = token(services.registration, user_id="admin", roles=["admin"])
    answer = services.reporting.request(method, path, headers=admin)  # type: ignore[attr-defined]
    assert answer.status_code == 204, answer.text


def test_an_assignment_and_its_removal_count_at_once_on_every_service_without_a_new_token(
    services: Services,
) -> None:
    urls = _organization_data(services)
    # One token for the whole test; it even claims ORG, as an identity provider might: ignored.
    reviewer = token(
        services.registration, user_id=REVIEWER, roles=["ministry_reviewer"], assigned_organizations=[ORG]
    )
    refused = dict.fromkeys(urls, 404)
    readable = dict.fromkeys(urls, 200)
    assert _answers(services, urls, reviewer) == refused

    _reviewers(services, "PUT", f"/organizations/{ORG}/reviewers/{REVIEWER}")
    # Reporting decides from its own registry, in the assigning transaction; the others as soon
    # as they take in its ReviewerAssigned.
    assert services.reporting.get(urls["reporting"], headers=reviewer).status_code == 200
    eventually(lambda: _answers(services, urls, reviewer) == readable, what="every service knows")

    _reviewers(services, "PUT", f"/organizations/{OTHER}/reviewers/{REVIEWER}")
    _reviewers(services, "DELETE", f"/organizations/{ORG}/reviewers/{REVIEWER}")
    assert services.reporting.get(urls["reporting"], headers=reviewer).status_code == 404
    eventually(lambda: _answers(services, urls, reviewer) == refused, what="every service refuses")


# ---- notifications: its inbox, fed with reporting's events as its consumer takes them --------


def _submitted(organization: str) -> reporting.ReportSubmitted:
    return reporting.ReportSubmitted(
        report_id=f"r-{organization}", organization_id=organization, quarter=str(QUARTER),
        submission_version=1, interventions_count=1, persons_count=1,
    )  # fmt: skip


def _inbox(service: NotificationsService, headers: dict[str, str]) -> list[str]:
    answer = service.client.get("/inbox", headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["organization_id"] for item in answer.json()["items"]]


def test_notifications_shows_a_reviewer_the_notices_of_the_organizations_reporting_assigns(
    notifications: NotificationsService,
) -> None:
    admin = notifications.headers("admin", ["admin"])
    for organization in (ORG, OTHER):
        notifications.receive(
            reporting.OrganizationRegistered(organization_id=organization, name=organization, regions=("05",))
        )
        notifications.receive(_submitted(organization))
    assert sorted(_inbox(notifications, admin)) == [ORG, OTHER]
    # The token claims OTHER: the claim is ignored, the registry knows nothing of the reviewer.
    reviewer = token(
        notifications.client, user_id=REVIEWER, roles=["ministry_reviewer"], assigned_organizations=[OTHER]
    )
    assert _inbox(notifications, reviewer) == []
    notifications.receive(reporting.ReviewerAssigned(organization_id=ORG, reviewer_id=REVIEWER))
    assert _inbox(notifications, reviewer) == [ORG]
    notifications.receive(reporting.ReviewerUnassigned(organization_id=ORG, reviewer_id=REVIEWER))
    assert _inbox(notifications, reviewer) == []
