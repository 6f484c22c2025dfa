"""HTTP resources of the eligibility rule sets, for administrators: the versions, publishing a
dated version, its dry-run preview, and what changes from one version to another."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Body, Path, Query, status
from pydantic import BaseModel

from gsi_kernel.document_changes import VersionChanges
from gsi_kernel.fields import Document, Line, Lines, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import run_short
from registration.deps import RulesDep

router = authenticated_router(tags=["administration"])


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
