"""GSI_CLOCK_OFFSET_DAYS: a training or acceptance environment runs the services' business clock
ahead of the wall clock, to rehearse a quarter's deadlines, reminders and lock-exception expiry
without waiting. The services date their events and judge "today" by the shifted clock, say so
on /health and /ready, and keep token lifetimes on the wall clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gsi_contracts import reporting as reporting_contract
from gsi_kernel import clock as clocks
from gsi_kernel.clock import MONTREAL, FixedClock, montreal_date
from gsi_kernel.store.tables import events
from interventions.bootstrap import build, build_app
from interventions.settings import InterventionsSettings
from notifications.bootstrap import scheduler
from tests.api.conftest import NOW, InterventionsService
from tests.consumers import deliver, outbox_events, published
from tests.notifications_support import drain, notifications_service
from tests.smtp import smtp_server

ORG = "org-sherbrooke"
OFFSET = 30
SHIFTED_NOW = NOW + timedelta(days=OFFSET)  # the business clock: 2026-12-20, in Q3


@pytest.fixture
def shifted(tmp_path: Path) -> Iterator[InterventionsService]:
    """The interventions service with its clock shifted by OFFSET days; ``clock`` is the wall."""
    wall = FixedClock(NOW)
    container = build(InterventionsSettings(data_dir=tmp_path, clock_offset_days=OFFSET), clock=wall)
    with TestClient(build_app(container)) as client:
        yield InterventionsService(client, wall, container.kernel)


def declare(service: InterventionsService, person: str, day: date, code: str = "ACC") -> int:
    body = {
        "person_id": person, "code": code, "service_date": day.isoformat(), "duration_minutes": 45,
        "mode": "in_person", "volet": "V1", "staff_member": "karine",
    }  # fmt: skip
    headers = service.headers("karine", ["org_staff"], ORG)
    answer = service.client.post("/interventions", json=body, headers=headers)
    assert answer.status_code in (201, 422, 423), answer.text
    return answer.status_code


def test_a_shifted_service_dates_its_events_and_its_today_by_the_offset(
    shifted: InterventionsService,
) -> None:
    person = shifted.register_person(ORG)
    # December 18 is in the wall clock's future, in the business clock's past.
    assert declare(shifted, person, date(2026, 12, 18)) == 201
    assert declare(shifted, person, date(2026, 12, 21), code="PDI") == 422  # after the business today
    (declared,) = [e for e in outbox_events(shifted.kernel) if e.type.endswith("InterventionDeclared")]
    assert declared.occurred_at == declared.recorded_at == SHIFTED_NOW
    assert shifted.kernel.clock.now() == SHIFTED_NOW
    shifted.clock.advance(timedelta(hours=1))  # the business clock follows the wall clock it shifts
    assert shifted.kernel.clock.now() == SHIFTED_NOW + timedelta(hours=1)


def test_a_lock_exception_lapses_on_the_shifted_day(shifted: InterventionsService) -> None:
    person = shifted.register_person(ORG)
    shifted.receive(
        reporting_contract.QuarterLocked(organization_id=ORG, quarter="2026-2027-Q2", report_id="r-q2")
    )
    manager = shifted.headers("sophie", ["org_manager"], ORG)
    request = {"quarter": "2026-2027-Q2", "reason": "Deux accueils saisis en retard", "intervention_ids": []}
    exception = shifted.client.post("/lock-exceptions", json=request, headers=manager).json()["id"]
    reviewer = shifted.headers("nadia", ["ministry_reviewer"], assigned_organizations=[ORG])
    granted = shifted.client.post(
        f"/lock-exceptions/{exception}/grant", json={"valid_until": "2026-12-25"}, headers=reviewer
    )
    assert granted.is_success, granted.text  # until Dec 25 of the business clock: Nov 25 on the wall
    assert declare(shifted, person, date(2026, 8, 12)) == 201

    shifted.clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))  # wall: Nov 26; business: Dec 26
    state = shifted.client.get(f"/lock-exceptions/{exception}", headers=manager).json()["state"]
    assert state == "expired"
    assert declare(shifted, person, date(2026, 8, 13), code="PDI") == 423


def test_health_and_readiness_say_the_clock_is_shifted(shifted: InterventionsService, tmp_path: Path) -> None:
    for path in ("/health", "/ready"):
        body = shifted.client.get(path).json()
        assert (body["status"], body["clock_offset_days"]) == ("ok", OFFSET)
    plain = build(InterventionsSettings(data_dir=tmp_path / "plain"), clock=FixedClock(NOW))
    with TestClient(build_app(plain)) as client:
        assert "clock_offset_days" not in client.get("/health").json()
        assert "clock_offset_days" not in client.get("/ready").json()


def test_tokens_keep_wall_clock_time(shifted: InterventionsService) -> None:
    """A token lives its hours on the wall clock: a month-ahead service neither issues it from
    the future nor finds it expired."""
    headers = shifted.headers("karine", ["org_staff"], ORG)
    claims = jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})
    wall_now = datetime.now(UTC).timestamp()
    assert abs(claims["iat"] - wall_now) < 60
    assert shifted.client.get("/interventions", headers=headers).status_code == 200


def test_the_scheduler_sends_the_reminder_due_on_the_shifted_day(tmp_path: Path) -> None:
    """Q1 is due July 30. On the wall clock's July 15 (D-15), a service eight days ahead is on
    July 23: it sends the D-7 reminder, not the D-15 one."""
    with (
        smtp_server() as smtp,
        notifications_service(tmp_path, smtp.settings(), clock_offset_days=8) as service,
    ):
        service.clock.set(datetime(2026, 7, 15, 16, 0, tzinfo=UTC))
        for event in (
            reporting_contract.OrganizationRegistered(
                organization_id=ORG, name="Accueil Estrie", regions=("05",),
                contacts=(reporting_contract.OrganizationContact(
                    name="Coordination", email="coord@estrie.example", role="manager", language="fr"
                ),),
            ),
            reporting_contract.AgreementRecorded(
                agreement_id="agr-1", organization_id=ORG, program="PASI", volets=("V1", "V2"),
                starts_on=date(2026, 4, 1), ends_on=date(2027, 3, 31),
            ),
        ):  # fmt: skip
            assert deliver(service.kernel, published(event, occurred_at=service.kernel.clock.now()))

        assert scheduler(service.kernel, lease_seconds=120).run_once() == 1
        with service.kernel.db.transaction() as connection:
            (notice,) = connection.execute(
                select(events.c.payload, events.c.recorded_at).where(events.c.type == "NoticeRecorded")
            ).all()
        assert notice.payload["dedupe_key"] == f"{ORG}:2026-2027-Q1:deadline_reminder:D-7"
        assert notice.recorded_at == datetime(2026, 7, 23, 16, 0, tzinfo=UTC)
        assert drain(service.worker()) == 1
        (mail,) = smtp.wait_for(1)
        assert mail.to == "coord@estrie.example"
        assert "(dans 7 jours)" in mail.body("plain")


def test_an_offset_moves_montreals_calendar_by_whole_days_across_daylight_saving_time() -> None:
    """At 23:30 in Montréal in December (winter time), 83 days back is September 14 (summer
    time) at 23:30 — not 83 × 24 hours back, which is September 15 at 00:30 there: a person
    registered "today" would then be registered the day after the journey's first day."""
    wall = FixedClock(datetime(2026, 12, 7, 4, 30, tzinfo=UTC))  # December 6, 23:30 in Montréal
    business = clocks.shifted(wall, -83)
    assert montreal_date(business.now()) == date(2026, 9, 14)
    assert business.now().astimezone(MONTREAL).hour == 23
    assert montreal_date(clocks.shifted(wall, 30).now()) == date(2027, 1, 5)
