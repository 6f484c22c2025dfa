"""The ministry's work queue (``/controle``): the submitted and under-control reports of the
organizations a reviewer is assigned (all of them for an admin), the earliest control deadline
first with the late ones ahead, their age in days; filters by quarter, state, organization and
region; and, per quarter of the fiscal year, the reports by state, the late submissions and the
drafts past their deadline.

Reporting's queue filters and orders (late ones first, then by control deadline) for the
reviewer's organizations, a page of 50 at a time; its overview counts the late submissions and
drafts. Organizations' names and regions come from reporting's registry.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from gsi_kernel.fiscal import FiscalQuarter
from portal.auth import SignedIn
from portal.backend import BackendError, Backends
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.persons_choices import regions
from portal.routes.persons_common import today_in_montreal
from portal.routes.reports_common import unread_count

router = APIRouter()

MINISTRY_ROLES = frozenset({"ministry_reviewer", "admin"})
QUEUE_STATES = ("submitted", "under_control")
QUEUE_MOST = 200  # reporting's largest page
QUEUE_PAGE = 50
_REGION = re.compile(r"0[1-9]|1[0-7]")  # Québec's administrative regions


def require_reviewer(who: SignedIn) -> None:
    """The ministry's pages: a reviewer's or an admin's (anyone else: 403). Which organizations a
    reviewer may see is reporting's registry's to say (ADR 23): another organization's report
    answers 404 there, and so here."""
    if set(who.user.roles).isdisjoint(MINISTRY_ROLES):
        raise HTTPException(403)


async def organizations(backends: Backends, who: SignedIn) -> dict[str, dict[str, Any]]:
    """The organizations whose reports the person controls, by id (their names and regions): an
    admin's, all; a reviewer's, those reporting's registry assigns to them."""
    found, assigned = await asyncio.gather(
        backends.get("reporting", "/organizations", token=who.token, limit=QUEUE_MOST),
        _assigned(backends, who),
    )
    return {
        str(o["organization_id"]): o
        for o in found["items"]
        if assigned is None or o["organization_id"] in assigned
    }


async def _assigned(backends: Backends, who: SignedIn) -> set[str] | None:
    if "admin" in who.user.roles:
        return None
    found = await backends.get("reporting", f"/reviewers/{who.user.user_id}/organizations", token=who.token)
    return {str(o["organization_id"]) for o in found}


async def ministry_unread(backends: Backends, token: str) -> int | None:
    """The header's badge, when the person has an inbox (the ministry's users may have none)."""
    try:
        return await unread_count(backends, token)
    except BackendError:  # a missing badge must not cost the page
        return None


def _quarter_or_none(text: str) -> FiscalQuarter | None:
    try:
        return FiscalQuarter.parse(text) if text else None
    except ValueError:
        return None


def queue_filters(filters: dict[str, str]) -> dict[str, str]:
    """The filters as reporting's queue takes them; a value it would refuse (typed in the
    address) is left out, as if not chosen."""
    chosen = {
        "quarter": filters["trimestre"] if _quarter_or_none(filters["trimestre"]) else "",
        "state": filters["etat"] if filters["etat"] in QUEUE_STATES else "",
        "organization_id": filters["organisme"] if len(filters["organisme"]) <= 100 else "",
        "region": filters["region"] if _REGION.fullmatch(filters["region"]) else "",
    }
    return {k: v for k, v in chosen.items() if v}


async def overview(backends: Backends, token: str, fiscal_year: str) -> list[dict[str, Any]]:
    """Per quarter: reporting's overview (reports by state, late today, submitted late, drafts
    past their deadline)."""
    per_quarter = await backends.get("reporting", "/reports/overview", token=token, fiscal_year=fiscal_year)
    return [{**q, "season": FiscalQuarter.parse(q["quarter"])} for q in per_quarter]


def _quarter_choices(season: FiscalQuarter, quarters: list[dict[str, Any]]) -> list[FiscalQuarter]:
    """The fiscal year's quarters and the previous year's (a late report may still wait)."""
    previous = [FiscalQuarter(season.start_year - 1, n) for n in range(1, 5)]
    return sorted({q["season"] for q in quarters} | set(previous) | {season}, key=str, reverse=True)


@router.get("/controle")
async def work_queue(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_reviewer(who)
    filters = {
        k: str(request.query_params.get(k, "")).strip() for k in ("trimestre", "etat", "organisme", "region")
    }
    number = page_number(str(request.query_params.get("page", "")), limit=10_000)
    chosen = _quarter_or_none(filters["trimestre"])
    season = chosen or FiscalQuarter.of(today_in_montreal(request))
    fiscal_year = f"{season.start_year}-{season.start_year + 1}"
    queue, orgs, quarters, unread = await asyncio.gather(
        backends.get(
            "reporting",
            "/reports/queue",
            token=who.token,
            **queue_filters(filters),
            **rows_of(number, QUEUE_PAGE),
        ),
        organizations(backends, who),
        overview(backends, who.token, fiscal_year),
        ministry_unread(backends, who.token),
    )
    rows = [{**r, "season": FiscalQuarter.parse(r["quarter"])} for r in queue["items"]]
    region_names = regions().names
    served = sorted({code for o in orgs.values() for code in o["regions"]})
    context = {
        "rows": rows,
        "total": int(queue["total"]),
        "pager": Pager(number, int(queue["total"]), filters, "/controle", size=QUEUE_PAGE),
        "filters": filters,
        "filtering": any(filters.values()),
        "orgs": orgs,
        "quarter_choices": _quarter_choices(season, quarters),
        "region_choices": [(code, region_names.get(code, code)) for code in served],
        "states": QUEUE_STATES,
        "overview": quarters,
        "fiscal_year": fiscal_year,
        "unread": unread,
    }
    return pages.render(request, "review/queue.html", context)
