"""HTTP resource: interventions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, status
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.errors import Forbidden
from gsi_kernel.http.app import from_app_state
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import OrgUser, Reader, authenticated_router
from interventions.app.handlers import InterventionInput, Interventions
from interventions.domain.intervention import Mode, Volet

router = authenticated_router(prefix="/interventions", tags=["interventions"])


InterventionsDep = Annotated[Interventions, Depends(from_app_state("interventions", Interventions))]


class DeclareInterventionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "person_id": "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11",
                    "code": "ACC",
                    "service_date": "2026-11-20",
                    "duration_minutes": 60,
                    "mode": "in_person",
                    "volet": "V1",
                    "staff_member": "karine@org-sherbrooke",
                }
            ]
        },
    )

    person_id: str = Field(min_length=1, max_length=36)
    code: str = Field(pattern=r"^[A-Z]{3}$", description="Code d'intervention (ACC, EVB, SUI…)")
    service_date: date
    duration_minutes: int = Field(ge=1, le=24 * 60)
    mode: Mode
    volet: Volet
    staff_member: str = Field(min_length=1, max_length=200)


class InterventionCreated(BaseModel):
    intervention_id: str


class InterventionView(BaseModel):
    intervention_id: str
    organization_id: str
    person_id: str
    code: str
    service_date: date
    duration_minutes: int
    mode: str
    volet: str
    staff_member: str
    declared_at: datetime
    declared_by: str


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InterventionCreated)
def declare_intervention(
    body: DeclareInterventionRequest, principal: OrgUser, handlers: InterventionsDep
) -> InterventionCreated:
    """Déclarer une intervention / Declare an intervention."""
    if principal.organization is None:
        raise Forbidden("auth.no_organization", "Aucun organisme associé.", "No organization on the token.")
    intervention_id = handlers.declare(
        InterventionInput(**body.model_dump()),
        organization_id=principal.organization,
        context=context_for(principal),
    )
    return InterventionCreated(intervention_id=intervention_id)


@router.get("/{intervention_id}", response_model=InterventionView)
def get_intervention(intervention_id: str, principal: Reader, handlers: InterventionsDep) -> InterventionView:
    """Une intervention / One intervention."""
    return InterventionView.model_validate(handlers.get(intervention_id, principal))


@router.get("", response_model=Page[InterventionView])
def list_interventions(
    principal: Reader, handlers: InterventionsDep, page: Pagination
) -> Page[InterventionView]:
    """Interventions visibles pour l'utilisateur / Interventions visible to the user."""
    rows, total = handlers.list(principal, offset=page.offset, limit=page.limit)
    items = [InterventionView.model_validate(r) for r in rows]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)
