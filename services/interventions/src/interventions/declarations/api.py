"""HTTP resource: interventions — declare, correct, cancel, read with flags and history, list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Query, status

from gsi_kernel.fields import CheckCode, InterventionCode, Line, Quarter
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.policy import own_organization
from gsi_kernel.http.security import OrgUser, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from interventions.declarations.schemas import (
    CorrectBody,
    DeclareBody,
    DeclaredView,
    FlagView,
    HistoryEntry,
    InterventionDetail,
    QuarterSummary,
    ReasonBody,
)
from interventions.deps import InterventionsDep, QueriesDep
from interventions.queries import InterventionFilters

router = authenticated_router(prefix="/interventions", tags=["interventions"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DeclaredView)
async def declare_intervention(
    body: DeclareBody, principal: OrgUser, declarations: InterventionsDep
) -> DeclaredView:
    """Déclarer une intervention ; la réponse donne aussitôt ses avertissements de conformité /
    Declare an intervention; the answer gives its conformity flags at once."""
    organization, context = own_organization(principal), context_for(principal)
    intervention_id, flags = await run_short(  # one person, one stream, read models inline
        lambda: declarations.declare(
            body.person_id, body.to_details(), organization_id=organization, context=context
        )
    )
    return DeclaredView(intervention_id=intervention_id, flags=[FlagView(**f.model_dump()) for f in flags])


@router.get("/summary", response_model=QuarterSummary)
async def quarter_summary(
    principal: Reader,
    queries: QueriesDep,
    quarter: Annotated[Quarter, Query(description="ex. 2026-2027-Q3")],
) -> QuarterSummary:
    """Les interventions actives du trimestre visibles pour l'utilisateur, et combien portent une
    erreur ou un avertissement, en un appel / The quarter's active interventions visible to the
    user, and how many carry an error or a warning, in one call."""
    return await run_short(lambda: QuarterSummary.model_validate(queries.summary(principal, quarter)))


@router.get("/{intervention_id}", response_model=InterventionDetail)
async def get_intervention(
    intervention_id: Line, principal: Reader, queries: QueriesDep
) -> InterventionDetail:
    """Une intervention et ses signalements / One intervention and its flags."""
    return await run_short(lambda: InterventionDetail.model_validate(queries.get(intervention_id, principal)))


@router.get("/{intervention_id}/history", response_model=list[HistoryEntry])
async def intervention_history(
    intervention_id: Line, principal: Reader, queries: QueriesDep
) -> list[HistoryEntry]:
    """Toutes les versions : quoi, qui, quand, pourquoi / Every version: what, who, when, why."""
    return await run_short(
        lambda: [HistoryEntry.model_validate(e) for e in queries.history(intervention_id, principal)]
    )


@router.post("/{intervention_id}/corrections", status_code=status.HTTP_204_NO_CONTENT)
async def correct_intervention(
    intervention_id: Line, body: CorrectBody, principal: OrgUser, declarations: InterventionsDep
) -> None:
    """Corriger une intervention (les contrôles sont refaits) / Correct an intervention (checks run again)."""
    own_organization(principal)
    details, context = body.details.to_details(), context_for(principal)
    await run_short(  # one stream, read models inline: as short as a declaration
        lambda: declarations.correct(intervention_id, details, reason=body.reason, context=context)
    )


@router.post("/{intervention_id}/cancellation", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_intervention(
    intervention_id: Line, body: ReasonBody, principal: OrgUser, declarations: InterventionsDep
) -> None:
    """Annuler une intervention, avec un motif / Cancel an intervention, with a reason."""
    own_organization(principal)
    context = context_for(principal)
    await run_short(lambda: declarations.cancel(intervention_id, reason=body.reason, context=context))


Sort = Literal[
    "service_date", "-service_date", "code", "-code", "volet", "-volet", "staff_member", "-staff_member",
    "status", "-status", "errors", "-errors", "warnings", "-warnings", "declared_at", "-declared_at",
]  # fmt: skip


@router.get("", response_model=Page[InterventionDetail])
async def list_interventions(
    principal: Reader,
    queries: QueriesDep,
    page: Pagination,
    person_id: Line | None = None,
    quarter: Annotated[Quarter | None, Query(description="ex. 2026-2027-Q3")] = None,
    code: InterventionCode | None = None,
    check: Annotated[CheckCode | None, Query(description="Signalement / Flagged check")] = None,
    severity: Literal["error", "warning"] | None = None,
    staff_member: Line | None = None,
    status: Literal["active", "cancelled"] | None = None,
    session_id: Line | None = None,
    import_id: Line | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    sort: Annotated[
        Sort, Query(description="Tri ; « - » : décroissant / Sort; “-”: descending")
    ] = "-service_date",
) -> Page[InterventionDetail]:
    """Interventions visibles pour l'utilisateur, filtrées et triées, chacune avec ses
    signalements / Interventions visible to the user, filtered and sorted, each with its flags."""
    filters = InterventionFilters(
        person_id,
        quarter,
        code,
        check,
        severity,
        staff_member,
        status,
        session_id,
        import_id,
        date_from,
        date_to,
    )
    rows, total = await run_short(
        lambda: queries.list(principal, filters, offset=page.offset, limit=page.limit, sort=sort)
    )
    items = [InterventionDetail.model_validate(r) for r in rows]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)
