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
from reporting import registry_projection
from reporting.agreements import api as agreements
from reporting.agreements.app import Agreements
from reporting.calendar import api as calendar
from reporting.calendar.app import Calendars
from reporting.container import Container
from reporting.control import api as control
from reporting.control.queue import ReportLists
from reporting.event_registry import EVENTS
from reporting.exports import api as exports
from reporting.exports.app import AcceptedReportsExport
from reporting.knowledge import interventions as interventions_projection
from reporting.knowledge import persons as persons_projection
from reporting.knowledge.app import Knowledge
from reporting.metrics import register as register_metrics
from reporting.organizations import api as organizations
from reporting.organizations.app import Organizations
from reporting.performance import api as targets
from reporting.performance.app import Performance
from reporting.performance.indicators import ProgramIndicators
from reporting.registry_publication import publish_registry
from reporting.reports import api as reports
from reporting.reports.app import Reports
from reporting.reports.integrity import Audit
from reporting.reports.projection import ReportsProjection
from reporting.reports.publication import publish
from reporting.reports.queries import ReportQueries
from reporting.reports.verification import Verifier
from reporting.retention import projection as regionalization
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
    register_metrics(kernel)  # the service's own figures on /metrics (docs/metrics.md)
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
