"""Reporting's composition root: the report workflow and calendars, the organization registry
(organizations, agreements, targets, reviewer assignments) and the performance dashboards."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from gsi_contracts import reporting as contract
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import Kernel, ServiceWiring
from gsi_kernel.store.outbox import Publication
from reporting.api import agreements, calendar, control, exports, organizations, reports, targets
from reporting.app.calendar import Calendars
from reporting.app.exports import AcceptedReportsExport
from reporting.app.handlers import Reports
from reporting.app.integrity import Audit
from reporting.app.knowledge import Knowledge
from reporting.app.program_indicators import ProgramIndicators
from reporting.app.publication import publish
from reporting.app.queries import ReportQueries
from reporting.app.queue import ReportLists
from reporting.app.registry import Organizations
from reporting.app.registry_agreements import Agreements
from reporting.app.registry_publication import publish_registry
from reporting.app.targets import Performance
from reporting.app.verification import Verifier
from reporting.container import Container
from reporting.domain.registry import EVENTS
from reporting.projections import interventions as interventions_projection
from reporting.projections import persons as persons_projection
from reporting.projections import regionalization
from reporting.projections import registry as registry_projection
from reporting.projections.reports import ReportsProjection
from reporting.settings import ReportingSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def publish_all(event: EventEnvelope) -> list[Publication]:
    return [*publish(event), *publish_registry(event)]


def build(
    settings: ReportingSettings, *, clock: Clock | None = None, bus: Bus | None = None, **overrides: Any
) -> Container:
    """The kernel and every use case of the API, built once in dependency order; ``overrides``
    replace use cases by field name (a test's stand-in)."""
    kernel = Kernel(settings, _wiring(), clock=clock, bus=bus)
    db, writer, clock_ = kernel.db, kernel.writer, kernel.clock
    program = settings.program
    verifier = Verifier(Knowledge(program=program))
    container = Container(
        kernel=kernel,
        reports=Reports(writer=writer, db=db, clock=clock_, verifier=verifier, program=program),
        report_queries=ReportQueries(db=db, clock=clock_, program=program),
        report_audit=Audit(db=db, store=kernel.store, clock=clock_, verifier=verifier),
        report_lists=ReportLists(db=db, clock=clock_, program=program),
        calendars=Calendars(writer=writer, db=db),
        organizations=Organizations(writer=writer, db=db),
        agreements=Agreements(writer=writer, db=db),
        performance=Performance(db),
        program_indicators=ProgramIndicators(db),
        exports=AcceptedReportsExport(db),
    )
    return replace(container, **overrides) if overrides else container


def _wiring() -> ServiceWiring:
    return ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        published_topics=[contract.TOPIC],
        publisher=publish_all,
        projections=[ReportsProjection(), registry_projection.RegistryProjection()],
        consumers=[
            interventions_projection.consumer(),
            persons_projection.consumer(),
            regionalization.consumer(),
        ],
        # A reviewer's organizations: the registry's own assignments, on each request (ADR 23).
        reviewer_assignments=registry_projection.reviewer_assignments,
    )


def build_app(container: Container) -> FastAPI:
    return create_app(
        container,
        title="GSI — Reddition de comptes / Reporting",
        description=(
            "Rapports trimestriels (vérification, soumission, contrôle, verrouillage), calendrier, "
            "organismes, conventions et cibles / Quarterly reports (verify, submit, control, lock), "
            "calendar, organizations, agreements and targets."
        ),
        routers=[
            control.router,
            reports.router,
            calendar.router,
            organizations.router,
            organizations.reviewers_router,
            agreements.router,
            targets.router,
            targets.indicators_router,
            exports.router,
            exports.indicators_router,
        ],
    )
