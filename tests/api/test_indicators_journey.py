"""Program indicators of the integration journey over HTTP: the 12-month regional retention from
interventions' regionalization events (with the other indicators and in the CSV export), and the
arrival-to-first-service delay counted in business days of the fiscal-year calendars (weekends
and Québec's statutory holidays skipped, an admin's calendar followed)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

from gsi_contracts import interventions as contract
from tests.api.conftest import ReportingService

FY = "2026-2027"


def admin(s: ReportingService) -> dict[str, str]:
    return s.headers("adele", ["admin"])


def follow_up(
    s: ReportingService, region: str, opened_on: date, *outcomes: str, person: str | None = None
) -> str:
    """A follow-up opened on ``opened_on`` with checkpoints at 3, 6 and 12 months, and the
    outcomes recorded so far, in order."""
    follow_up_id, person_id = str(uuid.uuid4()), person or str(uuid.uuid4())
    due = [date(opened_on.year + (opened_on.month + m - 1) // 12, (opened_on.month + m - 1) % 12 + 1, 1)
           for m in (3, 6, 12)]  # fmt: skip
    s.receive(
        contract.RegionalizationFollowUpOpened(
            follow_up_id=follow_up_id,
            person_id=person_id,
            organization_id="org-sherbrooke",
            destination_region=region,
            opened_on=opened_on,
            checkpoints=tuple(
                contract.Checkpoint(months=m, due_on=d) for m, d in zip((3, 6, 12), due, strict=True)
            ),
        )
    )
    for months, outcome in zip((3, 6, 12), outcomes, strict=False):
        s.receive(
            contract.RegionalizationCheckpointRecorded(
                follow_up_id=follow_up_id,
                person_id=person_id,
                organization_id="org-sherbrooke",
                months=months,
                outcome=outcome,
                recorded_on=due[(3, 6, 12).index(months)],
            )
        )
    return follow_up_id


def test_twelve_month_regional_retention_per_region_and_program_wide(reporting: ReportingService) -> None:
    s = reporting
    settled = date(2025, 6, 1)  # the 12-month checkpoint falls due in June 2026: fiscal year 2026-2027
    follow_up(s, "05", settled, "stayed", "stayed", "stayed")
    follow_up(s, "05", settled, "stayed", "moved", "moved")
    follow_up(s, "05", settled, "stayed", "unknown", "unknown")
    follow_up(s, "03", settled, "stayed", "stayed", "stayed")
    follow_up(s, "03", settled, "stayed", "stayed")  # no 12-month outcome yet: not counted
    follow_up(s, "08", date(2026, 6, 1), "stayed", "stayed", "stayed")  # due in 2027-2028
    opened = follow_up(s, "16", settled)
    moved = contract.RegionalizationCheckpointRecorded(
        follow_up_id=opened, person_id="x", organization_id="org-sherbrooke", months=12, outcome="moved",
        recorded_on=date(2026, 6, 2),
    )  # fmt: skip
    s.receive(moved)
    s.receive(moved)  # published again (a relay's retry): counted once
    answer = s.client.get(f"/indicators/{FY}/integration", headers=admin(s))
    assert answer.status_code == 200, answer.text
    retention = answer.json()["regional_retention"]
    assert retention["months"] == 12
    assert retention["program"] == {
        "region": None, "persons": 5, "stayed": 2, "moved": 2, "unknown": 1, "retention_pct": 40.0,
    }  # fmt: skip
    assert [(r["region"], r["persons"], r["stayed"], r["retention_pct"]) for r in retention["regions"]] == [
        ("03", 1, 1, 100.0),
        ("05", 3, 1, 33.3),
        ("16", 1, 0, 0.0),
    ]
    later = s.client.get("/indicators/2027-2028/integration", headers=admin(s)).json()["regional_retention"]
    assert (later["program"]["persons"], later["program"]["retention_pct"]) == (1, 100.0)

    rows = list(csv.DictReader(io.StringIO(s.client.get(f"/indicators/{FY}.csv", headers=admin(s)).text)))
    cells = {
        (r["scope"], r["measure"], r["code"]): (r["actual"], r["pct"])
        for r in rows
        if "retention" in r["measure"]
    }
    assert cells[("program", "retention_12m_stayed", "")] == ("2", "40.0")
    assert cells[("program", "retention_12m_outcomes", "")] == ("5", "")
    assert cells[("region", "retention_12m_stayed", "05")] == ("1", "33.3")
    assert len(cells) == 2 * 4  # three regions and the program, two measures each


def test_no_follow_up_no_retention_rate(reporting: ReportingService) -> None:
    retention = reporting.client.get(f"/indicators/{FY}/integration", headers=admin(reporting)).json()
    assert retention["regional_retention"]["program"]["retention_pct"] is None
    assert retention["regional_retention"]["regions"] == []


def first_service(s: ReportingService) -> dict[str, object]:
    answer = s.client.get(f"/indicators/{FY}/integration", headers=admin(s))
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()["first_service"]
    return result


def test_the_first_service_delay_skips_quebec_holidays(reporting: ReportingService) -> None:
    s = reporting
    # Arrived Wednesday April 1, 2026, first served Friday April 10: 7 weekdays, but Good Friday
    # (April 3) and Easter Monday (April 6) are holidays: 5 business days, within the reference.
    easter = s.register_person("org-sherbrooke", status_since=date(2026, 4, 1))
    s.declare("org-sherbrooke", easter, service_date=date(2026, 4, 10))
    # Arrived Monday December 21, 2026, first served Tuesday December 29: Christmas skipped, 5.
    christmas = s.register_person("org-sherbrooke", status_since=date(2026, 12, 21))
    s.declare("org-sherbrooke", christmas, service_date=date(2026, 12, 29))
    assert first_service(s) == {
        "persons": 2, "median_business_days": 5.0, "within_reference": 2, "within_reference_pct": 100.0,
        "reference_business_days": 5,
    }  # fmt: skip


def test_the_first_service_delay_follows_the_calendar_an_admin_sets(reporting: ReportingService) -> None:
    s = reporting
    person = s.register_person("org-sherbrooke", status_since=date(2026, 12, 21))
    s.declare("org-sherbrooke", person, service_date=date(2026, 12, 29))
    assert first_service(s)["median_business_days"] == 5
    holidays = [
        {"date": "2026-12-25", "name_fr": "Noël", "name_en": "Christmas Day"},
        {"date": "2026-12-28", "name_fr": "Lendemain de Noël (reporté)", "name_en": "Boxing Day (moved)"},
    ]
    body = {
        "submission_due": {"q1": "2026-07-30", "q2": "2026-10-30", "q3": "2027-01-30", "q4": "2027-04-30"},
        "control_window_days": 30,
        "resubmission_business_days": 10,
        "holidays": holidays,
    }
    assert s.client.put(f"/calendar/{FY}", headers=admin(s), json=body).status_code == 200
    assert first_service(s)["median_business_days"] == 4
