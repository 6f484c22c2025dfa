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
from interventions.container import Container
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


def build(
    settings: InterventionsSettings, *, clock: Clock | None = None, bus: Bus | None = None, **overrides: Any
) -> Container:
    """The kernel and every use case of the API, built once in dependency order; ``overrides``
    replace use cases by field name (a test's stand-in)."""
    kernel = Kernel(settings, _wiring(), clock=clock, bus=bus)
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
        sessions=GroupSessions(writer=writer, admission=gate),
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
