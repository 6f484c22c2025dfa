"""HTTP resource: quarterly reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from pydantic import BaseModel

from gsi_kernel.auth import Principal, Role
from gsi_kernel.http.app import from_app_state
from gsi_kernel.http.context import context_for
from gsi_kernel.http.security import Reader, authenticated_router, require_roles
from reporting.app.handlers import Reports, parse_quarter

router = authenticated_router(prefix="/reports", tags=["rapports / reports"])


ReportsDep = Annotated[Reports, Depends(from_app_state("reports", Reports))]
Manager = Annotated[Principal, Depends(require_roles(Role.ORG_MANAGER))]
OrganizationId = Annotated[str, Path(min_length=1, max_length=100, examples=["org-sherbrooke"])]
Quarter = Annotated[str, Path(examples=["2026-2027-Q3"], description="Trimestre financier / Fiscal quarter")]


class ReportView(BaseModel):
    report_id: str
    organization_id: str
    quarter: str
    state: str
    submission_version: int
    interventions_count: int
    persons_count: int


@router.get("/{organization_id}/{quarter}", response_model=ReportView)
def get_report(
    organization_id: OrganizationId, quarter: Quarter, principal: Reader, reports: ReportsDep
) -> ReportView:
    """Rapport trimestriel et décomptes / Quarterly report and counts."""
    summary = reports.summary(organization_id, parse_quarter(quarter), principal)
    return ReportView.model_validate(summary, from_attributes=True)


@router.post("/{organization_id}/{quarter}/submit", response_model=ReportView)
def submit_report(
    organization_id: OrganizationId, quarter: Quarter, principal: Manager, reports: ReportsDep
) -> ReportView:
    """Soumettre le rapport au ministère / Submit the report to the ministry."""
    summary = reports.submit(
        organization_id, parse_quarter(quarter), principal, context_for(principal, organization_id)
    )
    return ReportView.model_validate(summary, from_attributes=True)
