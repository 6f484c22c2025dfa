"""Reporting's composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gsi_contracts import interventions
from gsi_contracts import reporting as contract
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import ConsumerSpec, Kernel, ServiceWiring
from gsi_kernel.settings import ServiceSettings
from reporting.api import reports
from reporting.app.handlers import Reports
from reporting.app.publication import publish
from reporting.domain.report import EVENTS
from reporting.projections import interventions as interventions_projection
from reporting.projections.reports import ReportsProjection

MIGRATIONS = Path(__file__).parent / "migrations"


def build_kernel(settings: ServiceSettings, *, clock: Clock | None = None, bus: Bus | None = None) -> Kernel:
    wiring = ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        published_topics=[contract.TOPIC],
        publisher=publish,
        projections=[ReportsProjection()],
        consumers=[
            ConsumerSpec(
                interventions_projection.CONSUMER, [interventions.TOPIC], interventions_projection.HANDLERS
            )
        ],
    )
    return Kernel(settings, wiring, clock=clock, bus=bus)


def build_app(kernel: Kernel) -> FastAPI:
    return create_app(
        kernel,
        title="GSI — Reddition de comptes / Reporting",
        description="Rapports trimestriels / Quarterly reports.",
        routers=[reports.router],
        state={"reports": Reports(kernel)},
    )
