"""Interventions' composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gsi_contracts import interventions as contract
from gsi_contracts import registration
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import ConsumerSpec, Kernel, ServiceWiring
from gsi_kernel.settings import ServiceSettings
from interventions.api import interventions
from interventions.app.handlers import Interventions
from interventions.app.publication import publish
from interventions.domain.registry import EVENTS
from interventions.projections import persons
from interventions.projections.interventions import InterventionsProjection

MIGRATIONS = Path(__file__).parent / "migrations"


def build_kernel(settings: ServiceSettings, *, clock: Clock | None = None, bus: Bus | None = None) -> Kernel:
    wiring = ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        published_topics=[contract.TOPIC],
        publisher=publish,
        projections=[InterventionsProjection()],
        consumers=[ConsumerSpec(persons.CONSUMER, [registration.TOPIC], persons.HANDLERS)],
    )
    return Kernel(settings, wiring, clock=clock, bus=bus)


def build_app(kernel: Kernel) -> FastAPI:
    return create_app(
        kernel,
        title="GSI — Interventions",
        description="Interventions déclarées par les organismes / Interventions declared by organizations.",
        routers=[interventions.router],
        state={"interventions": Interventions(kernel)},
    )
