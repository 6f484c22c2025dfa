"""The reminder scheduler runs once across three replicas of notifications (issue 22, section
1): every replica runs its scheduler every half second and the delivery worker beside it; the
lease lets one of them record the day's reminders at a time, and a reminder decided twice is
recorded once. Twelve organizations, each with one contact, owe their quarter's report in
seven days: each contact receives the D-7 reminder once, in a real SMTP server, and nothing
more in the ticks that follow."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from gsi_contracts import reporting
from gsi_kernel.clock import montreal_date
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from tests.consumers import published
from tests.replicas.cluster import Run, until
from tests.smtp import smtp_server

ORGANIZATIONS = 12
REPLICAS = 3

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.kafka]


def registry(quarter: FiscalQuarter, due: datetime) -> list[EventEnvelope]:
    """Reporting's registry as its relay publishes it: the organizations and their contacts,
    the quarter's deadline, then agreements covering that quarter alone (so no other quarter's
    reminder is due). One key: in one partition, in this order — an agreement never reaches
    notifications before its organization's contacts."""
    now = datetime.now(UTC)
    stream = "registry-replicas"
    orgs = [f"org-{n:02d}" for n in range(ORGANIZATIONS)]
    events: list[DomainEvent] = [
        reporting.OrganizationRegistered(
            organization_id=org,
            name=f"Organisme {org}",
            regions=("05",),
            contacts=(
                reporting.OrganizationContact(name="Contact", email=f"{org}@example.org", role="direction"),
            ),
        )
        for org in orgs
    ]
    events.append(
        reporting.FiscalYearCalendarSet(
            fiscal_year=f"{quarter.start_year}-{quarter.start_year + 1}",
            deadlines=(reporting.SubmissionDeadline(quarter=str(quarter), submission_due=due.date()),),
            control_window_days=30,
            resubmission_business_days=10,
        )
    )
    events += [
        reporting.AgreementRecorded(
            agreement_id=f"agreement-{org}",
            organization_id=org,
            program="PASI",
            volets=("V1",),
            starts_on=quarter.first_day,
            ends_on=quarter.last_day,
        )
        for org in orgs
    ]
    return [published(e, occurred_at=now, stream_id=stream) for e in events]


def test_three_replicas_send_each_reminder_once(shared: Run) -> None:
    today = montreal_date(datetime.now(UTC))
    quarter = FiscalQuarter.of(today)
    due = datetime.combine(today + timedelta(days=7), datetime.min.time(), UTC)
    with smtp_server() as smtp:
        shared.start(
            "notifications",
            REPLICAS,
            GSI_NOTIFICATIONS_SMTP_HOST=smtp.host,
            GSI_NOTIFICATIONS_SMTP_PORT=str(smtp.port),
            GSI_NOTIFICATIONS_SCHEDULER_INTERVAL_SECONDS="0.5",
            GSI_NOTIFICATIONS_SCHEDULER_LEASE_SECONDS="5",
        )
        shared.publish(reporting.TOPIC, registry(quarter, due))
        until(lambda: len(smtp.received) >= ORGANIZATIONS, "every contact is reminded", 120)
        time.sleep(5)  # ten more ticks of each replica's scheduler, a lease's length: nothing more
        sent = Counter(m.to for m in smtp.received)
    assert sent == Counter({f"org-{n:02d}@example.org": 1 for n in range(ORGANIZATIONS)})
    # Each reminder: one notice, recorded once, sent once (its stream says so, in order).
    notices = shared.sql(
        "notifications",
        "SELECT stream_id, string_agg(type, ',' ORDER BY version) FROM events"
        " WHERE stream_id LIKE 'notice-%' GROUP BY stream_id ORDER BY stream_id",
    )
    assert notices == [
        (
            f"notice-org-{n:02d}:{quarter}:deadline_reminder:D-7",
            "NoticeRecorded,EmailAttemptStarted,EmailSent",
        )
        for n in range(ORGANIZATIONS)
    ]
    (leases,) = shared.sql("notifications", "SELECT count(*) FROM scheduler_lease")[0]
    assert leases == 1, "one lease, held by one replica at a time"
    deliveries = shared.sql("notifications", "SELECT address, status FROM deliveries")
    assert sorted(deliveries) == sorted((f"org-{n:02d}@example.org", "sent") for n in range(ORGANIZATIONS))
