"""Interventions' composition root: declarations and their checks, group sessions, lock
exceptions, imports, the catalogue, action plans and regionalization follow-ups."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from gsi_contracts import interventions as contract
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import Kernel, ServiceWiring
from gsi_kernel.store.outbox import Publication
from interventions import registration_persons as persons
from interventions import reporting_facts as reporting_events
from interventions.action_plans import api as action_plans
from interventions.action_plans.app import ActionPlans
from interventions.action_plans.projection import ActionPlansProjection
from interventions.action_plans.publication import publish_plans
from interventions.adapters.spreadsheets.import_file import Spreadsheets
from interventions.catalogue import api as catalogue
from interventions.catalogue.app import CatalogueAdmin
from interventions.checks import api as checks
from interventions.checks.app import DeclarationChecks
from interventions.checks.checking import Checker
from interventions.container import Container
from interventions.declarations import api as interventions
from interventions.declarations.admission import Admission
from interventions.declarations.app import Interventions
from interventions.event_registry import EVENTS
from interventions.imports import api as imports
from interventions.imports.app import Imports, Limits
from interventions.imports.history import ImportHistory
from interventions.interventions_projection import InterventionsProjection
from interventions.knowledge import Knowledge
from interventions.lock_exceptions import api as lock_exceptions
from interventions.lock_exceptions.app import LockExceptions
from interventions.metrics import register as register_metrics
from interventions.publication import publish
from interventions.queries import InterventionQueries
from interventions.regionalization import api as regionalization
from interventions.regionalization.app import RegionalizationFollowUps
from interventions.regionalization.projection import RegionalizationProjection
from interventions.sessions import api as sessions
from interventions.sessions.app import GroupSessions
from interventions.settings import InterventionsSettings
from interventions.tables import reviewer_assignments

MIGRATIONS = Path(__file__).parent / "migrations"


def publish_all(event: EventEnvelope) -> list[Publication]:
    return [*publish(event), *publish_plans(event)]


def build(
    settings: InterventionsSettings, *, clock: Clock | None = None, bus: Bus | None = None, **overrides: Any
) -> Container:
    """The kernel and every use case of the API, built once in dependency order; ``overrides``
    replace use cases by field name (a test's stand-in)."""
    kernel = Kernel(settings, _wiring(), clock=clock, bus=bus)
    register_metrics(kernel)  # the service's own figures on /metrics (docs/metrics.md)
    db, writer, clock_, store = kernel.db, kernel.writer, kernel.clock, kernel.store
    program = settings.program
    knowledge = Knowledge(default_volets=frozenset(settings.default_agreement_volets.split(",")))
    checker = Checker(knowledge, program=program)
    # One admission for every write: publishing a catalogue forgets the books all of them use.
    gate = Admission(clock=clock_, knowledge=knowledge, checker=checker, program=program)
    imports_ = Imports(
        db=db,
        writer=writer,
        clock=clock_,
        admission=gate,
        files=Spreadsheets(),
        limits=Limits(max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows),
        executor=ThreadPoolExecutor(max_workers=settings.import_workers, thread_name_prefix="import"),
    )
    container = Container(
        kernel=kernel,
        interventions=Interventions(db=db, writer=writer, admission=gate),
        declaration_checks=DeclarationChecks(db=db, admission=gate),
        sessions=GroupSessions(db=db, writer=writer, admission=gate),
        intervention_queries=InterventionQueries(db=db, store=store),
        lock_exceptions=LockExceptions(db=db, writer=writer, admission=gate),
        imports=imports_,
        import_history=ImportHistory(db=db, imports=imports_),
        catalogue=CatalogueAdmin(db=db, store=store, writer=writer, admission=gate, program=program),
        action_plans=ActionPlans(db=db, store=store, writer=writer, clock=clock_),
        regionalization=RegionalizationFollowUps(db=db, writer=writer, clock=clock_),
    )
    return replace(container, **overrides) if overrides else container


def _wiring() -> ServiceWiring:
    return ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        published_topics=[contract.TOPIC],
        publisher=publish_all,
        projections=[InterventionsProjection(), ActionPlansProjection(), RegionalizationProjection()],
        consumers=[persons.consumer(), reporting_events.consumer()],
        reviewer_assignments=reviewer_assignments,
    )


def build_app(container: Container) -> FastAPI:
    return create_app(
        container,
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
    )
