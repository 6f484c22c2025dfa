"""HTTP resource: exports for the ministry's data warehouse."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Response

from gsi_kernel.http.app import from_app_state
from gsi_kernel.http.security import Ministry, authenticated_router
from reporting.app.exports import AcceptedReportsExport

router = authenticated_router(prefix="/exports", tags=["exports"])

ExportDep = Annotated[AcceptedReportsExport, Depends(from_app_state("exports", AcceptedReportsExport))]


@router.get(
    "/accepted-reports/{fiscal_year}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV (UTF-8)"}},
)
def accepted_reports_csv(
    fiscal_year: Annotated[str, Path(max_length=9, examples=["2026-2027"])],
    principal: Ministry,
    export: ExportDep,
) -> Response:
    """Contenu des rapports acceptés d'un exercice, tel que soumis (CSV) / Contents of a fiscal
    year's accepted reports, as submitted (CSV): one row per intervention. Reviewers get their
    assigned organizations' reports; admins all."""
    headers = {"Content-Disposition": f'attachment; filename="accepted-reports-{fiscal_year}.csv"'}
    return Response(export.csv(fiscal_year, principal), media_type="text/csv; charset=utf-8", headers=headers)
