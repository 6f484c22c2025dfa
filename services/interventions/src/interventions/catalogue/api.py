"""HTTP resource: the intervention catalogue (read by everyone; compared, previewed and
published by admins)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Body, Path, Query, status
from pydantic import BaseModel

from gsi_kernel.document_changes import VersionChanges
from gsi_kernel.fields import Document, Line, Lines, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.security import Admin, Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from interventions.deps import CatalogueDep

router = authenticated_router(prefix="/catalogue", tags=["catalogue"])

CatalogueDocument = Annotated[Document, Body(description="Document du catalogue (format gsi_conformity)")]
CatalogueVersionNumber = Annotated[
    Line, Path(examples=["2020.1"], json_schema_extra=label("Version", "Version"))
]
PublishReason = Annotated[
    Lines | None,
    Query(max_length=1000, json_schema_extra=label("Raison de la publication", "Reason for publishing")),
]


class CatalogueVersion(BaseModel):
    program: str
    version: str
    effective_from: date
    published_at: datetime | None = None
    published_by: str | None = None
    reason: str | None = None


@router.get("")
async def catalogue_in_force(
    _principal: Reader, catalogue: CatalogueDep, on: date | None = None
) -> dict[str, Any]:
    """Le catalogue en vigueur à une date (aujourd'hui par défaut) / The catalogue in force on a date."""
    return await run_short(lambda: catalogue.in_force(on))


@router.get("/versions")
async def catalogue_versions(_principal: Reader, catalogue: CatalogueDep) -> list[dict[str, Any]]:
    """Toutes les versions publiées / Every published version."""
    return await run_short(lambda: catalogue.versions())


@router.get("/history", response_model=list[CatalogueVersion])
async def catalogue_history(_admin: Admin, catalogue: CatalogueDep) -> list[dict[str, Any]]:
    """Les versions avec qui les a publiées, quand et pourquoi / The versions with who published
    them, when and why."""
    return await run_short(lambda: catalogue.history())


@router.get("/versions/{catalogue_version}")
async def catalogue_version_document(
    catalogue_version: CatalogueVersionNumber, _principal: Reader, catalogue: CatalogueDep
) -> dict[str, Any]:
    """Le document d'une version / One version's document."""
    return await run_short(lambda: catalogue.document(catalogue_version))


@router.get("/versions/{catalogue_version}/changes", response_model=VersionChanges)
async def compare_catalogues(
    catalogue_version: CatalogueVersionNumber,
    _admin: Admin,
    catalogue: CatalogueDep,
    against: Annotated[
        Line, Query(examples=["2020.1"], json_schema_extra=label("Version comparée", "Compared version"))
    ],
) -> dict[str, Any]:
    """Ce qui change d'une version (against) à une autre / What changes from one version
    (against) to another."""
    return await run_short(lambda: catalogue.compare(against, catalogue_version))


@router.post("/preview", response_model=VersionChanges)
async def preview_catalogue(
    _admin: Admin, catalogue: CatalogueDep, document: CatalogueDocument
) -> dict[str, Any]:
    """Aperçu sans rien publier : la version proposée, validée comme à la publication (mêmes
    refus 409/422), comparée à la version en vigueur à sa date d'effet — codes ajoutés, retirés
    ou modifiés / Dry run, nothing published: the proposed version, checked as publishing would
    (same 409/422 refusals), against the version in force on its effective date — codes added,
    removed or changed."""
    return await run_short(lambda: catalogue.preview(document))


@router.post("", status_code=status.HTTP_201_CREATED)
async def publish_catalogue(
    principal: Admin, catalogue: CatalogueDep, document: CatalogueDocument, reason: PublishReason = None
) -> dict[str, Any]:
    """Publier une nouvelle version (en vigueur au plus tôt demain) / Publish a new version
    (in force from tomorrow at the earliest)."""
    return await run_short(
        lambda: catalogue.publish(document, context=context_for(principal), reason=reason or "")
    )
