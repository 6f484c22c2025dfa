"""Notifications' composition root (issue 20, section 3): ``bootstrap.build`` returns a typed
container, built once and in order — its consumers, which record notices with the kernel's
writer, are added to the kernel once that writer exists, not written into a wiring the kernel
already holds — the routes take their use cases from the container (not from names in
``app.state``), the use cases and workers get the narrow dependencies they use (never the
kernel), and each consumer of another service's topic is built by one ``consumer()``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsi_contracts import interventions, reporting
from gsi_kernel.auth import Principal
from gsi_kernel.clock import FixedClock
from gsi_kernel.consumer import dead_letter_topic
from gsi_kernel.runtime import ConsumerSpec
from notifications.bootstrap import build, build_app, delivery_worker, scheduler
from notifications.container import Container
from notifications.inbox.app import Inbox
from notifications.settings import NotificationsSettings
from notifications.workflow import interventions_consumer, reporting_consumer
from tests.consumers import deliver, published
from tests.e2e.flow import token

NOW = datetime(2026, 8, 21, 15, 0, tzinfo=UTC)
ORG = "org-estrie"


class StandIn(Inbox):
    """An inbox that answers without a database: which object served."""

    def __init__(self) -> None:  # no database to read
        pass

    def unread_count(self, principal: Principal) -> int:
        return 4242


@pytest.fixture
def container(tmp_path: Path) -> Iterator[Container]:
    built = build(NotificationsSettings(data_dir=tmp_path, run_workers=False), clock=FixedClock(NOW))
    yield built
    built.kernel.db.dispose()


def _unread(container: Container) -> Any:
    with TestClient(build_app(container)) as client:
        reader = token(client, user_id=f"staff@{ORG}", roles=["org_staff"], organization=ORG)
        response = client.get("/inbox/unread-count", headers=reader)
        assert response.status_code == 200, response.text
        return response.json()


def test_build_returns_a_typed_container_the_use_cases_share_its_kernel(container: Container) -> None:
    assert isinstance(container, Container)
    fields = [f.name for f in dataclasses.fields(Container)]
    assert fields == ["kernel", "renderer", "inbox", "delivery_log", "schedule"]
    kernel = container.kernel
    # The writer and database the use cases use are the kernel's (none built beside them).
    assert container.inbox._writer is kernel.writer
    assert container.inbox._db is kernel.db
    assert container.inbox._renderer is container.renderer
    assert container.delivery_log._writer is kernel.writer
    assert container.schedule._store is kernel.store
    assert container.schedule._writer is kernel.writer


def test_a_route_uses_the_use_case_the_container_holds(container: Container) -> None:
    assert _unread(dataclasses.replace(container, inbox=StandIn())) == {"unread": 4242}


def test_build_takes_overrides_by_field_name(tmp_path: Path) -> None:
    settings = NotificationsSettings(data_dir=tmp_path, run_workers=False)
    built = build(settings, clock=FixedClock(NOW), inbox=StandIn())
    try:
        assert isinstance(built.inbox, StandIn)
        assert _unread(built) == {"unread": 4242}
    finally:
        built.kernel.db.dispose()


def test_the_real_use_cases_answer_and_app_state_holds_no_named_ones(container: Container) -> None:
    app = build_app(container)
    assert app.state.container is container
    for name in ("inbox", "delivery_log", "renderer", "schedule"):
        assert not hasattr(app.state, name), name
    assert _unread(container) == {"unread": 0}


def test_the_two_consumers_are_in_the_kernel_before_it_starts(container: Container) -> None:
    kernel = container.kernel
    assert {spec.name: list(spec.topics) for spec in kernel.consumers} == {
        "notifications.reporting": [reporting.TOPIC],
        "notifications.interventions": [interventions.TOPIC],
    }
    # Their topics and dead-letter topics are created at start (the kernel asks for them).
    names = {topic.name for topic in kernel.topics()}
    for consumer in ("notifications.reporting", "notifications.interventions"):
        assert dead_letter_topic(consumer) in names
    assert {reporting.TOPIC, interventions.TOPIC} <= names


def test_a_consumer_records_its_notice_with_the_kernels_writer(container: Container) -> None:
    kernel = container.kernel
    kernel.migrate()
    granted = interventions.LockExceptionGranted(
        exception_id="exc-1", organization_id=ORG, quarter="2026-2027-Q1", valid_until=date(2026, 9, 30)
    )
    assert deliver(kernel, published(granted, occurred_at=NOW)) == 1
    kernel.projections.catch_up()
    assert _unread(container) == {"unread": 1}


def test_each_consumer_is_built_by_its_module(container: Container) -> None:
    for module, name, topic in (
        (reporting_consumer, "notifications.reporting", reporting.TOPIC),
        (interventions_consumer, "notifications.interventions", interventions.TOPIC),
    ):
        spec = module.consumer(container.kernel.writer)
        assert isinstance(spec, ConsumerSpec)
        assert (spec.name, list(spec.topics)) == (name, [topic])
        assert spec.handlers
        assert not hasattr(module, "handlers"), f"{module.__name__}: a second way to build it"


def test_a_consumer_added_once_the_kernel_started_is_refused(tmp_path: Path) -> None:
    settings = NotificationsSettings(data_dir=tmp_path, run_workers=False)
    kernel = build(settings, clock=FixedClock(NOW)).kernel
    kernel.start()
    try:
        with pytest.raises(RuntimeError, match="after the kernel started"):
            kernel.add_consumer(reporting_consumer.consumer(kernel.writer))
    finally:
        kernel.stop()


def test_the_workers_get_the_kernels_parts(container: Container) -> None:
    kernel = container.kernel
    settings = NotificationsSettings(run_workers=False)
    ticking = scheduler(kernel, lease_seconds=120, holder="test")
    assert ticking._writer is kernel.writer
    assert ticking._db is kernel.db
    assert ticking._clock is kernel.clock
    assert ticking._lease_clock is kernel.lease_clock
    sending = delivery_worker(kernel, settings, container.renderer, _NoMail(), holder="test")
    assert sending._writer is kernel.writer
    assert sending._db is kernel.db
    assert sending._telemetry is kernel.telemetry


class _NoMail:
    def send(self, message: Any, *, to: str) -> None:
        raise AssertionError("nothing is sent here")

    def close(self) -> None:
        pass
