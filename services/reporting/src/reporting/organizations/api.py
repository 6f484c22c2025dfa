"""HTTP resources: the organization registry (admins write, the ministry reads all of it, an
organization's users their own) and the ministry reviewers assigned to each organization."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query, status
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from gsi_kernel.fields import Line, Lines, Name, Region, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from reporting.deps import OrganizationsDep
from reporting.organizations.domain import Contact, Description

router = authenticated_router(prefix="/organizations", tags=["organismes / organizations"])
reviewers_router = authenticated_router(prefix="/reviewers", tags=["organismes / organizations"])

OrganizationId = Annotated[Line, Path(min_length=1, max_length=100, examples=["org-sherbrooke"])]
ReviewerId = Annotated[Line, Path(min_length=1, max_length=200, examples=["nadia@mifi"])]

_NAME = label("Nom de l'organisme", "Organization name")
_REGIONS = label("Régions desservies", "Regions served")
_CONTACTS = label("Contacts", "Contacts")
_CONTACT: dict[str, JsonValue] = {
    "name": "Sophie Tremblay",
    "email": "sophie@org-sherbrooke.ca",
    "role": "coordination",
    "language": "fr",
}


class ContactBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CONTACT]})

    name: Name = Field(
        max_length=200, description="Nom / Name", json_schema_extra=label("Nom du contact", "Contact name")
    )
    email: Line = Field(max_length=254, description="Courriel / E-mail")
    role: Line = Field(
        max_length=100,
        description="Rôle (direction, coordination…) / Role",
        json_schema_extra=label("Rôle du contact", "Contact role"),
    )
    language: Line = Field(
        default="fr", max_length=2, description="Langue des avis : fr | en / Notice language"
    )

    def to_contact(self) -> Contact:
        return Contact(**self.model_dump())


class RegisterBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "organization_id": "org-sherbrooke",
                    "name": "Service d'aide aux néo-Canadiens",
                    "regions": ["05"],
                    "contacts": [_CONTACT],
                }
            ]
        },
    )

    organization_id: Line = Field(max_length=100, description="Identifiant (slug) / Id, e.g. org-sherbrooke")
    name: Name = Field(max_length=200, json_schema_extra=_NAME)
    regions: list[Line] = Field(
        max_length=17,
        description="Régions desservies, codes 01–17 / Regions served",
        json_schema_extra=_REGIONS,
    )
    contacts: list[ContactBody] = Field(default_factory=list, max_length=50, json_schema_extra=_CONTACTS)


class UpdateBody(BaseModel):
    """What is given replaces the current value; what is left out stays."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"regions": ["05", "16"], "reason": "Nouveau point de service"}]},
    )

    name: Name | None = Field(default=None, max_length=200, json_schema_extra=_NAME)
    regions: list[Line] | None = Field(default=None, max_length=17, json_schema_extra=_REGIONS)
    contacts: list[ContactBody] | None = Field(default=None, max_length=50, json_schema_extra=_CONTACTS)
    reason: Lines = Field(max_length=1000, description="Motif de la modification / Reason")


class Created(BaseModel):
    id: str


class ContactView(BaseModel):
    name: str
    email: str
    role: str
    language: str


class OrganizationView(BaseModel):
    organization_id: str
    name: str
    regions: list[str]
    contacts: list[ContactView]
    version: int
    registered_at: datetime
    registered_by: str
    updated_at: datetime
    updated_by: str
    update_reason: str | None


class ReviewerView(BaseModel):
    reviewer_id: str
    assigned_at: datetime
    assigned_by: str


class AssignedOrganizationView(BaseModel):
    organization_id: str
    name: str
    assigned_at: datetime
    assigned_by: str


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Created)
async def register_organization(
    body: RegisterBody, principal: Admin, organizations: OrganizationsDep
) -> Created:
    """Inscrire un organisme au registre / Register an organization."""
    description = Description(body.name, tuple(body.regions), tuple(c.to_contact() for c in body.contacts))
    await run_short(
        lambda: organizations.register(
            body.organization_id, description, context=context_for(principal, body.organization_id)
        )
    )
    return Created(id=body.organization_id)


