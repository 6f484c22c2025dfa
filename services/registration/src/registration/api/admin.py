"""HTTP resources for administrators: duplicates queue, erasure and export (Loi 25), access
log, eligibility rule sets, retention."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Body, Path, Query, status
from pydantic import BaseModel

from gsi_kernel.document_changes import VersionChanges
from gsi_kernel.fields import Document, Line, Lines, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import in_thread, run_short
from registration.api.deps import DuplicatesDep, PrivacyDep, QueriesDep, RulesDep
from registration.api.erasure import ErasureRecord, PersonExport
from registration.api.schemas import ReasonRequest

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


class AccessLogEntry(BaseModel):
    person_id: str
    actor: str
    actor_organization: str | None
    roles: str
    purpose: str
    action: str
    at: datetime


class RuleSetVersion(BaseModel):
    program: str
    version: str
    effective_from: date
    published_at: datetime | None = None
    published_by: str | None = None
    reason: str | None = None


RuleSetDocument = Annotated[Document, Body(description="Un jeu de règles (format gsi_eligibility)")]
Program = Annotated[Line, Path(examples=["PASI"], json_schema_extra=label("Programme", "Programme"))]
RuleSetVersionNumber = Annotated[
    Line, Path(examples=["2020.1"], json_schema_extra=label("Version", "Version"))
]
PublishReason = Annotated[
    Lines | None,
    Query(max_length=1000, json_schema_extra=label("Raison de la publication", "Reason for publishing")),
]


class RetentionRun(BaseModel):
    erased: list[str]
    years: int


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


@router.get("/rule-sets", response_model=list[RuleSetVersion])
async def rule_set_versions(_admin: Admin, rules: RulesDep) -> list[RuleSetVersion]:
    """Versions des règles d'admissibilité / Eligibility rule-set versions."""
    return await run_short(lambda: [RuleSetVersion.model_validate(v) for v in rules.versions()])


@router.post("/rule-sets", status_code=status.HTTP_201_CREATED, response_model=RuleSetVersion)
async def publish_rule_set(
    document: RuleSetDocument, admin: Admin, rules: RulesDep, reason: PublishReason = None
) -> RuleSetVersion:
    """Publier une version datée des règles / Publish an effective-dated rule-set version."""
    published = await run_short(lambda: rules.publish(document, context_for(admin), reason or ""))
    return RuleSetVersion(
        program=published.program,
        version=published.version,
        effective_from=published.effective_from,
        reason=reason,
    )


@router.post("/rule-sets/preview", response_model=VersionChanges)
async def preview_rule_set(document: RuleSetDocument, _admin: Admin, rules: RulesDep) -> dict[str, Any]:
    """Aperçu sans rien publier : la version proposée, validée comme à la publication (mêmes
    refus 409/422), comparée à la version en vigueur à sa date d'effet — règles, volets et
    statuts ajoutés, retirés ou modifiés / Dry run, nothing published: the proposed version,
    checked as publishing would (same 409/422 refusals), against the version in force on its
    effective date — clauses, volets and statuses added, removed or changed."""
    return await run_short(lambda: rules.preview(document))


@router.get("/rule-sets/{program}/{rule_set_version}")
async def rule_set_document(
    program: Program, rule_set_version: RuleSetVersionNumber, _admin: Admin, rules: RulesDep
) -> dict[str, Any]:
    """Le document d'une version / One version's document."""
    return await run_short(lambda: rules.document(program, rule_set_version))


@router.get("/rule-sets/{program}/{rule_set_version}/changes", response_model=VersionChanges)
async def compare_rule_sets(
    program: Program,
    rule_set_version: RuleSetVersionNumber,
    _admin: Admin,
    rules: RulesDep,
    against: Annotated[
        Line, Query(examples=["2020.1"], json_schema_extra=label("Version comparée", "Compared version"))
    ],
) -> dict[str, Any]:
    """Ce qui change d'une version (against) à une autre / What changes from one version
    (against) to another."""
    return await run_short(lambda: rules.compare(program, against, rule_set_version))


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
