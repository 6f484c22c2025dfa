"""HTTP resource: bulk imports of interventions from CSV or XLSX files."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import File, Form, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gsi_kernel.fields import Line
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.policy import own_organization
from gsi_kernel.http.security import OrgUser, Reader, authenticated_router
from gsi_kernel.http.threads import in_thread, run_short
from gsi_kernel.http.uploads import Upload
from interventions.deps import HistoryDep, ImportsDep
from interventions.imports.domain import ImportMode

router = authenticated_router(prefix="/imports", tags=["imports"])

FormatQuery = Annotated[Literal["csv", "xlsx"], Query(description="csv ou xlsx / csv or xlsx")]
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ImportStarted(BaseModel):
    import_id: str
    new: bool  # False: this very file was already imported in this mode — nothing new is created


class ImportView(BaseModel):
    import_id: str
    organization_id: str
    file_name: str
    format: str
    mode: str
    status: str  # validating | writing | done | failed
    total_rows: int
    processed_rows: int
    created: int
    unchanged: int
    rejected: int
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    failure: str | None


@router.get("/template", response_class=Response)
async def import_template(_principal: Reader, imports: ImportsDep, format: FormatQuery = "xlsx") -> Response:
    """Le gabarit à remplir / The template to fill in."""
    return await in_thread(
        lambda: Response(
            imports.template(format),
            media_type=_MEDIA[format],
            headers={"Content-Disposition": f'attachment; filename="gabarit-interventions.{format}"'},
        )
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=ImportStarted)
async def start_import(
    principal: OrgUser,
    imports: ImportsDep,
    file: Annotated[Upload, File(description="CSV (UTF-8 ou Windows-1252) ou XLSX")],
    mode: Annotated[ImportMode, Form(description="dry_run, all_or_nothing ou valid_rows_only")] = (
        ImportMode.DRY_RUN
    ),
) -> ImportStarted:
    """Importer un fichier ; suivre l'avancement sur /imports/{id} / Import a file; follow its progress."""
    organization = own_organization(principal)
    content = await file.read(imports.limits.max_bytes + 1)  # one byte more tells "too large"
    name, context = file.filename or "import", context_for(principal)
    import_id, new = await in_thread(
        lambda: imports.start(name, content, mode=mode, organization_id=organization, context=context)
    )
    return ImportStarted(import_id=import_id, new=new)


@router.get("/{import_id}", response_model=ImportView)
async def get_import(import_id: Line, principal: Reader, imports: ImportsDep) -> ImportView:
    """Avancement et résultat d'une importation / An import's progress and outcome."""
    return await run_short(lambda: ImportView.model_validate(imports.get(import_id, principal)))


class ImportErrorView(BaseModel):
    row: int | None  # None: an error of the whole file (a missing column…)
    column: str | None
    code: str
    fr: str
    en: str
    value: str | None


@router.get("", response_model=Page[ImportView])
async def list_imports(
    principal: Reader,
    history: HistoryDep,
    page: Pagination,
    status_: Annotated[
        Literal["validating", "writing", "done", "failed"] | None, Query(alias="status")
    ] = None,
) -> Page[ImportView]:
    """Les importations, les plus récentes d'abord / Imports, newest first."""
    rows, total = await run_short(
        lambda: history.imports(principal, status=status_, offset=page.offset, limit=page.limit)
    )
    items = [ImportView.model_validate(r) for r in rows]
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


@router.get(
    "/{import_id}/errors",
    response_class=Response,
    responses={200: {"model": Page[ImportErrorView], "content": {media: {} for media in _MEDIA.values()}}},
)
async def import_errors(
    import_id: Line,
    principal: Reader,
    imports: ImportsDep,
    history: HistoryDep,
    page: Pagination,
    format: Annotated[
        Literal["csv", "xlsx", "json"],
        Query(
            description="csv, xlsx : tout le fichier ; json : une page / csv, xlsx: whole file; json: a page"
        ),
    ] = "csv",
) -> Response:
    """Le fichier des erreurs (ligne, colonne, code, message), ou une page de ses lignes en JSON
    / The error file (row, column, code, message), or a page of its rows as JSON."""
    if format == "json":
        rows, total = await run_short(
            lambda: history.errors(import_id, principal, offset=page.offset, limit=page.limit)
        )
        items = [ImportErrorView.model_validate(r) for r in rows]
        body = Page[ImportErrorView](items=items, total=total, offset=page.offset, limit=page.limit)
        return JSONResponse(body.model_dump(mode="json"))
    report = await in_thread(lambda: imports.error_report(import_id, principal, format))  # a whole file
    return Response(
        report,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="erreurs-{import_id}.{format}"'},
    )
