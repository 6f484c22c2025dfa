"""A whole quarter, day by day, for three organizations in different states: the reporting
service runs the real workflow (submit, take, reject, resubmit, accept, lock) through its API;
its published events reach notifications; two notifications instances tick their schedulers and
run their delivery workers every day, one of them killed and replaced half-way; a real SMTP
server receives the e-mails. The e-mails are then exactly the expected ones — count,
recipients, language and content — each once.

- Sherbrooke submits on July 24 (journey 2): D-15, D-7, then accepted and locked.
- Montréal (English) never submits: D-15, D-7, D-1, the missed deadline, the D+7 escalation
  (these two to its reviewer too).
- Québec submits on July 28, is rejected on August 3 with reasons, reminded before its
  resubmission deadline, resubmits on August 16 and waits: the reviewer is reminded at D+20.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_kernel.auth import Principal, Role
from gsi_kernel.clock import FixedClock
from notifications.bootstrap import build as build_notifications
from notifications.bootstrap import scheduler
from notifications.notices.contacts import MinistryContact
from notifications.settings import NotificationsSettings
from reporting.bootstrap import build as build_reporting
from reporting.bootstrap import build_app as build_reporting_app
from reporting.settings import ReportingSettings
from tests.api.conftest import ReportingService
from tests.consumers import deliver, outbox_events
from tests.notifications_support import Notifications as Instance
from tests.notifications_support import drain
from tests.smtp import Received, SmtpServer, smtp_server

Q1 = "2026-2027-Q1"
SHERBROOKE, MONTREAL, QUEBEC = "org-sherbrooke", "org-montreal", "org-quebec"
REVIEWER, REVIEWER_MAIL = "nadia", "nadia.lavoie@mifi.gouv.qc.ca"
CONTACTS = {
    SHERBROOKE: [("Sophie Tremblay", "sophie@estrie.example", "fr")],
    MONTREAL: [("Kim Nguyen", "kim@welcome-mtl.example", "en")],
    QUEBEC: [("Julie Roy", "julie@carrefour.example", "fr"), ("Ana Lopez", "ana@carrefour.example", "en")],
}


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 16, 0, tzinfo=UTC)


class Quarter:
    """Reporting in this process, and notifications as instances the test starts and kills."""

    def __init__(self, tmp_path: Path, smtp: SmtpServer) -> None:
        self.clock = FixedClock(noon(date(2026, 7, 1)))
        self.tmp_path = tmp_path
        self.settings = NotificationsSettings(
            data_dir=tmp_path / "notifications", run_workers=False, **smtp.settings()
        )
        self.instances: list[Instance] = []
        self.forwarded: set[str] = set()
        reporting = build_reporting(ReportingSettings(data_dir=tmp_path / "reporting"), clock=self.clock)
        self.client = TestClient(build_reporting_app(reporting))
        self.client.__enter__()
        self.reporting = ReportingService(self.client, self.clock, reporting.kernel)

    def start_instance(self) -> Instance:
        container = build_notifications(self.settings, clock=self.clock)
        container.kernel.start()
        instance = Instance(container, self.clock, self.settings)
        self.instances.append(instance)
        return instance

    def kill(self, instance: Instance) -> None:
        """As a crash would: nothing is flushed or released (the kernel's pools are let go)."""
        self.instances.remove(instance)

    def forward(self) -> None:
        """Reporting's published events, not yet forwarded, to notifications' consumers (as the
        bus would, to any one instance; they share the database)."""
        target = self.instances[0].kernel
        for event in outbox_events(self.reporting.kernel):
            if event.event_id not in self.forwarded:
                deliver(target, event)
                self.forwarded.add(event.event_id)

    def day(self, on: date, action: Callable[[], Any] | None = None) -> None:
        self.clock.set(noon(on))
        if action is not None:
            action()
        self.forward()
        for n, instance in enumerate(self.instances):
            scheduler(instance.kernel, lease_seconds=120, holder=f"scheduler-{n}").run_once()
        for instance in self.instances:
            drain(instance.worker())

    def close(self) -> None:
        for instance in self.instances:
            instance.kernel.stop()
        self.client.__exit__(None, None, None)

    # ---- the reporting side, through its API ---------------------------------------------------

    def headers(
        self, user: str, roles: list[str], organization: str | None = None, **claims: Any
    ) -> dict[str, str]:
        return self.reporting.headers(user, roles, organization, **claims)

    def admin(self) -> dict[str, str]:
        return self.headers("admin", ["admin"])

    def reviewer(self) -> dict[str, str]:
        return self.headers(REVIEWER, ["ministry_reviewer"], assigned_organizations=sorted(CONTACTS))

    def manager(self, org: str) -> dict[str, str]:
        return self.headers(f"manager@{org}", ["org_manager"], org)

    def post(self, path: str, headers: dict[str, str], body: Any = None) -> Any:
        response = self.client.post(path, headers=headers, json=body or {})
        assert response.status_code in (200, 201), f"{path}: {response.text}"
        return response.json()

    def set_up(self) -> dict[str, str]:
        """Organizations, reviewer, agreements and one intervention each; return their ids."""
        declared = {}
        for org, contacts in CONTACTS.items():
            body = {
                "organization_id": org,
                "name": {
                    SHERBROOKE: "Intégration Estrie",
                    MONTREAL: "Welcome MTL",
                    QUEBEC: "Carrefour Québec",
                }[org],
                "regions": ["05"],
                "contacts": [
                    {"name": n, "email": e, "role": "direction", "language": lang} for n, e, lang in contacts
                ],
            }
            self.post("/organizations", self.admin(), body)
            response = self.client.put(f"/organizations/{org}/reviewers/{REVIEWER}", headers=self.admin())
            assert response.status_code in (200, 201, 204), response.text
            agreement = {
                "organization_id": org, "program": "PASI", "starts_on": "2026-04-01", "ends_on": "2029-03-31",
                "volets": ["V1", "V2", "V3"], "funding": [], "targets": [],
            }  # fmt: skip
            self.post("/agreements", self.admin(), agreement)
            person = self.reporting.register_person(org, registered_at=noon(date(2026, 4, 2)))
            declared[org] = self.reporting.declare(org, person, service_date=date(2026, 5, 12))
        admin = Principal("admin", frozenset({Role.ADMIN}))
        self.instances[0].container.schedule.set_contact(
            admin, REVIEWER, MinistryContact(email=REVIEWER_MAIL, name="Nadia Lavoie", language="fr")
        )
        return declared

    def report(self, org: str, step: str, body: Any = None) -> Callable[[], Any]:
        who = self.manager(org) if step == "submit" else self.reviewer()
        return lambda: self.post(f"/reports/{org}/{Q1}/{step}", who, body)


@pytest.fixture
def quarter(tmp_path: Path) -> Iterator[tuple[Quarter, SmtpServer]]:
    with smtp_server() as smtp:
        q = Quarter(tmp_path, smtp)
        try:
            yield q, smtp
        finally:
            q.close()


def kind(mail: Received) -> str:
    return str(mail.message["X-GSI-Notice-Kind"])


def test_a_quarter_of_reminders_and_notices_each_sent_once(quarter: tuple[Quarter, SmtpServer]) -> None:
    q, smtp = quarter
    first = q.start_instance()
    q.start_instance()  # a second instance, from the start: its scheduler and worker run too
    declared = q.set_up()
    rejection = {
        "reason": "Suivis sans plan d'action",
        "items": [{"intervention_id": declared[QUEBEC], "reason": "Plan d'action manquant"}],
    }
    actions: dict[date, Callable[[], Any]] = {
        date(2026, 7, 24): q.report(SHERBROOKE, "submit"),
        date(2026, 7, 28): q.report(QUEBEC, "submit"),
        date(2026, 7, 29): q.report(QUEBEC, "take"),
        date(2026, 8, 3): q.report(QUEBEC, "reject", rejection),
        date(2026, 8, 4): q.report(SHERBROOKE, "take"),
        date(2026, 8, 5): q.report(SHERBROOKE, "accept"),
        date(2026, 8, 6): q.report(SHERBROOKE, "lock"),
        date(2026, 8, 16): q.report(QUEBEC, "submit"),
    }
    day = date(2026, 7, 1)
    while day <= date(2026, 9, 30):
        if day == date(2026, 8, 1):  # a forced restart: the first instance dies, a new one starts
            q.kill(first)
            q.start_instance()
        q.day(day, actions.get(day))
        day += timedelta(days=1)

    mails = smtp.received
    sophie, kim = "sophie@estrie.example", "kim@welcome-mtl.example"
    julie, ana = "julie@carrefour.example", "ana@carrefour.example"
    expected = Counter(
        {
            (sophie, "deadline_reminder"): 2, (sophie, "report_accepted"): 1, (sophie, "quarter_locked"): 1,
            (kim, "deadline_reminder"): 3, (kim, "deadline_missed"): 1, (kim, "deadline_escalation"): 1,
            (julie, "deadline_reminder"): 2, (julie, "report_rejected"): 1, (julie, "resubmission_reminder"): 1,
            (ana, "deadline_reminder"): 2, (ana, "report_rejected"): 1, (ana, "resubmission_reminder"): 1,
            (REVIEWER_MAIL, "report_submitted"): 3, (REVIEWER_MAIL, "deadline_missed"): 1,
            (REVIEWER_MAIL, "deadline_escalation"): 1, (REVIEWER_MAIL, "control_reminder"): 1,
        }
    )  # fmt: skip
    assert Counter((m.to, kind(m)) for m in mails) == expected
    # Each e-mail once: one Message-ID per (notice, address), none received twice.
    assert len({m.message["Message-ID"] for m in mails}) == len(mails) == sum(expected.values())

    def of(to: str, notice_kind: str) -> list[Received]:
        return [m for m in mails if m.to == to and kind(m) == notice_kind]

    # Language: the recipient's.
    assert {m.message["Content-Language"] for m in mails if m.to in (kim, ana)} == {"en"}
    assert {m.message["Content-Language"] for m in mails if m.to in (sophie, julie, REVIEWER_MAIL)} == {"fr"}
    # Content: the deadline, the rejection's reasons, the resubmission and control dates.
    assert all("30 juillet 2026" in m.body("plain") for m in of(sophie, "deadline_reminder"))
    assert all("July 30, 2026" in m.body("plain") for m in of(kim, "deadline_reminder"))
    (rejected_fr,) = of(julie, "report_rejected")
    assert "Suivis sans plan d'action" in rejected_fr.body("plain")
    assert "Plan d'action manquant" in rejected_fr.body("plain")
    assert "Plan d&#39;action manquant" in rejected_fr.body(
        "html"
    ) or "Plan d'action manquant" in rejected_fr.body("html")
    (rejected_en,) = of(ana, "report_rejected")
    assert "rejected" in str(rejected_en.message["Subject"]).lower()
    (control,) = of(REVIEWER_MAIL, "control_reminder")
    assert "Carrefour Québec" in control.body("plain")
    assert {str(m.message["Subject"]) for m in of(kim, "deadline_escalation")} == {
        "Q1 2026-2027 report of Welcome MTL: still not submitted"
    } or of(kim, "deadline_escalation")[0].message["Content-Language"] == "en"
