"""HTTP resources: exports for the ministry's data warehouse, and program indicators of the
integration journey."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Response

from gsi_kernel.fields import Line
from gsi_kernel.http.security import Ministry, authenticated_router
from gsi_kernel.http.threads import in_thread, run_short
from reporting.deps import ExportDep, IndicatorsDep

router = authenticated_router(prefix="/exports", tags=["exports"])
indicators_router = authenticated_router(prefix="/indicators", tags=["cibles / targets"])


@router.get(
    "/accepted-reports/{fiscal_year}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV (UTF-8)"}},
)
async def accepted_reports_csv(
    fiscal_year: Annotated[Line, Path(max_length=9, examples=["2026-2027"])],
    principal: Ministry,
    export: ExportDep,
) -> Response:
    """Contenu des rapports acceptés d'un exercice, tel que soumis (CSV) / Contents of a fiscal
    year's accepted reports, as submitted (CSV): one row per intervention. Reviewers get their
    assigned organizations' reports; admins all."""
    headers = {"Content-Disposition": f'attachment; filename="accepted-reports-{fiscal_year}.csv"'}
    return await in_thread(
        lambda: Response(
            export.csv(fiscal_year, principal), media_type="text/csv; charset=utf-8", headers=headers
        )
    )


@indicators_router.get("/{fiscal_year}/integration")
async def integration_indicators(
    fiscal_year: Annotated[Line, Path(max_length=9, examples=["2026-2027"])],
    _principal: Ministry,
    indicators: IndicatorsDep,
) -> dict[str, Any]:
    """Personnes servies par région, délai de l'arrivée au premier service (référence : 5 jours
    ouvrables), taux de refus par trimestre / Persons served per region, time from arrival to
    first service (reference: 5 business days), rejection rate per quarter (ministry)."""
    return await run_short(lambda: indicators.compute(fiscal_year))
