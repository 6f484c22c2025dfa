"""A business clock moved back (a smaller GSI_CLOCK_OFFSET_DAYS than the last run's, as the demo
seed does to serve a quarter that has ended, or a rehearsal set back to today) must not stall
what a lease guards — the outbox relay, the reminder scheduler: leases are between processes, on
the wall clock. Stamped in business time, the last run's lease would look alive for as many days
as the offset shrank."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from gsi_contracts import reporting
from gsi_kernel.clock import FixedClock
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.outbox import Outbox
from notifications.bootstrap import build as build_notifications
from notifications.bootstrap import scheduler
from notifications.settings import NotificationsSettings
from registration.bootstrap import build, build_app
from registration.settings import RegistrationSettings
from tests.api.conftest import NOW
from tests.consumers import deliver, published
from tests.e2e.flow import token

PERSON = {
    "family_name": "Haddad", "given_name": "Amina", "birth_date": "1984-03-12", "sex": "F",
    "country_of_birth": "SY", "address": {"region": "05"},
    "status": {"status": "permanent_resident", "effective_from": "2025-01-15", "admission_date": "2025-01-15"},
}  # fmt: skip


def register_and_wait_relayed(client: TestClient, kernel: Kernel, within_s: float = 15.0) -> int:
    """Register a person; the outbox messages still unsent once the relay had ``within_s``."""
    staff = token(client, user_id="karine", roles=["org_staff"], organization="org-sherbrooke")
    assert client.post("/persons", headers=staff, json=PERSON).status_code == 201
    deadline = time.monotonic() + within_s
    while True:
        with kernel.db.transaction() as connection:
            pending = Outbox().pending_count(connection)
        if pending == 0 or time.monotonic() > deadline:
            return pending
        time.sleep(0.2)


def test_a_smaller_clock_offset_after_a_larger_one_does_not_hold_the_relay_off(tmp_path: Path) -> None:
    wall = FixedClock(NOW)
    ahead = build(RegistrationSettings(data_dir=tmp_path, clock_offset_days=30), clock=wall)
    with TestClient(build_app(ahead)) as client:
        assert register_and_wait_relayed(client, ahead.kernel) == 0
    wall.advance(timedelta(minutes=2))  # the first run's lease (30 s) has lapsed on the wall clock
    back = build(RegistrationSettings(data_dir=tmp_path, clock_offset_days=-60), clock=wall)
    with TestClient(build_app(back)) as client:
        assert register_and_wait_relayed(client, back.kernel) == 0


def test_a_smaller_clock_offset_after_a_larger_one_does_not_hold_the_scheduler_off(tmp_path: Path) -> None:
    """Montréal's Q1 report is due July 30: on July 23 (offset 0) its D-7 reminder is due — even
    though a scheduler ran the day before with the clock 30 days ahead."""
    wall = FixedClock(datetime(2026, 7, 22, 16, 0, tzinfo=UTC))

    def kernel(offset: int) -> Kernel:
        settings = NotificationsSettings(data_dir=tmp_path, run_workers=False, clock_offset_days=offset)
        built = build_notifications(settings, clock=wall).kernel
        built.start()
        return built

    ahead = kernel(30)
    agreement = reporting.AgreementRecorded(
        agreement_id="agr-1", organization_id="org-montreal", program="PASI", volets=("V1",),
        starts_on=date(2026, 4, 1), ends_on=date(2027, 3, 31),
    )  # fmt: skip
    deliver(ahead, published(agreement, occurred_at=wall.now()))
    scheduler(ahead, lease_seconds=120, holder="ahead").run_once()  # August 21: nothing due
    ahead.stop()
    wall.advance(timedelta(days=1))
    back = kernel(0)
    try:
        assert scheduler(back, lease_seconds=120, holder="back").run_once() == 1  # D-7, to Montréal
    finally:
        back.stop()
