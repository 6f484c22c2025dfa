"""HTTP resource: funding agreements (*conventions*) with their funding and targets; amendments
are new versions with a reason."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query, status
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from gsi_kernel.fields import Line, Lines, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from reporting.agreements.domain import Funding, Target, Terms
from reporting.deps import AgreementsDep
from reporting.organizations.api import Created

router = authenticated_router(prefix="/agreements", tags=["conventions / agreements"])

AgreementId = Annotated[
    Line, Path(min_length=1, max_length=36, json_schema_extra=label("Convention", "Agreement"))
]

# Counts must be ≥ 0: the schema says so, and the domain refuses a negative one with its own
# code (agreement.negative_target) rather than the generic validation error.
_COUNT: dict[str, Any] = {"minimum": 0}
_STARTS_ON = label("Début de la convention", "Agreement start")
_ENDS_ON = label("Fin de la convention", "Agreement end")
_FUNDING = label("Financement", "Funding")
_TARGETS = label("Cibles", "Targets")
_TARGET: dict[str, JsonValue] = {
    "fiscal_year": "2026-2027",
    "period": "year",
    "unique_persons": 400,
    "action_plans": 150,
    "interventions": {"ACC": 400, "EVB": 300, "SUI": 900},
}


class FundingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fiscal_year: Line = Field(max_length=9, examples=["2026-2027"], description="Exercice / Fiscal year")
    amount_cents: int = Field(
        json_schema_extra={**_COUNT, **label("Montant (cents)", "Amount (cents)")},
        description="Montant en cents / Amount in cents",
    )

    def to_funding(self) -> Funding:
        return Funding(**self.model_dump())


class TargetBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_TARGET]})

    fiscal_year: Line = Field(max_length=9, description="Exercice / Fiscal year, e.g. 2026-2027")
    period: Line = Field(
        max_length=4, description="Q1 | Q2 | Q3 | Q4 | year", json_schema_extra=label("Période", "Period")
    )
    unique_persons: int = Field(
        default=0,
        json_schema_extra={**_COUNT, **label("Personnes distinctes", "Unique persons")},
        description="Personnes distinctes",
    )
    action_plans: int = Field(
        default=0,
        json_schema_extra={**_COUNT, **label("Plans d'action", "Action plans")},
        description="Plans d'action ouverts",
    )
    interventions: dict[Line, int] = Field(
        default_factory=dict,
        max_length=100,
        description="Interventions par code / per code (≥ 0)",
        json_schema_extra=label("Interventions par code", "Interventions per code"),
    )

    def to_target(self) -> Target:
        return Target(**self.model_dump())


class RecordBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "organization_id": "org-sherbrooke",
                    "program": "PASI",
                    "starts_on": "2026-04-01",
                    "ends_on": "2029-03-31",
                    "volets": ["V1", "V2"],
                    "funding": [{"fiscal_year": "2026-2027", "amount_cents": 85000000}],
                    "targets": [_TARGET, {**_TARGET, "period": "Q1", "unique_persons": 120}],
                }
            ]
        },
    )

    organization_id: Line = Field(max_length=100)
    program: Line = Field(default="PASI", max_length=20)
    starts_on: date = Field(json_schema_extra=_STARTS_ON)
    ends_on: date = Field(json_schema_extra=_ENDS_ON)
    volets: list[Line] = Field(max_length=5, description="V1 à V5 / V1 to V5")
    funding: list[FundingBody] = Field(default_factory=list, max_length=20, json_schema_extra=_FUNDING)
    targets: list[TargetBody] = Field(default_factory=list, max_length=100, json_schema_extra=_TARGETS)

    def terms(self) -> Terms:
        return Terms(
            tuple(self.volets),
            tuple(f.to_funding() for f in self.funding),
            tuple(t.to_target() for t in self.targets),
        )


class AmendBody(BaseModel):
    """What is given replaces the current terms; what is left out stays."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"targets": [_TARGET], "reason": "Cibles révisées à la mi-année"}]},
    )

    reason: Lines = Field(max_length=1000, description="Motif de la modification / Reason")
    volets: list[Line] | None = Field(default=None, max_length=5)
    funding: list[FundingBody] | None = Field(default=None, max_length=20, json_schema_extra=_FUNDING)
    targets: list[TargetBody] | None = Field(default=None, max_length=100, json_schema_extra=_TARGETS)


class FundingView(BaseModel):
    fiscal_year: str
    amount_cents: int


class TargetView(BaseModel):
    fiscal_year: str
    period: str
    unique_persons: int
    action_plans: int
    interventions: dict[str, int]


class AgreementView(BaseModel):
    agreement_id: str
    organization_id: str
    program: str
    starts_on: date
    ends_on: date
    volets: list[str]
    funding: list[FundingView]
    targets: list[TargetView]
    version: int
    recorded_at: datetime
    recorded_by: str
    updated_at: datetime
    updated_by: str


class TermsView(BaseModel):
    volets: list[str]
    funding: list[FundingView]
    targets: list[TargetView]


class VersionView(BaseModel):
    version: int
    reason: str | None
    terms: TermsView
    recorded_at: datetime
    recorded_by: str


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Created)
async def record_agreement(body: RecordBody, principal: Admin, agreements: AgreementsDep) -> Created:
    """Enregistrer une convention / Record an agreement."""
    agreement_id = await run_short(
        lambda: agreements.record(
            body.organization_id,
            program=body.program,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            terms=body.terms(),
            context=context_for(principal, body.organization_id),
        )
    )
    return Created(id=agreement_id)


@router.get("", response_model=Page[AgreementView])
async def list_agreements(
    principal: Reader,
    agreements: AgreementsDep,
    page: Pagination,
    organization_id: Annotated[Line | None, Query(max_length=100)] = None,
    program: Annotated[Line | None, Query(max_length=20)] = None,
) -> Page[AgreementView]:
    """Conventions visibles / Visible agreements."""
    rows, total = await run_short(
        lambda: agreements.page(
            principal, organization_id=organization_id, program=program, offset=page.offset, limit=page.limit
        )
    )
    items = [AgreementView.model_validate(r) for r in rows]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


@router.get("/{agreement_id}", response_model=AgreementView)
async def get_agreement(
    agreement_id: AgreementId, principal: Reader, agreements: AgreementsDep
) -> AgreementView:
    """Une convention, dans sa version courante / One agreement, current version."""
    return await run_short(lambda: AgreementView.model_validate(agreements.get(agreement_id, principal)))


@router.post("/{agreement_id}/amendments", response_model=AgreementView)
async def amend_agreement(
    agreement_id: AgreementId, body: AmendBody, principal: Admin, agreements: AgreementsDep
) -> AgreementView:
    """Modifier cibles, financement ou volets (nouvelle version) / Amend (a new version)."""
    await run_short(
        lambda: agreements.amend(
            agreement_id,
            reason=body.reason,
            volets=body.volets,
            funding=None if body.funding is None else [f.to_funding() for f in body.funding],
            targets=None if body.targets is None else [t.to_target() for t in body.targets],
            context=context_for(principal),
        )
    )
    return await run_short(lambda: AgreementView.model_validate(agreements.get(agreement_id, principal)))


@router.get("/{agreement_id}/versions", response_model=list[VersionView])
async def agreement_versions(
    agreement_id: AgreementId, principal: Reader, agreements: AgreementsDep
) -> list[VersionView]:
    """Toutes les versions, avec les motifs / Every version, with the reasons."""
    return await run_short(
        lambda: [VersionView.model_validate(r) for r in agreements.versions(agreement_id, principal)]
    )
