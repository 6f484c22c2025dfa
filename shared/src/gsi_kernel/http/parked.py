"""The parked events every service has (administrators only): the events one of its projections
could not apply and moved past (ADR 6, "Parking"), to retry once their cause is fixed or to
skip with a reason. What is shown names the event and the failure, never the event's values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import Lines, ProjectionName
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import run_short
from gsi_kernel.parking import ParkedEvent, list_parked
from gsi_kernel.projections import ProjectionRunner
from gsi_kernel.store.database import Database

ParkedId = Annotated[int, Path(ge=1, le=2**62, description="Numéro / Number", examples=[1])]


class SkipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The text rule (gsi_kernel.text) refuses U+0000 and the other control characters.
    reason: Lines = Field(
        min_length=1,
        max_length=500,
        examples=["Événement de test saisi par erreur; rien à projeter"],
        description="Pourquoi l'événement est laissé de côté / Why the event is left out",
    )


def parked_router(db: Database, runner: ProjectionRunner) -> APIRouter:
    router = authenticated_router(tags=["administration"])

    @router.get("/admin/parked-events", response_model=Page[ParkedEvent])
    async def parked_events(
        _admin: Admin,
        page: Pagination,
        projection: Annotated[
            ProjectionName | None,
            Query(max_length=120, description="Projection (nom) / Projection name"),
        ] = None,
    ) -> Page[ParkedEvent]:
        """Événements mis de côté par une projection, non réglés d'abord / Events a projection
        parked, unresolved first."""

        def listed() -> tuple[list[ParkedEvent], int]:
            with db.transaction() as connection:
                return list_parked(connection, projection=projection, offset=page.offset, limit=page.limit)

        items, total = await run_short(listed)
        return Page(items=items, total=total, offset=page.offset, limit=page.limit)

    @router.post("/admin/parked-events/{parked_id}/retry", response_model=ParkedEvent)
    async def retry(admin: Admin, parked_id: ParkedId) -> ParkedEvent:
        """Réappliquer l'événement à sa projection (409 s'il échoue encore) / Apply the event to
        its projection again (409 if it still fails)."""
        return await run_short(lambda: runner.retry_parked(parked_id, admin.user_id))

    @router.post("/admin/parked-events/{parked_id}/skip", response_model=ParkedEvent)
    async def skip(admin: Admin, parked_id: ParkedId, request: SkipRequest) -> ParkedEvent:
        """Laisser l'événement hors de sa projection, avec un motif / Leave the event out of its
        projection, with a reason."""
        return await run_short(lambda: runner.skip_parked(parked_id, admin.user_id, request.reason))

    return router
