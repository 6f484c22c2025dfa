"""HTTP resources: an organization's performance against its targets, and the program-wide
indicators (with their CSV export for the ministry's data warehouse)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from gsi_kernel.fields import Line
from gsi_kernel.http.security import Ministry, Reader, authenticated_router
from gsi_kernel.http.threads import in_thread, run_short
from reporting.deps import PerformanceDep

router = authenticated_router(prefix="/targets", tags=["cibles / targets"])
indicators_router = authenticated_router(prefix="/indicators", tags=["cibles / targets"])

OrganizationId = Annotated[Line, Path(min_length=1, max_length=100, examples=["org-sherbrooke"])]
FiscalYear = Annotated[Line, Path(max_length=9, examples=["2026-2027"], description="Exercice / Fiscal year")]
Program = Annotated[Line, Query(max_length=20, description="Programme / Program")]


class ProgressView(BaseModel):
    """A count against its target; ``pct`` is empty without a (non-zero) target."""

    actual: int
    target: int | None
    pct: float | None


class CodeProgressView(ProgressView):
    code: str


class PeriodView(BaseModel):
    unique_persons: ProgressView
    action_plans: ProgressView
    interventions_total: ProgressView
    interventions: list[CodeProgressView]


class QuarterView(BaseModel):
    quarter: str
    in_quarter: PeriodView
    year_to_date: PeriodView  # April 1 through the quarter's end, against the year's targets


class OrganizationPerformanceView(BaseModel):
    organization_id: str
    program: str
    fiscal_year: str
    agreement_ids: list[str]
    quarters: list[QuarterView]


class CodeCountView(BaseModel):
    code: str
    count: int


class QuarterCountsView(BaseModel):
    quarter: str
    persons_served: int
    interventions_total: int
    action_plans_opened: int


class OrganizationYearView(BaseModel):
    organization_id: str
    unique_persons: ProgressView
    interventions_total: int
    action_plans: ProgressView


class IndicatorsView(BaseModel):
    fiscal_year: str
    program: str
    persons_served: int
    persons_with_action_plan: int
    action_plan_share_pct: float | None
    interventions_total: int
    interventions_per_code: list[CodeCountView]
    quarters: list[QuarterCountsView]
    organizations: list[OrganizationYearView]


@router.get("/{organization_id}/{fiscal_year}", response_model=OrganizationPerformanceView)
async def organization_performance(
    organization_id: OrganizationId,
    fiscal_year: FiscalYear,
    principal: Reader,
    performance: PerformanceDep,
    program: Program = "PASI",
) -> OrganizationPerformanceView:
    """Réalisations vs cibles, par trimestre et cumul annuel / Performance vs targets, per quarter
    and year to date (the organization, its assigned reviewers, admins)."""
    result = await run_short(
        lambda: performance.organization(organization_id, fiscal_year, principal, program=program)
    )
    return OrganizationPerformanceView.model_validate(result)


# Declared before "/{fiscal_year}", which would otherwise take "2026-2027.csv" as the year.
@indicators_router.get(
    "/{fiscal_year}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV (UTF-8)"}},
)
async def indicators_csv(
    fiscal_year: FiscalYear, principal: Ministry, performance: PerformanceDep, program: Program = "PASI"
) -> Response:
    """Indicateurs en CSV, format long / Indicators as long-form CSV: scope, organization_id,
    fiscal_year, period, measure, code, actual, target, pct."""
    body = await in_thread(
        lambda: performance.indicators_csv(fiscal_year, program=program, principal=principal)
    )
    headers = {"Content-Disposition": f'attachment; filename="indicators-{fiscal_year}.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@indicators_router.get("/{fiscal_year}", response_model=IndicatorsView)
async def indicators(
    fiscal_year: FiscalYear, principal: Ministry, performance: PerformanceDep, program: Program = "PASI"
) -> IndicatorsView:
    """Indicateurs du programme; par organisme : celles assignées au réviseur / Program-wide
    indicators; per organization: those assigned to the reviewer (admins: all)."""
    return await run_short(
        lambda: IndicatorsView.model_validate(
            performance.indicators(fiscal_year, program=program, principal=principal)
        )
    )
