"""HTTP resource: the intervention catalogue (read by everyone, published by admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, Depends, status

from gsi_kernel.fields import Document
from gsi_kernel.http.app import from_app_state
from gsi_kernel.http.context import context_for
from gsi_kernel.http.security import Admin, Reader, authenticated_router
from interventions.app.catalogue import CatalogueAdmin

router = authenticated_router(prefix="/catalogue", tags=["catalogue"])

CatalogueDep = Annotated[CatalogueAdmin, Depends(from_app_state("catalogue", CatalogueAdmin))]


@router.get("")
def catalogue_in_force(_principal: Reader, catalogue: CatalogueDep, on: date | None = None) -> dict[str, Any]:
    """Le catalogue en vigueur à une date (aujourd'hui par défaut) / The catalogue in force on a date."""
    return catalogue.in_force(on)


@router.get("/versions")
def catalogue_versions(_principal: Reader, catalogue: CatalogueDep) -> list[dict[str, Any]]:
    """Toutes les versions publiées / Every published version."""
    return catalogue.versions()


@router.post("", status_code=status.HTTP_201_CREATED)
def publish_catalogue(
    principal: Admin,
    catalogue: CatalogueDep,
    document: Annotated[Document, Body(description="Document du catalogue (format gsi_conformity)")],
) -> dict[str, Any]:
    """Publier une nouvelle version (en vigueur au plus tôt demain) / Publish a new version
    (in force from tomorrow at the earliest)."""
    return catalogue.publish(document, context=context_for(principal))
