"""The metrics move when the thing happens, on PostgreSQL and Kafka (issue 22): the four
services in this process, each in a schema of its own, their background workers running against
a real broker (topics and groups under a namespace of this test's). A declaration is published
by the relay and the backlog returns to 0; consumers show their partitions' lag; a poison record
makes one dead letter; the reminder scheduler's runs count; a reminder's e-mails are sent and
counted; a submission shows in reports per state."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_kernel.bus.kafka import KafkaBus
from gsi_kernel.bus.port import Message
from gsi_kernel.clock import FixedClock
from tests.databases import postgres_schema
from tests.e2e.flow import ORG, Services, cover, eventually, token
from tests.in_process import MODULES
from tests.metrics_support import samples, value
from tests.people import refugee

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

CONTACT = "sophie@estrie.example"
D_MINUS_15 = date(2026, 10, 15)  # Q2 2026-2027 is due on October 30


class _Mailer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: Any, *, to: str) -> None:
        self.sent.append(to)

    def close(self) -> None:
        pass


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(noon(date(2026, 9, 14)))


@pytest.fixture
def namespace() -> str:
    return f"metrics-{uuid.uuid4().hex[:8]}."


@pytest.fixture
def services(
    tmp_path: Path, postgres_url: str, kafka_bootstrap: str, clock: FixedClock, namespace: str
) -> Iterator[Services]:
    with ExitStack() as stack:
        clients = []
        for module, settings_cls in MODULES:
            schema = stack.enter_context(postgres_schema(postgres_url))
            extra: dict[str, Any] = {}
            built: dict[str, Any] = {}
            if settings_cls.service == "notifications":
                extra = {"scheduler_interval_seconds": 0.5}
                built = {"mailer": _Mailer()}
            settings = settings_cls(
                data_dir=tmp_path,
                database_url=postgres_url,
                db_schema=schema,
                bus="kafka",
                kafka_bootstrap_servers=kafka_bootstrap,
                kafka_namespace=namespace,
                **extra,
            )
            container = module.build(settings, clock=clock, **built)
            clients.append(stack.enter_context(TestClient(module.build_app(container))))
        yield Services(*clients)


def scrape(services: Services, name: str) -> str:
    page = getattr(services, name).get("/metrics")
    assert page.status_code == 200, page.text
    return str(page.text)


def figure(services: Services, name: str, metric: str, **labels: str) -> float:
    return value(scrape(services, name), metric, service=name, **labels) or 0.0


def test_the_metrics_move_on_postgresql_and_kafka(
    services: Services, clock: FixedClock, kafka_bootstrap: str, namespace: str
) -> None:
    admin = token(services.registration, user_id="admin", roles=["admin"])
    organization = {
        "organization_id": ORG,
        "name": "Intégration Estrie",
        "regions": ["05"],
        "contacts": [{"name": "Sophie Tremblay", "email": CONTACT, "role": "coordination", "language": "fr"}],
    }
    assert services.reporting.post("/organizations", headers=admin, json=organization).status_code == 201
    cover(services, ORG)
    staff = token(services.registration, user_id="karine", roles=["org_staff"], organization=ORG)
    manager = token(services.registration, user_id="sophie", roles=["org_manager"], organization=ORG)

    # A declaration: registration's and interventions' relays publish, the backlog drains.
    published_before = figure(
        services, "interventions", "gsi_relay_published_total", topic="gsi.interventions"
    )
    registered = services.registration.post("/persons", headers=staff, json=refugee())
    assert registered.status_code == 201, registered.text
    declaration = {
        "person_id": registered.json()["person_id"], "code": "ACC", "service_date": "2026-09-14",
        "duration_minutes": 60, "mode": "in_person", "volet": "V1", "staff_member": "karine",
    }  # fmt: skip
    eventually(
        lambda: (
            services.interventions.post("/interventions", headers=staff, json=declaration).status_code == 201
        ),
        timeout_s=60,
        what="interventions learns of the person, then records the declaration",
    )
    eventually(
        lambda: (
            figure(services, "interventions", "gsi_relay_published_total", topic="gsi.interventions")
            > published_before
        ),
        timeout_s=30,
        what="the relay publishes the declaration",
    )
    for name in ("registration", "interventions", "reporting"):
        eventually(
            lambda name=name: (
                figure(services, name, "gsi_outbox_backlog") == 0
                and figure(services, name, "gsi_outbox_oldest_unsent_age_seconds") == 0
            ),
            timeout_s=30,
            what=f"{name}'s outbox drained",
        )

    # Each consumer shows the lag of the partitions it holds (3 per topic here).
    def lag_partitions() -> set[str]:
        return {
            labels["partition"]
            for name, labels, _ in samples(scrape(services, "reporting"))
            if name == "gsi_consumer_lag" and labels.get("group") == "reporting.interventions"
        }

    eventually(
        lambda: lag_partitions() == {"0", "1", "2"}, timeout_s=30, what="reporting's lag per partition"
    )
    assert (
        figure(services, "reporting", "gsi_consumer_seconds_since_last_poll", group="reporting.interventions")
        < 30
    )

    # A poison record on registration's topic: interventions dead-letters it, once.
    assert figure(services, "interventions", "gsi_dead_letters") == 0
    producer = KafkaBus(kafka_bootstrap, namespace=namespace).producer()
    try:
        producer.publish([Message("gsi.registration", "poison", b"\xff\xfe not an event")])
    finally:
        producer.close()
    eventually(
        lambda: figure(services, "interventions", "gsi_dead_letters") == 1,
        timeout_s=60,
        what="the poison record dead-lettered",
    )
    dead_lettered = figure(
        services,
        "interventions",
        "gsi_consumer_messages_total",
        group="interventions.persons",
        outcome="dead_lettered",
    )
    assert dead_lettered == 1

    # D-15 before the deadline, not submitted: the scheduler records a reminder; its e-mail goes.
    clock.set(noon(D_MINUS_15))
    eventually(
        lambda: (
            figure(services, "notifications", "gsi_reminders_sent_total", kind="deadline_reminder") >= 1
            and figure(services, "notifications", "gsi_emails_total", outcome="sent") >= 1
        ),
        timeout_s=60,
        what="a reminder recorded and its e-mail sent",
    )
    assert figure(services, "notifications", "gsi_scheduler_runs_total", task="scheduler", outcome="ok") >= 1

    # A submission: reporting's reports per state.
    submitted = services.reporting.post(f"/reports/{ORG}/2026-2027-Q2/submit", headers=manager)
    assert submitted.status_code == 200, submitted.text
    assert figure(services, "reporting", "gsi_reports", state="submitted") == 1
    for name in ("registration", "interventions", "reporting", "notifications"):
        page = scrape(services, name)
        assert not [secret for secret in (CONTACT, ORG, "Haddad", "Amina") if secret in page], name
        assert value(page, "gsi_projection_checkpoint_lag", service=name) is not None
