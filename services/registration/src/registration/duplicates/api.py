"""HTTP resources of the duplicates queue, for administrators: the probable pairs to review,
merged or dismissed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Path, status
from pydantic import BaseModel

from gsi_kernel.fields import Line, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import run_short
from registration.deps import DuplicatesDep
from registration.persons.schemas import ReasonRequest

router = authenticated_router(tags=["administration"])

CandidateId = Annotated[Line, Path(json_schema_extra=label("Dossier candidat", "Candidate file"))]


class DuplicatePair(BaseModel):
    person_id: str
    candidate_person_id: str
    match: str
    score: float
    flagged_at: datetime
    organization_id: str
    candidate_organization_id: str
    file_number: int | None
    candidate_file_number: int | None
    family_name: str | None
    given_name: str | None
    birth_date: date
    candidate_family_name: str | None
    candidate_given_name: str | None


@router.get("/duplicates", response_model=Page[DuplicatePair])
async def pending_duplicates(_admin: Admin, queue: DuplicatesDep, page: Pagination) -> Page[DuplicatePair]:
    """Doublons probables à examiner / Probable duplicates to review."""
    rows, total = await run_short(lambda: queue.pending(offset=page.offset, limit=page.limit))
    return Page(
        items=[DuplicatePair.model_validate(r) for r in rows],
        total=total,
        offset=page.offset,
        limit=page.limit,
    )


@router.post("/duplicates/{person_id}/{candidate_person_id}/merge", status_code=status.HTTP_204_NO_CONTENT)
async def merge_duplicate(
    person_id: Line, candidate_person_id: CandidateId, body: ReasonRequest, admin: Admin, queue: DuplicatesDep
) -> None:
    """Fusionner le dossier récent dans le dossier existant / Merge the newer file into the existing one."""
    await run_short(lambda: queue.merge(person_id, candidate_person_id, body.reason, context_for(admin)))


@router.post("/duplicates/{person_id}/{candidate_person_id}/dismiss", status_code=status.HTTP_204_NO_CONTENT)
async def dismiss_duplicate(
    person_id: Line, candidate_person_id: CandidateId, body: ReasonRequest, admin: Admin, queue: DuplicatesDep
) -> None:
    """Ce ne sont pas la même personne / Not the same person."""
    await run_short(lambda: queue.dismiss(person_id, candidate_person_id, body.reason, context_for(admin)))
