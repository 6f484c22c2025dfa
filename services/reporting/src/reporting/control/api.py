"""HTTP resource: the ministry's control of reports — the work queue, lists and overview, take
a report under control, accept or reject it, lock it; and an admin's unlock.

A reviewer acts only for the organizations assigned to them (the registry's assignments, ADR 23);
another organization's report answers 404, as a report that does not exist would."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from gsi_kernel.fields import FiscalYear, Line, Region
from gsi_kernel.fields import Quarter as QuarterCode
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, Ministry, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from reporting.control.queue import QueueFilters, ReportFilters
from reporting.deps import ListsDep, QueriesDep, ReportsDep
from reporting.reports.api import OrganizationId, Quarter, step_then_view
from reporting.reports.app import parse_quarter
from reporting.reports.events import RejectedItem
from reporting.reports.schemas import (
    AcceptBody,
    QuarterOverview,
    QueueEntry,
    ReasonBody,
    RejectBody,
    ReportRow,
    ReportView,
    ResubmissionWindowView,
)

router = authenticated_router(prefix="/reports", tags=["contrôle / control"])

State = Literal["draft", "submitted", "under_control", "accepted", "rejected", "locked"]


@router.get("/queue", response_model=Page[QueueEntry])
async def work_queue(
    principal: Ministry,
    lists: ListsDep,
    page: Pagination,
    quarter: QuarterCode | None = None,
    state: Literal["submitted", "under_control"] | None = None,
    organization_id: Annotated[Line | None, Query(max_length=100)] = None,
    region: Annotated[Region | None, Query(description="Région desservie / Region served")] = None,
) -> Page[QueueEntry]:
    """File de travail : rapports soumis ou en contrôle des organismes assignés, en retard
    d'abord, puis par échéance de contrôle, avec leur âge ; filtrés par trimestre, état, organisme
    ou région desservie / Work queue: submitted or under-control reports of the assigned
    organizations, late ones first, then by control deadline, with their age; filtered by
    quarter, state, organization or region served."""
    filters = QueueFilters(quarter, state, organization_id, region)
    rows, total = await run_short(
        lambda: lists.queue(principal, filters, offset=page.offset, limit=page.limit)
    )
    return Page(
        items=[QueueEntry.model_validate(r) for r in rows], total=total, offset=page.offset, limit=page.limit
    )


@router.get("", response_model=Page[ReportRow])
async def list_reports(
    principal: Reader,
    lists: ListsDep,
    page: Pagination,
    quarter: QuarterCode | None = None,
    state: State | None = None,
    organization_id: Annotated[Line | None, Query(max_length=100)] = None,
) -> Page[ReportRow]:
    """Rapports visibles, filtrés / Visible reports, filtered."""
    filters = ReportFilters(quarter, state, organization_id)
    rows, total = await run_short(
        lambda: lists.listing(principal, filters, offset=page.offset, limit=page.limit)
    )
    return Page(
        items=[ReportRow.model_validate(r) for r in rows], total=total, offset=page.offset, limit=page.limit
    )


@router.get("/overview", response_model=list[QuarterOverview])
async def overview(
    principal: Reader,
    lists: ListsDep,
    fiscal_year: Annotated[FiscalYear, Query(examples=["2026-2027"])],
) -> list[QuarterOverview]:
    """Par trimestre de l'exercice : rapports par état, soumissions en retard / Per quarter of the
    fiscal year: reports by state, late submissions."""
    return await run_short(
        lambda: [QuarterOverview.model_validate(q) for q in lists.overview(principal, fiscal_year)]
    )


@router.post("/{organization_id}/{quarter}/take", response_model=ReportView)
async def take_report(
    organization_id: OrganizationId,
    quarter: Quarter,
    principal: Ministry,
    reports: ReportsDep,
    queries: QueriesDep,
) -> ReportView:
    """Prendre le rapport en contrôle / Take the report under control."""
    return await step_then_view(
        lambda period, context: reports.take(organization_id, period, principal, context),
        queries,
        organization_id,
        quarter,
        principal,
    )


@router.post("/{organization_id}/{quarter}/accept", response_model=ReportView)
async def accept_report(
    organization_id: OrganizationId,
    quarter: Quarter,
    body: AcceptBody,
    principal: Ministry,
    reports: ReportsDep,
    queries: QueriesDep,
) -> ReportView:
    """Accepter ; s'il reste des erreurs bloquantes, seulement avec un motif explicite / Accept;
    while blocking errors remain, only with an explicit reason."""
    return await step_then_view(
        lambda period, context: reports.accept(
            organization_id, period, body.override_reason, principal, context
        ),
        queries,
        organization_id,
        quarter,
        principal,
    )


@router.post("/{organization_id}/{quarter}/reject", response_model=ReportView)
async def reject_report(
    organization_id: OrganizationId,
    quarter: Quarter,
    body: RejectBody,
    principal: Ministry,
    reports: ReportsDep,
    queries: QueriesDep,
) -> ReportView:
    """Refuser : motif global et motifs par intervention ; l'organisme a un délai pour resoumettre /
    Reject: a global reason and reasons per intervention; the organization has a deadline to resubmit."""
    items = [RejectedItem(intervention_id=i.intervention_id, reason=i.reason) for i in body.items]
    return await step_then_view(
        lambda period, context: reports.reject(
            organization_id,
            period,
            body.reason,
            items,
            principal,
            context,
            resubmission_due=body.resubmission_due,
        ),
        queries,
        organization_id,
        quarter,
        principal,
    )


@router.get("/{organization_id}/{quarter}/resubmission-window", response_model=ResubmissionWindowView)
async def resubmission_window(
    organization_id: OrganizationId, quarter: Quarter, principal: Ministry, reports: ReportsDep
) -> ResubmissionWindowView:
    """Délai de resoumission qu'un refus fait aujourd'hui donnerait par défaut, et les jours
    qu'on peut choisir / The resubmission deadline a rejection made today would give by default,
    and the days one may choose instead."""
    w = await run_short(
        lambda: reports.resubmission_window(organization_id, parse_quarter(quarter), principal)
    )
    return ResubmissionWindowView(default=w.default, earliest=w.earliest, latest=w.latest)


@router.post("/{organization_id}/{quarter}/lock", response_model=ReportView)
async def lock_report(
    organization_id: OrganizationId,
    quarter: Quarter,
    principal: Ministry,
    reports: ReportsDep,
    queries: QueriesDep,
) -> ReportView:
    """Verrouiller le trimestre : plus aucune intervention ne peut y changer / Lock the quarter: no
    intervention may change in it any more."""
    return await step_then_view(
        lambda period, context: reports.lock(organization_id, period, principal, context),
        queries,
        organization_id,
        quarter,
        principal,
    )


@router.post("/{organization_id}/{quarter}/unlock", response_model=ReportView)
async def unlock_report(
    organization_id: OrganizationId,
    quarter: Quarter,
    body: ReasonBody,
    principal: Admin,
    reports: ReportsDep,
    queries: QueriesDep,
) -> ReportView:
    """Déverrouiller (administration seulement, avec un motif) : le rapport redevient accepté et le
    trimestre s'ouvre aux corrections / Unlock (admins only, with a reason): the report is accepted
    again and the quarter open to corrections."""
    return await step_then_view(
        lambda period, context: reports.unlock(organization_id, period, body.reason, context),
        queries,
        organization_id,
        quarter,
        principal,
    )
