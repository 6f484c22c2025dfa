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
from notifications.api import deliveries, inbox, preview, schedule
from notifications.app import on_interventions, on_reporting
from notifications.app.deliveries import DeliveryLog
from notifications.app.delivery import DeliveryDeps, DeliveryWorker
from notifications.app.handlers import Inbox
from notifications.app.mailer import Mailer, SmtpMailer
from notifications.app.schedule_admin import ScheduleAdmin
from notifications.app.scheduler import Scheduler
from notifications.app.templates import Renderer
from notifications.container import Container
from notifications.domain.registry import EVENTS
from notifications.projections import workflow
from notifications.projections.deliveries import DeliveryLogProjection
from notifications.projections.directory import DirectoryProjection
from notifications.projections.inbox import InboxProjection
from notifications.settings import NotificationsSettings

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
    # The consumers record notices with the kernel's writer: added once it exists.
    kernel.add_consumer(on_reporting.consumer(kernel.writer))
    kernel.add_consumer(on_interventions.consumer(kernel.writer))
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
        routers=[inbox.router, deliveries.router, preview.router, schedule.router],
    )
