"""Notifications' composition root: the kernel, the consumers and workers that record and send
notices, and the use cases of the API, built once, in order, into a :class:`Container`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import Kernel, ServiceWiring
from notifications.container import Container
from notifications.deliveries import api as deliveries_api
from notifications.deliveries.app import DeliveryLog
from notifications.deliveries.mailer import Mailer, SmtpMailer
from notifications.deliveries.projection import DeliveryLogProjection
from notifications.deliveries.worker import DeliveryDeps, DeliveryWorker
from notifications.emails import api as emails_api
from notifications.emails.templates import Renderer
from notifications.event_registry import EVENTS
from notifications.inbox import api as inbox_api
from notifications.inbox.app import Inbox
from notifications.inbox.projection import InboxProjection
from notifications.metrics import register as register_metrics
from notifications.notices.directory import DirectoryProjection
from notifications.reminders import api as reminders_api
from notifications.reminders.app import ScheduleAdmin
from notifications.reminders.scheduler import Scheduler
from notifications.settings import NotificationsSettings
from notifications.workflow import interventions_consumer, reporting_consumer
from notifications.workflow import tables as workflow

MIGRATIONS = Path(__file__).parent / "migrations"


def build(
    settings: NotificationsSettings,
    *,
    clock: Clock | None = None,
    bus: Bus | None = None,
    mailer: Mailer | None = None,
    **overrides: Any,
) -> Container:
    """The kernel, its consumers and workers, and every use case of the API, built once in
    dependency order. ``mailer``: what the delivery worker sends through (by default SMTP, from
    the settings); ``overrides`` replace use cases by field name (a test's stand-in)."""
    wiring = ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        projections=[InboxProjection(), DirectoryProjection(), DeliveryLogProjection()],
        # A reviewer reads the notices of the organizations reporting assigns them (ADR 23).
        reviewer_assignments=workflow.reviewer_assignments,
    )
    kernel = Kernel(settings, wiring, clock=clock, bus=bus)
    register_metrics(kernel)  # the service's own figures on /metrics (docs/metrics.md)
    # The consumers record notices with the kernel's writer: added once it exists.
    kernel.add_consumer(reporting_consumer.consumer(kernel.writer))
    kernel.add_consumer(interventions_consumer.consumer(kernel.writer))
    renderer = Renderer(portal_url=settings.portal_url)
    kernel.add_worker(
        "scheduler",
        lambda: scheduler(
            kernel,
            lease_seconds=settings.scheduler_lease_seconds,
            default_due_days=settings.default_submission_days_after_quarter_end,
        ),
        idle_s=settings.scheduler_interval_seconds,
    )
    kernel.add_worker(
        "delivery",
        lambda: delivery_worker(kernel, settings, renderer, mailer or SmtpMailer(settings)),
        idle_s=settings.delivery_poll_seconds,
    )
    container = Container(
        kernel=kernel,
        renderer=renderer,
        inbox=Inbox(db=kernel.db, writer=kernel.writer, renderer=renderer),
        delivery_log=DeliveryLog(db=kernel.db, writer=kernel.writer),
        schedule=ScheduleAdmin(db=kernel.db, store=kernel.store, writer=kernel.writer),
    )
    return replace(container, **overrides) if overrides else container


def scheduler(
    kernel: Kernel, *, lease_seconds: float, holder: str | None = None, default_due_days: int = 30
) -> Scheduler:
    """The reminder scheduler on this kernel (the running one, or one a test ticks by hand)."""
    return Scheduler(
        db=kernel.db,
        store=kernel.store,
        writer=kernel.writer,
        clock=kernel.clock,
        # The lease is between processes: on the unshifted clock (see Kernel.lease_clock).
        lease_clock=kernel.lease_clock,
        lease_seconds=lease_seconds,
        holder=holder,
        default_due_days=default_due_days,
    )


def delivery_worker(
    kernel: Kernel,
    settings: NotificationsSettings,
    renderer: Renderer,
    mailer: Mailer,
    *,
    holder: str | None = None,
) -> DeliveryWorker:
    """A delivery worker on this kernel (the running one, or one a test runs pass by pass)."""
    deps = DeliveryDeps(
        db=kernel.db,
        writer=kernel.writer,
        clock=kernel.clock,
        telemetry=kernel.telemetry,
    )
    return DeliveryWorker(deps, settings, renderer, mailer, holder=holder)


def build_app(container: Container) -> FastAPI:
    return create_app(
        container,
        title="GSI — Notifications",
        description=(
            "Rappels et avis, courriel et boîte de réception / Reminders and notices, e-mail and inbox."
        ),
        routers=[inbox_api.router, deliveries_api.router, emails_api.router, reminders_api.router],
    )
