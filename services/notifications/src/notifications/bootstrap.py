"""Notifications' composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gsi_contracts import reporting
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import ConsumerSpec, Kernel, ServiceWiring
from gsi_kernel.settings import ServiceSettings
from notifications.api import inbox
from notifications.app import on_reporting
from notifications.app.handlers import Inbox
from notifications.domain.notice import EVENTS
from notifications.projections.inbox import InboxProjection

MIGRATIONS = Path(__file__).parent / "migrations"


def build_kernel(settings: ServiceSettings, *, clock: Clock | None = None, bus: Bus | None = None) -> Kernel:
    wiring = ServiceWiring(migrations=MIGRATIONS, registry=EVENTS, projections=[InboxProjection()])
    kernel = Kernel(settings, wiring, clock=clock, bus=bus)
    # The consumer writes through the kernel's writer, which exists only once the kernel does.
    wiring.consumers = [
        ConsumerSpec(on_reporting.CONSUMER, [reporting.TOPIC], on_reporting.handlers(kernel.writer))
    ]
    return kernel


def build_app(kernel: Kernel) -> FastAPI:
    return create_app(
        kernel,
        title="GSI — Notifications",
        description=(
            "Rappels et avis, courriel et boîte de réception / Reminders and notices, e-mail and inbox."
        ),
        routers=[inbox.router],
        state={"inbox": Inbox(kernel)},
    )
