"""Registration's composition root: the only place that wires engines, bus and handlers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gsi_contracts import registration as contract
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import Kernel, ServiceWiring
from gsi_kernel.settings import ServiceSettings
from registration.api import persons
from registration.app.handlers import Registration
from registration.app.publication import publish
from registration.domain.person import EVENTS
from registration.projections.persons import PersonsProjection

MIGRATIONS = Path(__file__).parent / "migrations"


def build_kernel(settings: ServiceSettings, *, clock: Clock | None = None, bus: Bus | None = None) -> Kernel:
    wiring = ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        published_topics=[contract.TOPIC],
        publisher=publish,
        projections=[PersonsProjection()],
    )
    return Kernel(settings, wiring, clock=clock, bus=bus)


def build_app(kernel: Kernel) -> FastAPI:
    return create_app(
        kernel,
        title="GSI — Inscription / Registration",
        description=(
            "Personnes immigrantes, admissibilité, consentements / Immigrant persons, eligibility, consent."
        ),
        routers=[persons.router],
        state={"registration": Registration(kernel)},
    )
