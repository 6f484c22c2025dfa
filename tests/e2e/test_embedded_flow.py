"""The end-to-end journey in the embedded mode: four services in one process, SQLite files and
the embedded durable log in one data folder, no server of any kind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import interventions.bootstrap as interventions_app
import notifications.bootstrap as notifications_app
import registration.bootstrap as registration_app
import reporting.bootstrap as reporting_app
from interventions.settings import InterventionsSettings
from notifications.settings import NotificationsSettings
from registration.settings import RegistrationSettings
from reporting.settings import ReportingSettings
from tests.e2e.flow import ORG, Services, run_journey

MODULES = [
    (registration_app, RegistrationSettings),
    (interventions_app, InterventionsSettings),
    (reporting_app, ReportingSettings),
    (notifications_app, NotificationsSettings),
]


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with ExitStack() as stack:
        clients = []
        for module, settings_cls in MODULES:
            settings = settings_cls(data_dir=tmp_path, trace_file=tmp_path / "traces.jsonl")
            app = module.build_app(module.build_kernel(settings))
            clients.append(stack.enter_context(TestClient(app)))
        yield Services(*clients)


def test_journey_through_all_four_services_over_the_embedded_log(services: Services) -> None:
    result = run_journey(services, service_date=date(2026, 11, 20))

    assert result["quarter"] == "2026-2027-Q3"
    assert result["report_before"]["persons_count"] == 1
    assert result["submitted"]["state"] == "submitted"
    assert result["submitted"]["submission_version"] == 1
    [notice] = result["inbox"]["items"]
    assert notice["organization_id"] == ORG
    assert notice["kind"] == "report_submitted"
    assert notice["title_fr"].startswith("Rapport 2026-2027-Q3 soumis")


def test_a_second_submission_is_refused_with_the_current_state(services: Services) -> None:
    result = run_journey(services, service_date=date(2026, 11, 20))
    manager = result["headers"]["manager"]
    again = services.reporting.post(f"/reports/{ORG}/{result['quarter']}/submit", headers=manager)
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "report.invalid_transition"
    assert body["details"]["current_state"] == "submitted"
    assert body["message"]["fr"]
    assert body["message"]["en"]
