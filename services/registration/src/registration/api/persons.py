"""HTTP resource: persons (PI)."""

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
from registration.app.handlers import PersonInput, Registration
from registration.domain.person import Sex, Status

router = authenticated_router(prefix="/persons", tags=["personnes / persons"])


RegistrationDep = Annotated[Registration, Depends(from_app_state("registration", Registration))]


class RegisterPersonRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "family_name": "Haddad",
                    "given_name": "Amina",
                    "birth_date": "1984-03-12",
                    "sex": "F",
                    "status": "government_assisted_refugee",
                    "status_since": "2026-11-02",
                    "region": "05",
                }
            ]
        },
    )

    family_name: str = Field(min_length=1, max_length=200)
    given_name: str = Field(min_length=1, max_length=200)
    birth_date: date
    sex: Sex
    status: Status
    status_since: date = Field(description="Date d'admission ou du statut / Admission or status date")
    region: str | None = Field(default=None, pattern=r"^\d{2}$", description="Région administrative 01-17")


class PersonCreated(BaseModel):
    person_id: str


class PersonView(BaseModel):
    person_id: str
    organization_id: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    status: str
    status_since: date
    region: str | None
    registered_at: datetime


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PersonCreated)
def register_person(
    body: RegisterPersonRequest, principal: OrgUser, registration: RegistrationDep
) -> PersonCreated:
    """Inscrire une personne immigrante / Register an immigrant person."""
    if principal.organization is None:
        raise Forbidden("auth.no_organization", "Aucun organisme associé.", "No organization on the token.")
    data = PersonInput(**body.model_dump())
    person_id = registration.register(
        data, organization_id=principal.organization, context=context_for(principal)
    )
    return PersonCreated(person_id=person_id)


@router.get("/{person_id}", response_model=PersonView)
def get_person(person_id: str, principal: Reader, registration: RegistrationDep) -> PersonView:
    """Dossier d'une personne / A person's file."""
    return PersonView.model_validate(registration.get(person_id, principal))


@router.get("", response_model=Page[PersonView])
def list_persons(principal: Reader, registration: RegistrationDep, page: Pagination) -> Page[PersonView]:
    """Personnes visibles pour l'utilisateur / Persons visible to the user."""
    rows, total = registration.list(principal, offset=page.offset, limit=page.limit)
    return Page(
        items=[PersonView.model_validate(r) for r in rows], total=total, offset=page.offset, limit=page.limit
    )
