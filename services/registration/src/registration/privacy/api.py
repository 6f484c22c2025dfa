"""HTTP resources of Loi 25 for administrators: erasure and export of a person, the log of file
reads, and the retention run."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, status
from pydantic import BaseModel

from gsi_kernel.fields import Line, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import in_thread, run_short
from registration.deps import PrivacyDep, QueriesDep
from registration.persons.schemas import ReasonRequest
from registration.privacy.schemas import ErasureRecord, PersonExport

router = authenticated_router(tags=["administration"])


class AccessLogEntry(BaseModel):
    person_id: str
    actor: str
    actor_organization: str | None
    roles: str
    purpose: str
    action: str
    at: datetime


class RetentionRun(BaseModel):
    erased: list[str]
    years: int


@router.post("/persons/{person_id}/erase", status_code=status.HTTP_204_NO_CONTENT)
async def erase_person(person_id: Line, body: ReasonRequest, admin: Admin, privacy: PrivacyDep) -> None:
    """Effacer les renseignements personnels (Loi 25), puis purger ce que les fichiers de la base
    en gardaient / Erase the personal data (Loi 25), then purge what the database files kept."""
    await in_thread(lambda: privacy.erase(person_id, body.reason, admin, context_for(admin)))


@router.get("/persons/{person_id}/export", response_model=PersonExport | ErasureRecord)
async def export_person(person_id: Line, admin: Admin, privacy: PrivacyDep) -> dict[str, Any]:
    """Tout ce qui est détenu sur une personne (JSON) ; une personne effacée : la trace de
    l'effacement seulement / Everything held on a person (JSON); an erased person: the erasure
    record only."""
    return await run_short(lambda: privacy.export(person_id, admin))


@router.get("/access-log", response_model=Page[AccessLogEntry])
async def read_access_log(
    _admin: Admin,
    queries: QueriesDep,
    page: Pagination,
    person_id: Line | None = None,
    actor: Line | None = None,
    since: datetime | None = None,
) -> Page[AccessLogEntry]:
    """Journal des consultations de dossiers / Log of file reads."""
    rows, total = await run_short(
        lambda: queries.access_log(
            person_id=person_id, actor=actor, since=since, offset=page.offset, limit=page.limit
        )
    )
    return Page(
        items=[AccessLogEntry.model_validate(r) for r in rows],
        total=total,
        offset=page.offset,
        limit=page.limit,
    )


@router.post("/retention/run", response_model=RetentionRun)
async def run_retention(
    admin: Admin,
    privacy: PrivacyDep,
    years: Annotated[
        int | None,
        Query(
            ge=1,
            le=100,
            description="Défaut : réglage du service",
            json_schema_extra=label("Années d'inactivité", "Years of inactivity"),
        ),
    ] = None,
) -> RetentionRun:
    """Effacer les personnes inactives depuis N années / Erase persons inactive for N years."""
    chosen = years or privacy.retention_years
    return await in_thread(
        lambda: RetentionRun(erased=privacy.run_retention(chosen, context_for(admin)), years=chosen)
    )
