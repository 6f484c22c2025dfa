"""The programme's indicators (``/indicateurs``), for the ministry: persons served per quarter,
the share with an action plan, interventions per code, persons served per region, the time from
arrival to first service and the 12-month regional retention of a fiscal year — each a chart,
its table and the table as CSV for Excel (UTF-8 with a byte-order mark, French headers,
semicolons and decimal commas as a French Excel reads them). One definition of each table
serves the page (in the reader's language) and its CSV (in French), from reporting's
``/indicators/{year}`` and ``/indicators/{year}/integration``."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from gsi_kernel.fiscal import FiscalQuarter
from portal.auth import SignedIn
from portal.backend import Backends
from portal.i18n import Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.ministry_organizations import chosen_year, is_fiscal_year, require_ministry, year_choices
from portal.routes.persons_choices import gettext_for, regions
from portal.routes.reports_common import unread_count
from portal.web import request_language

router = APIRouter()
BASE = "/indicateurs"
Cell = str | int | float | None
Gettext = Callable[[str], str]


@dataclass(frozen=True)
class Bar:
    label: str
    length: float  # the share of the chart's width, 0 to 100
    value: Cell


@dataclass(frozen=True)
class Table:
    """One indicator: its table (``key`` names its section and its CSV) and its chart's bars,
    drawn from ``chart`` (the label's column, the value's column), scaled to the largest value,
    or to 100 for a share (``share``)."""

    key: str
    headers: list[str]
    rows: list[list[Cell]]
    chart: tuple[int, int] | None = None
    share: bool = False

    @property
    def bars(self) -> list[Bar]:
        if self.chart is None:
            return []
        label, value = self.chart
        numbers = [(str(r[label]), v) for r in self.rows if isinstance(v := r[value], int | float)]
        top = 100.0 if self.share else max((v for _, v in numbers), default=0)
        return [Bar(name, round(100 * v / top, 1) if top else 0.0, v) for name, v in numbers]


def _region(code: str | None, _: Gettext) -> str:
    return regions().names.get(code or "", _("Unknown region")) if code else _("Unknown region")


def _quarter_name(code: str, _: Gettext) -> str:
    """``2026-2027-Q1`` as the pages name it: T1 2026-2027, Q1 2026-2027."""
    q = FiscalQuarter.parse(code)
    return _("Q%(number)s %(start)s-%(end)s") % {
        "number": q.number,
        "start": q.start_year,
        "end": q.start_year + 1,
    }


def _quarters(counts: dict[str, Any], _: Gettext) -> Table:
    rows: list[list[Cell]] = [
        [
            _quarter_name(q["quarter"], _),
            q["persons_served"],
            q["interventions_total"],
            q["action_plans_opened"],
        ]
        for q in counts["quarters"]
    ]
    headers = [_("Quarter"), _("Persons served"), _("Interventions"), _("Action plans opened")]
    return Table("trimestres", headers, rows, chart=(0, 1))


def _plans(counts: dict[str, Any], _: Gettext) -> Table:
    row: list[Cell] = [
        counts["fiscal_year"],
        counts["persons_served"],
        counts["persons_with_action_plan"],
        counts["action_plan_share_pct"],
    ]
    headers = [_("Fiscal year"), _("Persons served"), _("Persons with an action plan"), _("Share (%)")]
    return Table("plans-action", headers, [row], chart=(0, 3), share=True)


def _codes(counts: dict[str, Any], _: Gettext) -> Table:
    rows: list[list[Cell]] = [[c["code"], c["count"]] for c in counts["interventions_per_code"]]
    return Table("codes", [_("Intervention code"), _("Interventions")], rows, chart=(0, 1))


def _per_region(integration: dict[str, Any], _: Gettext) -> Table:
    rows: list[list[Cell]] = [
        [r["region"] or "", _region(r["region"], _), r["persons"]]
        for r in integration["persons_served_per_region"]
    ]
    return Table("regions", [_("Region code"), _("Region"), _("Persons served")], rows, chart=(1, 2))


def _first_service(integration: dict[str, Any], _: Gettext) -> Table:
    f = integration["first_service"]
    row: list[Cell] = [
        f["persons"],
        f["median_business_days"],
        f["reference_business_days"],
        f["within_reference"],
        f["within_reference_pct"],
    ]
    headers = [
        _("Persons first served this year"),
        _("Median (business days)"),
        _("Reference (business days)"),
        _("Served within the reference"),
        _("Share within the reference (%)"),
    ]
    return Table("premier-service", headers, [row])


def _retention(integration: dict[str, Any], _: Gettext) -> Table:
    figures = integration["regional_retention"]
    every = [*figures["regions"], figures["program"]]
    rows: list[list[Cell]] = [
        [
            r["region"] or "",
            _region(r["region"], _) if r["region"] else _("Whole programme"),
            r["persons"],
            r["stayed"],
            r["moved"],
            r["unknown"],
            r["retention_pct"],
        ]
        for r in every
    ]
    headers = [
        _("Region code"),
        _("Region"),
        _("Persons followed up"),
        _("Stayed"),
        _("Moved"),
        _("Could not be reached"),
        _("Retention (%)"),
    ]
    return Table("retention", headers, rows, chart=(1, 6), share=True)


def tables(counts: dict[str, Any], integration: dict[str, Any], language: Language) -> list[Table]:
    _ = gettext_for(language)
    return [
        _quarters(counts, _),
        _plans(counts, _),
        _codes(counts, _),
        _per_region(integration, _),
        _first_service(integration, _),
        _retention(integration, _),
    ]


def as_csv(table: Table) -> bytes:
    """The table for a French Excel: UTF-8 with a byte-order mark, semicolons, decimal commas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([_csv_cell(c) for c in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: Cell) -> Cell:
    if value is None:
        return ""
    return str(value).replace(".", ",") if isinstance(value, float) else value


async def _figures(backends: Backends, who: SignedIn, year: str) -> tuple[dict[str, Any], dict[str, Any]]:
    require_ministry(who.user)
    counts, integration = await asyncio.gather(
        backends.get("reporting", f"/indicators/{year}", token=who.token),
        backends.get("reporting", f"/indicators/{year}/integration", token=who.token),
    )
    return counts, integration


@router.get(BASE)
async def indicators(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    year = chosen_year(request)
    (counts, integration), unread = await asyncio.gather(
        _figures(backends, who, year), unread_count(backends, who.token)
    )
    context = {
        "year": year,
        "years": year_choices(year),
        "tables": {t.key: t for t in tables(counts, integration, request_language(request))},
        "unread": unread,
    }
    return pages.render(request, "ministry/indicators.html", context)


@router.get(BASE + "/{year}/{key}.csv")
async def indicator_csv(year: str, key: str, who: SignedInDep, backends: BackendsDep) -> Response:
    if not is_fiscal_year(year):
        raise HTTPException(404)
    counts, integration = await _figures(backends, who, year)
    found = next((t for t in tables(counts, integration, "fr") if t.key == key), None)
    if found is None:
        raise HTTPException(404)
    name = f"indicateurs-{key}-{year}.csv"
    return Response(
        as_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
