"""HTTP resource: persons (PI) — register, read a file, search, check eligibility."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Response, status

from gsi_contracts.registration import file_reference, parse_file_reference
from gsi_kernel.fields import Format, Line, Name, Region, VoletCode, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.policy import own_organization
from gsi_kernel.http.security import OrgUser, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from registration.deps import QueriesDep, RegisteringDep, VaultDep
from registration.persons.app import NewPerson, Pii
from registration.persons.events import StatusPeriod
from registration.persons.queries import AccessPurpose, default_purpose
from registration.persons.schemas import (
    EvaluationOut,
    PersonFile,
    PersonSummary,
    RegisteredOut,
    RegisterPersonRequest,
)
from registration.persons.search import SearchFilters
from registration.persons.values import Status
from registration.privacy.schemas import GONE

router = authenticated_router(prefix="/persons", tags=["personnes / persons"])
_FILE_REFERENCE = Format(
    "file_reference.format",
    r"^\s*([dD]\s*-?\s*)?\d{1,12}\s*$",
    "un numéro de dossier, par exemple D-000123 ou 123",
    "a file number, e.g. D-000123 or 123",
)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RegisteredOut)
async def register_person(
    body: RegisterPersonRequest, principal: OrgUser, registering: RegisteringDep
) -> Response:
    """Inscrire une personne immigrante; l'admissibilité est évaluée aussitôt / Register an
    immigrant person; eligibility is evaluated at once."""
    new, organization, context = _new_person(body), own_organization(principal), context_for(principal)
    registered = await run_short(  # one stream, read models in its transaction (ADR 28)
        lambda: registering.register(new, organization_id=organization, context=context)
    )
    out = RegisteredOut(
        person_id=registered.person_id,
        file_number=registered.file_number,
        file_reference=file_reference(registered.file_number),
        possible_duplicate=registered.possible_duplicate,
        eligibility=[EvaluationOut.model_validate(e.to_dict()) for e in registered.eligibility],
    )
    # Built and checked here already: sent as is (FastAPI would validate it a second time).
    return Response(out.model_dump_json(), status.HTTP_201_CREATED, media_type="application/json")


def _new_person(body: RegisterPersonRequest) -> NewPerson:
    address = body.address
    return NewPerson(
        pii=Pii(
            family_name=body.family_name,
            given_name=body.given_name,
            uci=body.uci,
            email=str(body.email) if body.email else None,
            phone=body.phone,
            street=address.street if address else None,
            municipality=address.municipality if address else None,
            postal_code=address.postal_code if address else None,
        ),
        birth_date=body.birth_date,
        sex=body.sex,
        country_of_birth=body.country_of_birth,
        languages=tuple(body.languages),
        french_level=body.french_level,
        status=StatusPeriod(**body.status.model_dump()),
        region=address.region if address else None,
        consents=tuple(body.consents),
    )


@router.get("/{person_id}", response_model=PersonFile, responses=GONE)
async def get_person(
    person_id: Line,
    principal: Reader,
    queries: QueriesDep,
    purpose: Annotated[
        AccessPurpose | None, Query(description="Finalité de la consultation / Purpose of the read")
    ] = None,
) -> PersonFile:
    """Dossier d'une personne (consultation journalisée) ; effacée : 410 et la trace de
    l'effacement / A person's file (every read is logged); erased: 410 and the erasure record."""
    row = await run_short(lambda: queries.file(person_id, principal, purpose or default_purpose(principal)))
    return PersonFile.model_validate({**row, **PersonSummary.of(row).model_dump()})


@router.get("", response_model=Page[PersonSummary])
async def search_persons(
    principal: Reader,
    queries: QueriesDep,
    vault: VaultDep,
    page: Pagination,
    name: Annotated[
        Name | None, Query(min_length=1, max_length=100, description="Début du nom ou du prénom")
    ] = None,
    uci: Annotated[
        Line | None,
        Query(min_length=4, max_length=20, json_schema_extra=label("IUC (identifiant client d'IRCC)", "UCI")),
    ] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    region: Region | None = None,
    eligible_for: Annotated[
        VoletCode | None,
        Query(
            description="Admissible à ce volet",
            json_schema_extra=label("Admissible au volet", "Eligible for"),
        ),
    ] = None,
    registered_from: Annotated[
        date | None, Query(json_schema_extra=label("Inscrite depuis le", "Registered from"))
    ] = None,
    registered_to: Annotated[
        date | None, Query(json_schema_extra=label("Inscrite jusqu'au", "Registered to"))
    ] = None,
    file_number: Annotated[
        Line | None,
        Query(
            pattern=_FILE_REFERENCE.pattern,
            description="Numéro ou référence du dossier / File number or reference",
            examples=["D-000123"],
            json_schema_extra={
                **_FILE_REFERENCE.hint(),
                **label("Numéro de dossier", "File number"),
            },
        ),
    ] = None,
    person_id: Annotated[
        list[Line] | None,
        Query(
            max_length=200,
            description="Ces personnes seulement (paramètre répété, 200 au plus) / These persons only "
            "(repeated, at most 200)",
        ),
    ] = None,
) -> Page[PersonSummary]:
    """Rechercher parmi les personnes visibles / Search the persons visible to the user."""
    number = parse_file_reference(file_number) if file_number else None
    if file_number and number is None:  # D-000000: no file has it
        return Page(items=[], total=0, offset=page.offset, limit=page.limit)
    filters = await run_short(
        lambda: SearchFilters(
            name=name,
            uci_hash=vault.uci_hash(uci) if uci else None,
            status=status_,
            region=region,
            eligible_for=eligible_for,
            registered_from=registered_from,
            registered_to=registered_to,
            file_number=number,
            person_ids=tuple(person_id or ()),
        )
    )
    rows, total = await run_short(
        lambda: queries.search(principal, filters, offset=page.offset, limit=page.limit)
    )
    return Page(items=[PersonSummary.of(r) for r in rows], total=total, offset=page.offset, limit=page.limit)
