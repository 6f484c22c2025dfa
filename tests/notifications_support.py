"""The notifications service in this process for the delivery tests: its kernel on SQLite or on a
PostgreSQL schema, a clock the test moves, notices recorded as the service records them, and
delivery workers the test runs pass by pass (the background workers stay off)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.runtime import Kernel
from notifications.bootstrap import build, delivery_worker
from notifications.container import Container
from notifications.deliveries.mailer import Mailer, SmtpMailer
from notifications.deliveries.projection import deliveries
from notifications.deliveries.worker import DeliveryWorker
from notifications.emails.samples import sample
from notifications.emails.templates import Renderer
from notifications.notices import domain as notice
from notifications.notices.values import Audience, NoticeKind, Recipient
from notifications.settings import NotificationsSettings
from tests.databases import postgres_schema

NOW = datetime(2026, 8, 21, 15, 0, tzinfo=UTC)
ORG = "org-estrie"

# Small numbers, so that a test walks a whole retry schedule in a few passes.
TEST_SETTINGS: dict[str, Any] = {
    "run_workers": False,
    "delivery_max_attempts": 3,
    "delivery_backoff_seconds": 60,
    "delivery_backoff_max_seconds": 90,
    "smtp_timeout_seconds": 2.0,
}


@dataclass
class Notifications:
    container: Container
    clock: FixedClock
    settings: NotificationsSettings

    @property
    def kernel(self) -> Kernel:
        return self.container.kernel

    def worker(
        self, mailer: Mailer | None = None, *, holder: str | None = None, **settings: Any
    ) -> DeliveryWorker:
        """A delivery worker of this instance (``settings``: changes to the service's)."""
        configured = self.settings.model_copy(update=settings)
        return delivery_worker(
            self.kernel, configured, Renderer(), mailer or SmtpMailer(configured), holder=holder
        )

    def notice(
        self,
        recipients: Sequence[Recipient],
        *,
        kind: NoticeKind = NoticeKind.REPORT_REJECTED,
        data: dict[str, Any] | None = None,
        key: str | None = None,
        organization: str = ORG,
    ) -> str:
        """Record a notice as the service does; return its stream id."""
        command = notice.RecordNotice(
            dedupe_key=key or f"{organization}:2026-2027-Q1:{kind}:{uuid.uuid4().hex[:8]}",
            kind=kind,
            organization_id=organization,
            audience=Audience.ORGANIZATION,
            quarter="2026-2027-Q1",
            title_fr="Avis",
            title_en="Notice",
            data=sample(kind) if data is None else data,
            recipients=tuple(recipients),
        )
        stream = notice.notice_stream(command.dedupe_key)
        self.kernel.writer.execute(
            stream, lambda history: notice.record(history, command), CommandContext.new("test", organization)
        )
        return stream

    def rows(self, **where: Any) -> list[dict[str, Any]]:
        """The delivery log (caught up first), oldest first; ``where``: column = value."""
        self.kernel.projections.catch_up()
        query = select(deliveries).order_by(deliveries.c.created_at, deliveries.c.recipient)
        for column, value in where.items():
            query = query.where(deliveries.c[column] == value)
        with self.kernel.db.transaction() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]

    def events(self, stream: str) -> list[EventEnvelope]:
        with self.kernel.db.transaction() as connection:
            return self.kernel.store.load(connection, stream)

    def types(self, stream: str) -> list[str]:
        return [e.type for e in self.events(stream)]


def drain(worker: DeliveryWorker, passes: int = 20) -> int:
    """Run passes until one handles nothing; return how many rows were handled in all."""
    total = 0
    for _ in range(passes):
        handled = worker.run_once()
        if not handled:
            return total
        total += handled
    return total


def recipient(email: str | None, name: str | None = None, language: str = "fr", **extra: Any) -> Recipient:
    return Recipient(email=email, name=name, language=language, **extra)


@contextmanager
def notifications_service(
    tmp_path: Path,
    smtp_settings: dict[str, Any],
    *,
    postgres_url: str | None = None,
    start: bool = True,
    **overrides: Any,
) -> Iterator[Notifications]:
    """The service's kernel, workers off; started (migrated, projections caught up) and stopped
    here unless ``start`` is False (an app's lifespan does it)."""
    with _database(postgres_url) as database:
        clock = FixedClock(NOW)
        values = {**TEST_SETTINGS, **database, **smtp_settings, **overrides}
        settings = NotificationsSettings(data_dir=tmp_path, **values)
        container = build(settings, clock=clock)
        if not start:
            yield Notifications(container, clock, settings)
            return
        container.kernel.start()
        try:
            yield Notifications(container, clock, settings)
        finally:
            container.kernel.stop()


def another_instance(service: Notifications) -> Notifications:
    """A second instance of the service on the same database and clock (started; stop it)."""
    container = build(service.settings, clock=service.clock)
    container.kernel.start()
    return Notifications(container, service.clock, service.settings)


@contextmanager
def _database(postgres_url: str | None) -> Iterator[dict[str, Any]]:
    if postgres_url is None:
        yield {}
        return
    with postgres_schema(postgres_url) as schema:
        yield {"database_url": postgres_url, "db_schema": schema}
