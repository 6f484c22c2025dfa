"""The end-to-end journey in the embedded mode: four services in one process, SQLite files and
the embedded durable log in one data folder, no server of any kind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gsi_kernel.clock import FixedClock
from tests import in_process
from tests.e2e.flow import ORG, MoveTo, Services, close_the_quarter, run_journey


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 9, 14, 15, 0, tzinfo=UTC))


@pytest.fixture
def embedded(tmp_path: Path, clock: FixedClock) -> Iterator[Services]:
    """The four services in this process, embedded mode, on one clock the journey moves."""
    with in_process.embedded_services(tmp_path, clock=clock) as services:
        yield services


@pytest.fixture
def move_to(clock: FixedClock) -> MoveTo:
    return lambda day: clock.set(datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC))


def test_journey_through_all_four_services_over_the_embedded_log(embedded: Services, move_to: MoveTo) -> None:
    result = run_journey(embedded, move_to)

    assert result["quarter"] == "2026-2027-Q2"
    assert result["report_before"]["persons_count"] == 1
    assert result["submitted"]["state"] == "submitted"
    assert result["submitted"]["submission_version"] == 1
    [notice] = result["inbox"]["items"]
    assert notice["organization_id"] == ORG
    assert notice["kind"] == "report_submitted"
    assert notice["title_fr"].startswith("Rapport T2 2026-2027 soumis")


def test_a_second_submission_is_refused_with_the_current_state(embedded: Services, move_to: MoveTo) -> None:
    result = run_journey(embedded, move_to)
    manager = result["headers"]["manager"]
    again = embedded.reporting.post(f"/reports/{ORG}/{result['quarter']}/submit", headers=manager)
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "report.invalid_transition"
    assert body["details"]["current_state"] == "submitted"
    assert body["message"]["fr"]
    assert body["message"]["en"]


def test_a_quarter_is_rejected_corrected_accepted_locked_and_unlocked(
    embedded: Services, move_to: MoveTo
) -> None:
    journey = run_journey(embedded, move_to)
    closed = close_the_quarter(embedded, journey)
    assert closed["rejected"]["state"] == "rejected"
    assert closed["resubmitted"]["submission_version"] == 2
    assert closed["accepted"]["state"] == "accepted"
    assert closed["locked"]["state"] == "locked"
    assert closed["refusal"]["code"] == "quarter.locked"
    assert closed["unlocked"]["state"] == "accepted"
