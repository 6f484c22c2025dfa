"""HTTP resource: lock exceptions — an organization's request to change a locked quarter, and
the ministry's decision."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import status
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import Line, Lines, MaybeLines, Quarter, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.policy import own_organization
from gsi_kernel.http.security import Ministry, OrgUser, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from interventions.declarations.schemas import Created, ReasonBody
from interventions.deps import ExceptionsDep

router = authenticated_router(prefix="/lock-exceptions", tags=["lock exceptions"])


class RequestBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "quarter": "2026-2027-Q1",
                    "reason": "Deux accueils de mai saisis en retard",
                    "intervention_ids": [],
                }
            ]
        },
    )

    quarter: Quarter = Field(description="Trimestre verrouillé / Locked quarter")
    reason: Lines = Field(min_length=3, max_length=1000)
    intervention_ids: list[Line] = Field(default_factory=list, max_length=1000)


class GrantBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"valid_until": "2026-12-10"}]})

    valid_until: date = Field(
        description="Dernier jour de validité / Last valid day",
        json_schema_extra=label("Valide jusqu'au", "Valid until"),
    )
    reason: MaybeLines = Field(default=None, max_length=1000)


class LockExceptionView(BaseModel):
    exception_id: str
    organization_id: str
    quarter: str
    reason: str
    intervention_ids: list[str]
    status: str
    state: str  # status, with the passing of time: a granted exception past its last day is expired
    valid_until: date | None
    requested_at: datetime
    requested_by: str
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Created)
async def request_exception(body: RequestBody, principal: OrgUser, exceptions: ExceptionsDep) -> Created:
    """Demander une exception au verrouillage / Request a lock exception."""
    exception_id = await run_short(
        lambda: exceptions.request(
            body.quarter,
            reason=body.reason,
            intervention_ids=body.intervention_ids,
            organization_id=own_organization(principal),
            context=context_for(principal),
        )
    )
    return Created(id=exception_id)


@router.get("/{exception_id}", response_model=LockExceptionView)
async def get_exception(
    exception_id: Line, principal: Reader, exceptions: ExceptionsDep
) -> LockExceptionView:
    """Une demande d'exception / One lock exception."""
    return await run_short(lambda: LockExceptionView.model_validate(exceptions.get(exception_id, principal)))


@router.get("", response_model=Page[LockExceptionView])
async def list_exceptions(
    principal: Reader,
    exceptions: ExceptionsDep,
    page: Pagination,
    status: Literal["requested", "granted", "refused"] | None = None,
) -> Page[LockExceptionView]:
    """Demandes d'exception visibles / Visible lock exceptions."""
    rows, total = await run_short(
        lambda: exceptions.list(principal, status=status, offset=page.offset, limit=page.limit)
    )
    items = [LockExceptionView.model_validate(r) for r in rows]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


@router.post("/{exception_id}/grant", response_model=LockExceptionView)
async def grant_exception(
    exception_id: Line, body: GrantBody, principal: Ministry, exceptions: ExceptionsDep
) -> LockExceptionView:
    """Accorder l'exception jusqu'à une date ; la demande telle qu'elle est désormais / Grant the
    exception until a date; the exception as it now stands."""
    await run_short(
        lambda: exceptions.grant(
            exception_id,
            valid_until=body.valid_until,
            reason=body.reason,
            principal=principal,
            context=context_for(principal),
        )
    )
    return await run_short(lambda: LockExceptionView.model_validate(exceptions.get(exception_id, principal)))


@router.post("/{exception_id}/refusal", response_model=LockExceptionView)
async def refuse_exception(
    exception_id: Line, body: ReasonBody, principal: Ministry, exceptions: ExceptionsDep
) -> LockExceptionView:
    """Refuser l'exception, avec un motif ; la demande telle qu'elle est désormais / Refuse the
    exception, with a reason; the exception as it now stands."""
    await run_short(
        lambda: exceptions.refuse(
            exception_id, reason=body.reason, principal=principal, context=context_for(principal)
        )
    )
    return await run_short(lambda: LockExceptionView.model_validate(exceptions.get(exception_id, principal)))
