"""Notifications' composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gsi_contracts import interventions, reporting
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import ConsumerSpec, Kernel, ServiceWiring
from notifications.api import deliveries, inbox, preview, schedule
from notifications.app import on_interventions, on_reporting
from notifications.app.deliveries import DeliveryLog
from notifications.app.delivery import DeliveryWorker
from notifications.app.handlers import Inbox
from notifications.app.mailer import Mailer, SmtpMailer
from notifications.app.schedule_admin import ScheduleAdmin
from notifications.app.scheduler import Scheduler
from notifications.app.templates import Renderer
from notifications.domain.registry import EVENTS
from notifications.projections import workflow
from notifications.projections.deliveries import DeliveryLogProjection
from notifications.projections.directory import DirectoryProjection
from notifications.projections.inbox import InboxProjection
from notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def build_kernel(
    settings: NotificationsSettings,
    *,
    clock: Clock | None = None,
    bus: Bus | None = None,
    mailer: Mailer | None = None,
) -> Kernel:
    wiring = ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        projections=[InboxProjection(), DirectoryProjection(), DeliveryLogProjection()],
        # A reviewer reads the notices of the organizations reporting assigns them (ADR 23).
        reviewer_assignments=workflow.reviewer_assignments,
    )
    kernel = Kernel(settings, wiring, clock=clock, bus=bus)
    # The consumers write through the kernel's writer, which exists only once the kernel does.
    wiring.consumers = [
        ConsumerSpec(on_reporting.CONSUMER, [reporting.TOPIC], on_reporting.handlers(kernel.writer)),
        ConsumerSpec(
            on_interventions.CONSUMER, [interventions.TOPIC], on_interventions.handlers(kernel.writer)
        ),
    ]
    renderer = Renderer(portal_url=settings.portal_url)
    kernel.add_worker(
        "scheduler",
        lambda: Scheduler(
            kernel,
            lease_seconds=settings.scheduler_lease_seconds,
            default_due_days=settings.default_submission_days_after_quarter_end,
        ),
        idle_s=settings.scheduler_interval_seconds,
    )
    kernel.add_worker(
        "delivery",
        lambda: DeliveryWorker(kernel, settings, renderer, mailer or SmtpMailer(settings)),
        idle_s=settings.delivery_poll_seconds,
    )
    return kernel


def build_app(kernel: Kernel) -> FastAPI:
    settings = kernel.settings
    assert isinstance(settings, NotificationsSettings)
    renderer = Renderer(portal_url=settings.portal_url)
    return create_app(
        kernel,
        title="GSI — Notifications",
        description=(
            "Rappels et avis, courriel et boîte de réception / Reminders and notices, e-mail and inbox."
        ),
        routers=[inbox.router, deliveries.router, preview.router, schedule.router],
        state={
            "inbox": Inbox(kernel, renderer),
            "delivery_log": DeliveryLog(kernel),
            "renderer": renderer,
            "schedule": ScheduleAdmin(kernel),
        },
    )
