"""Interventions' composition root."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import FastAPI

from gsi_contracts import interventions as contract
from gsi_contracts import registration, reporting
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import ConsumerSpec, Kernel, ServiceWiring
from gsi_kernel.store.outbox import Publication
from interventions.adapters.spreadsheets.import_file import Spreadsheets
from interventions.api import (
    action_plans,
    catalogue,
    checks,
    imports,
    interventions,
    lock_exceptions,
    regionalization,
    sessions,
)
from interventions.app.action_plans import ActionPlans
from interventions.app.admission import Admission
from interventions.app.catalogue import CatalogueAdmin
from interventions.app.checking import Checker
from interventions.app.declaration_checks import DeclarationChecks
from interventions.app.import_history import ImportHistory
from interventions.app.imports import Imports, Limits
from interventions.app.interventions import Interventions
from interventions.app.knowledge import Knowledge
from interventions.app.lock_exceptions import LockExceptions
from interventions.app.plans_publication import publish_plans
from interventions.app.publication import publish
from interventions.app.queries import InterventionQueries
from interventions.app.regionalization import RegionalizationFollowUps
from interventions.app.sessions import GroupSessions
from interventions.domain.registry import EVENTS
from interventions.projections import persons
from interventions.projections import reporting as reporting_events
from interventions.projections.interventions import InterventionsProjection
from interventions.projections.plans import ActionPlansProjection, RegionalizationProjection
from interventions.projections.tables import reviewer_assignments
from interventions.settings import InterventionsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def publish_all(event: EventEnvelope) -> list[Publication]:
    return [*publish(event), *publish_plans(event)]


def build_kernel(
    settings: InterventionsSettings, *, clock: Clock | None = None, bus: Bus | None = None
) -> Kernel:
    wiring = ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        published_topics=[contract.TOPIC],
        publisher=publish_all,
        projections=[InterventionsProjection(), ActionPlansProjection(), RegionalizationProjection()],
        # Each writes rows of the command's own streams only: they go inline (ADR 16), so a
        # declaration is one transaction, not two.
        inline_projections=True,
        consumers=[
            ConsumerSpec(persons.CONSUMER, [registration.TOPIC], persons.HANDLERS),
            ConsumerSpec(reporting_events.CONSUMER, [reporting.TOPIC], reporting_events.HANDLERS),
        ],
        reviewer_assignments=reviewer_assignments,
    )
    return Kernel(settings, wiring, clock=clock, bus=bus)


def build_app(kernel: Kernel) -> FastAPI:
    settings = kernel.settings
    assert isinstance(settings, InterventionsSettings)
    knowledge = Knowledge(default_volets=frozenset(settings.default_agreement_volets.split(",")))
    gate = Admission(
        kernel, knowledge, Checker(knowledge, program=settings.program), program=settings.program
    )
    executor = ThreadPoolExecutor(max_workers=settings.import_workers, thread_name_prefix="import")
    limits = Limits(max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows)
    imports_app = Imports(kernel, gate, files=Spreadsheets(), limits=limits, executor=executor)
    return create_app(
        kernel,
        title="GSI — Interventions",
        description=(
            "Interventions déclarées par les organismes, contrôles de conformité, plans d'action, "
            "régionalisation, importations / Interventions declared by organizations, conformity "
            "checks, action plans, regionalization, imports."
        ),
        routers=[
            checks.router,
            interventions.router,
            sessions.router,
            action_plans.router,
            regionalization.router,
            lock_exceptions.router,
            imports.router,
            catalogue.router,
        ],
        state={
            "interventions": Interventions(kernel, gate),
            "declaration_checks": DeclarationChecks(kernel, gate),
            "intervention_queries": InterventionQueries(kernel),
            "sessions": GroupSessions(kernel, gate),
            "lock_exceptions": LockExceptions(kernel, gate),
            "imports": imports_app,
            "import_history": ImportHistory(kernel, imports_app),
            "catalogue": CatalogueAdmin(kernel, gate, program=settings.program),
            "action_plans": ActionPlans(kernel),
            "regionalization": RegionalizationFollowUps(kernel),
        },
    )
