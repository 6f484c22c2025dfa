"""Reporting's composition root: the report workflow and calendars, the organization registry
(organizations, agreements, targets, reviewer assignments) and the performance dashboards."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from gsi_contracts import interventions, registration
from gsi_contracts import reporting as contract
from gsi_kernel.bus.port import Bus
from gsi_kernel.clock import Clock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.http.app import create_app
from gsi_kernel.runtime import ConsumerSpec, Kernel, ServiceWiring
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
from reporting.domain.registry import EVENTS
from reporting.projections import interventions as interventions_projection
from reporting.projections import performance, regionalization
from reporting.projections import persons as persons_projection
from reporting.projections import registry as registry_projection
from reporting.projections.reports import ReportsProjection
from reporting.settings import ReportingSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def publish_all(event: EventEnvelope) -> list[Publication]:
    return [*publish(event), *publish_registry(event)]


def build_kernel(
    settings: ReportingSettings, *, clock: Clock | None = None, bus: Bus | None = None
) -> Kernel:
    wiring = ServiceWiring(
        migrations=MIGRATIONS,
        registry=EVENTS,
        published_topics=[contract.TOPIC],
        publisher=publish_all,
        projections=[ReportsProjection(), registry_projection.RegistryProjection()],
        consumers=[
            ConsumerSpec(
                interventions_projection.CONSUMER, [interventions.TOPIC], interventions_projection.HANDLERS
            ),
            ConsumerSpec(persons_projection.CONSUMER, [registration.TOPIC], persons_projection.HANDLERS),
            ConsumerSpec(performance.CONSUMER, [interventions.TOPIC], performance.HANDLERS),
            ConsumerSpec(regionalization.CONSUMER, [interventions.TOPIC], regionalization.HANDLERS),
        ],
        # A reviewer's organizations: the registry's own assignments, on each request (ADR 23).
        reviewer_assignments=registry_projection.reviewer_assignments,
    )
    return Kernel(settings, wiring, clock=clock, bus=bus)


def build_app(kernel: Kernel) -> FastAPI:
    settings = kernel.settings
    assert isinstance(settings, ReportingSettings)
    verifier = Verifier(Knowledge(program=settings.program))
    return create_app(
        kernel,
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
        state={
            "reports": Reports(kernel, verifier, program=settings.program),
            "exports": AcceptedReportsExport(kernel),
            "program_indicators": ProgramIndicators(kernel),
            "report_queries": ReportQueries(kernel, program=settings.program),
            "report_audit": Audit(kernel, verifier),
            "report_lists": ReportLists(kernel, program=settings.program),
            "calendars": Calendars(kernel),
            "organizations": Organizations(kernel),
            "agreements": Agreements(kernel),
            "performance": Performance(kernel),
        },
    )