@router.get("", response_model=Page[OrganizationView])
async def list_organizations(
    principal: Reader,
    organizations: OrganizationsDep,
    page: Pagination,
    region: Annotated[Region | None, Query(description="Région desservie / Region")] = None,
) -> Page[OrganizationView]:
    """Organismes visibles / Visible organizations."""
    rows, total = await run_short(
        lambda: organizations.page(principal, region=region, offset=page.offset, limit=page.limit)
    )
    items = [OrganizationView.model_validate(r) for r in rows]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


@router.get("/{organization_id}", response_model=OrganizationView)
async def get_organization(
    organization_id: OrganizationId, principal: Reader, organizations: OrganizationsDep
) -> OrganizationView:
    """Un organisme / One organization."""
    return await run_short(
        lambda: OrganizationView.model_validate(organizations.get(organization_id, principal))
    )


@router.patch("/{organization_id}", response_model=OrganizationView)
async def update_organization(
    organization_id: OrganizationId, body: UpdateBody, principal: Admin, organizations: OrganizationsDep
) -> OrganizationView:
    """Modifier nom, régions ou contacts, avec un motif / Change name, regions or contacts, with a reason."""
    await run_short(
        lambda: organizations.update(
            organization_id,
            name=body.name,
            regions=body.regions,
            contacts=None if body.contacts is None else [c.to_contact() for c in body.contacts],
            reason=body.reason,
            context=context_for(principal, organization_id),
        )
    )
    return await run_short(
        lambda: OrganizationView.model_validate(organizations.get(organization_id, principal))
    )


@router.get("/{organization_id}/reviewers", response_model=list[ReviewerView])
async def list_reviewers(
    organization_id: OrganizationId, principal: Reader, organizations: OrganizationsDep
) -> list[ReviewerView]:
    """Conseillères et conseillers assignés / Assigned ministry reviewers."""
    return await run_short(
        lambda: [ReviewerView.model_validate(r) for r in organizations.reviewers(organization_id, principal)]
    )


@router.put("/{organization_id}/reviewers/{reviewer_id}", status_code=status.HTTP_204_NO_CONTENT)
async def assign_reviewer(
    organization_id: OrganizationId,
    reviewer_id: ReviewerId,
    principal: Admin,
    organizations: OrganizationsDep,
) -> None:
    """Assigner une conseillère ou un conseiller (idempotent) / Assign a reviewer (idempotent)."""
    await run_short(
        lambda: organizations.assign(
            organization_id, reviewer_id, context=context_for(principal, organization_id)
        )
    )


@router.delete("/{organization_id}/reviewers/{reviewer_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unassign_reviewer(
    organization_id: OrganizationId,
    reviewer_id: ReviewerId,
    principal: Admin,
    organizations: OrganizationsDep,
    reason: Annotated[Line | None, Query(max_length=1000, description="Motif / Reason")] = None,
) -> None:
    """Retirer l'assignation / Remove the assignment."""
    await run_short(
        lambda: organizations.unassign(
            organization_id, reviewer_id, reason=reason, context=context_for(principal, organization_id)
        )
    )


@reviewers_router.get("/{reviewer_id}/organizations", response_model=list[AssignedOrganizationView])
async def organizations_of_reviewer(
    reviewer_id: ReviewerId, principal: Reader, organizations: OrganizationsDep
) -> list[AssignedOrganizationView]:
    """Organismes assignés à une conseillère ou un conseiller (elle-même ou l'administration) /
    A reviewer's organizations (the reviewer themself, or an admin)."""
    rows = await run_short(lambda: organizations.organizations_of(reviewer_id, principal))
    return [AssignedOrganizationView.model_validate(r) for r in rows]
