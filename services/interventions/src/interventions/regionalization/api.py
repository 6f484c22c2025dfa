"""HTTP resource: regionalization follow-ups (*suivis de régionalisation*)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Query, status
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import Line, MaybeLines, Region, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.policy import own_organization
from gsi_kernel.http.security import OrgUser, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from interventions.deps import FollowUpsDep
from interventions.regionalization.domain import CHECKPOINT_MONTHS, CheckpointOutcome

router = authenticated_router(
    prefix="/regionalization-follow-ups", tags=["suivis de régionalisation / regionalization follow-ups"]
)


_REGION = "Région administrative du Québec, 01 à 17"
_RECORDED_ON = label("Date du contact", "Contact date")


class OpenFollowUpRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "person_id": "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11",
                    "destination_region": "05",
                    "opened_on": "2026-11-02",
                }
            ]
        },
    )

    person_id: Line = Field(min_length=1, max_length=36)
    destination_region: Region = Field(
        description=_REGION, json_schema_extra=label("Région de destination", "Destination region")
    )
    opened_on: date = Field(
        description="Date d'établissement dans la région / Settlement date in the region",
        json_schema_extra=label("Date d'établissement", "Settlement date"),
    )


class RecordCheckpointRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"months": 3, "outcome": "stayed", "recorded_on": "2027-02-03"},
                {"months": 6, "outcome": "moved", "recorded_on": "2027-05-04", "new_region": "06"},
            ]
        },
    )

    months: int = Field(
        ge=1,
        le=120,
        description=f"Jalon, en mois / Checkpoint, in months {CHECKPOINT_MONTHS}",
        json_schema_extra=label("Jalon (mois)", "Checkpoint (months)"),
    )
    outcome: CheckpointOutcome = Field(json_schema_extra=label("Résultat", "Outcome"))
    recorded_on: date = Field(description="Date du contact / Contact date", json_schema_extra=_RECORDED_ON)
    new_region: Region | None = Field(
        default=None,
        description=f"Si « moved » / When “moved”; {_REGION}",
        json_schema_extra=label("Nouvelle région", "New region"),
    )
    note: MaybeLines = Field(default=None, max_length=1000)


class FollowUpCreated(BaseModel):
    follow_up_id: str


class CheckpointView(BaseModel):
    months: int
    due_on: date
    outcome: str | None
    new_region: str | None
    recorded_on: date | None
    note: str | None
    recorded_at: datetime | None
    recorded_by: str | None


class FollowUpSummary(BaseModel):
    follow_up_id: str
    organization_id: str
    person_id: str
    destination_region: str
    current_region: str
    opened_on: date
    status: str
    opened_at: datetime
    opened_by: str


class RegionalizationFollowUpView(FollowUpSummary):
    checkpoints: list[CheckpointView]


class DueCheckpointView(BaseModel):
    follow_up_id: str
    organization_id: str
    person_id: str
    months: int
    due_on: date


@router.post("", status_code=status.HTTP_201_CREATED, response_model=FollowUpCreated)
async def open_follow_up(
    body: OpenFollowUpRequest, principal: OrgUser, follow_ups: FollowUpsDep
) -> FollowUpCreated:
    """Ouvrir un suivi de régionalisation (jalons à 3, 6 et 12 mois) / Open a regionalization
    follow-up (checkpoints at 3, 6 and 12 months)."""
    follow_up_id = await run_short(
        lambda: follow_ups.open(
            body.person_id,
            body.destination_region,
            body.opened_on,
            organization_id=own_organization(principal),
            context=context_for(principal),
        )
    )
    return FollowUpCreated(follow_up_id=follow_up_id)


@router.get("/due", response_model=Page[DueCheckpointView])
async def due_checkpoints(
    principal: Reader,
    follow_ups: FollowUpsDep,
    page: Pagination,
    before: Annotated[date, Query(description="Échus avant cette date / Due before this date")],
) -> Page[DueCheckpointView]:
    """Jalons échus sans résultat consigné / Checkpoints due with no outcome recorded yet."""
    rows, total = await run_short(
        lambda: follow_ups.due(principal, before=before, offset=page.offset, limit=page.limit)
    )
    items = [DueCheckpointView.model_validate(r) for r in rows]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


@router.get("/{follow_up_id}", response_model=RegionalizationFollowUpView)
async def get_follow_up(
    follow_up_id: Line, principal: Reader, follow_ups: FollowUpsDep
) -> RegionalizationFollowUpView:
    """Un suivi et ses jalons / A follow-up and its checkpoints."""
    return await run_short(
        lambda: RegionalizationFollowUpView.model_validate(follow_ups.get(follow_up_id, principal))
    )


@router.get("", response_model=Page[FollowUpSummary])
async def list_follow_ups(
    principal: Reader,
    follow_ups: FollowUpsDep,
    page: Pagination,
    person_id: Annotated[Line | None, Query(max_length=36)] = None,
    status_: Annotated[Literal["open", "complete"] | None, Query(alias="status")] = None,
) -> Page[FollowUpSummary]:
    """Suivis visibles pour l'utilisateur / Follow-ups visible to the user."""
    rows, total = await run_short(
        lambda: follow_ups.search(
            principal, person_id=person_id, status=status_, offset=page.offset, limit=page.limit
        )
    )
    items = [FollowUpSummary.model_validate(r) for r in rows]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


@router.post("/{follow_up_id}/checkpoints", status_code=status.HTTP_204_NO_CONTENT)
async def record_checkpoint(
    follow_up_id: Line, body: RecordCheckpointRequest, principal: OrgUser, follow_ups: FollowUpsDep
) -> None:
    """Consigner le résultat d'un jalon / Record a checkpoint's outcome."""
    await run_short(
        lambda: follow_ups.record_checkpoint(
            follow_up_id,
            months=body.months,
            outcome=body.outcome,
            recorded_on=body.recorded_on,
            new_region=body.new_region,
            note=body.note,
            organization_id=own_organization(principal),
            context=context_for(principal),
        )
    )
