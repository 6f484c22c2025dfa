"""Every service's ``/metrics`` after real traffic (issue 22): the journey through the four
services in this process (SQLite, the embedded log) moves the HTTP, relay, consumer, report and
import figures, and no personal data shows — no name, no e-mail, no id, no organization, no raw
path: routes are templates. Notifications' reminders and e-mails move as it records and sends
them; the portal serves its own page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import FixedClock
from notifications.deliveries.mailer import SendFailure
from notifications.event_registry import EVENTS as NOTIFICATION_EVENTS
from notifications.metrics import EMAIL_OUTCOMES, NOTICE_RECORDED, REMINDER_KINDS
from notifications.notices.domain import NoticeKind
from portal.bootstrap import build_app as build_portal
from portal.settings import PortalSettings
from tests import in_process
from tests.e2e.flow import ORG, Services, eventually, run_journey
from tests.metrics_support import samples, value
from tests.notifications_support import Notifications, drain, notifications_service, recipient

SERVICES = ("registration", "interventions", "reporting", "notifications")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 9, 14, 15, 0, tzinfo=UTC))


@pytest.fixture
def embedded(tmp_path: Path, clock: FixedClock) -> Iterator[Services]:
    with in_process.embedded_services(tmp_path, clock=clock) as services:
        yield services


def scrape(services: Services, name: str) -> str:
    page = getattr(services, name).get("/metrics")  # no token: public like /health
    assert page.status_code == 200, page.text
    return str(page.text)


def test_the_journey_moves_the_metrics_and_no_personal_data_shows(
    embedded: Services, clock: FixedClock
) -> None:
    # Counters live in the process (as in production): other tests of this process moved them
    # too, so what this journey did is the difference from before it.
    before = {name: scrape(embedded, name) for name in SERVICES}

    def moved(page: str, name: str, **labels: str) -> float:
        return (value(page, name, **labels) or 0) - (value(before[labels["service"]], name, **labels) or 0)

    journey = run_journey(
        embedded, lambda day: clock.set(datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC))
    )
    person_id, staff = journey["person_id"], journey["headers"]["staff"]
    assert embedded.registration.get(f"/persons/{person_id}/nowhere", headers=staff).status_code == 404
    assert embedded.registration.get(f"/persons/{person_id}", headers=staff).status_code == 200
    rows = f"person_id;code;service_date;duration_minutes;mode;volet;staff_member;notes\n{person_id};ACC;2026-09-15;30;in_person;V1;karine;\n"
    started = embedded.interventions.post(
        "/imports",
        files={"file": ("seances.csv", rows.encode(), "text/csv")},
        data={"mode": "dry_run"},
        headers=staff,
    )
    assert started.status_code == 202, started.text
    import_url = f"/imports/{started.json()['import_id']}"
    eventually(
        lambda: embedded.interventions.get(import_url, headers=staff).json()["status"] == "done",
        what="the import to finish",
    )

    pages = {name: scrape(embedded, name) for name in SERVICES}

    registration = pages["registration"]
    requests = "gsi_http_requests_total"
    assert (
        moved(registration, requests, service="registration", method="POST", route="/persons", status="201")
        == 1
    )
    assert (
        moved(
            registration,
            requests,
            service="registration",
            route="/persons/{person_id}",
            method="GET",
            status="200",
        )
        == 1
    )
    assert moved(registration, requests, service="registration", route="<unmatched>", status="404") == 1
    assert (
        moved(registration, "gsi_relay_published_total", service="registration", topic="gsi.registration")
        >= 1
    )
    interventions = pages["interventions"]
    applied = moved(
        interventions,
        "gsi_consumer_messages_total",
        service="interventions",
        group="interventions.persons",
        outcome="applied",
    )
    assert applied >= 1
    assert value(interventions, "gsi_import_rows_total", service="interventions") == 1
    assert value(interventions, "gsi_imports_running", service="interventions") == 0
    assert value(pages["reporting"], "gsi_reports", service="reporting", state="submitted") == 1
    for name, page in pages.items():
        assert value(page, "gsi_worker_up", service=name, worker="outbox-relay") == 1
        assert value(page, "gsi_metrics_collector_up", service=name, collector="store") == 1
        assert value(page, "gsi_relay_lease_held", service=name) == 1
    # The reviewer has no address: the notice's e-mail is dead-lettered, and counted so.
    eventually(
        lambda: (
            moved(
                scrape(embedded, "notifications"), "gsi_emails_total", service="notifications", outcome="dead"
            )
            == 1
        ),
        what="the dead-lettered e-mail counted",
    )
    eventually(
        lambda: all(value(scrape(embedded, n), "gsi_outbox_backlog", service=n) == 0 for n in SERVICES),
        what="every outbox published",
    )

    secrets = {
        person_id, journey["intervention_id"], ORG, "Haddad", "Amina", "karine", "sophie", "nadia",
        "Sherbrooke", "Estrie",
    }  # fmt: skip
    for name in SERVICES:
        page = scrape(embedded, name)
        assert not [s for s in secrets if s in page], name
        assert not UUID.search(page), name
        routes = {labels["route"] for n, labels, _ in samples(page) if "route" in labels}
        # Counters live in the process: other tests may have read the (unlisted) documentation routes.
        documentation = {"/docs", "/docs/static/{name}", "/openapi.json"}
        openapi = getattr(embedded, name).get("/openapi.json").json()["paths"]
        templates = {*openapi, *documentation, "/metrics", "<unmatched>"}
        assert routes
        assert routes <= templates, routes - templates


class _Mailer:
    """Takes the e-mails to ``good``, answers the others 451 (an attempt that failed, retried later)."""

    def __init__(self, good: str) -> None:
        self.good = good

    def send(self, message: Any, *, to: str) -> None:
        if to != self.good:
            raise SendFailure("smtp.temporary", "451 try again later")

    def close(self) -> None:
        pass


def _emails(service: Notifications) -> dict[str, float]:
    text = service.kernel.metrics.render().decode()
    return {
        o: value(text, "gsi_emails_total", service="notifications", outcome=o) or 0
        for o in ("sent", "failed", "dead")
    }


def _reminders(service: Notifications, kind: str) -> float:
    text = service.kernel.metrics.render().decode()
    return value(text, "gsi_reminders_sent_total", service="notifications", kind=kind) or 0


def test_reminders_and_emails_count_as_notifications_records_and_sends_them(tmp_path: Path) -> None:
    with notifications_service(tmp_path, {}) as service:
        emails, reminders = _emails(service), _reminders(service, "deadline_reminder")
        service.notice(
            [recipient("sophie@estrie.example"), recipient("nobody@estrie.example"), recipient(None)],
            kind=NoticeKind.DEADLINE_REMINDER,
        )
        service.notice([recipient("sophie@estrie.example")], kind=NoticeKind.REPORT_ACCEPTED)
        drain(service.worker(_Mailer("sophie@estrie.example")))
        service.kernel.projections.catch_up()  # the catch-up passes the events: they count

        after = _emails(service)
        assert after["sent"] - emails["sent"] == 2
        assert after["failed"] - emails["failed"] == 1  # retried later (backoff): not dead yet
        assert after["dead"] - emails["dead"] == 1  # no address
        assert _reminders(service, "deadline_reminder") - reminders == 1  # report_accepted is no reminder


def test_the_names_notifications_counts_by_are_its_events_and_kinds() -> None:
    for event_type in (NOTICE_RECORDED, *EMAIL_OUTCOMES):
        assert NOTIFICATION_EVENTS.knows(event_type), event_type
    assert set(REMINDER_KINDS) <= {k.value for k in NoticeKind}


def test_the_portal_serves_its_metrics(tmp_path: Path) -> None:
    health = {"service": "portal", "route": "/health", "status": "200"}
    with TestClient(build_portal(PortalSettings())) as portal:
        before = value(portal.get("/metrics").text, "gsi_http_requests_total", **health) or 0
        assert portal.get("/health").status_code == 200
        page = portal.get("/metrics")
    assert page.status_code == 200
    assert value(page.text, "gsi_http_requests_total", **health) == before + 1
