"""The end-to-end journey in the embedded mode: four services in one process, SQLite files and
the embedded durable log in one data folder, no server of any kind."""

from __future__ import annotations

from datetime import UTC, datetime

from gsi_kernel.clock import montreal_date
from tests.e2e.flow import ORG, Services, close_the_quarter, run_journey


def test_journey_through_all_four_services_over_the_embedded_log(embedded_services: Services) -> None:
    result = run_journey(embedded_services, service_date=montreal_date(datetime.now(UTC)))

    assert result["quarter"] == "2026-2027-Q3"
    assert result["report_before"]["persons_count"] == 1
    assert result["submitted"]["state"] == "submitted"
    assert result["submitted"]["submission_version"] == 1
    [notice] = result["inbox"]["items"]
    assert notice["organization_id"] == ORG
    assert notice["kind"] == "report_submitted"
    assert notice["title_fr"].startswith("Rapport T3 2026-2027 soumis")


def test_a_second_submission_is_refused_with_the_current_state(embedded_services: Services) -> None:
    result = run_journey(embedded_services, service_date=montreal_date(datetime.now(UTC)))
    manager = result["headers"]["manager"]
    again = embedded_services.reporting.post(f"/reports/{ORG}/{result['quarter']}/submit", headers=manager)
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "report.invalid_transition"
    assert body["details"]["current_state"] == "submitted"
    assert body["message"]["fr"]
    assert body["message"]["en"]


def test_a_quarter_is_rejected_corrected_accepted_locked_and_unlocked(embedded_services: Services) -> None:
    journey = run_journey(embedded_services, service_date=montreal_date(datetime.now(UTC)))
    closed = close_the_quarter(embedded_services, journey)
    assert closed["rejected"]["state"] == "rejected"
    assert closed["resubmitted"]["submission_version"] == 2
    assert closed["accepted"]["state"] == "accepted"
    assert closed["locked"]["state"] == "locked"
    assert closed["refusal"]["code"] == "quarter.locked"
    assert closed["unlocked"]["state"] == "accepted"
