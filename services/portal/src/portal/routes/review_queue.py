"""The ministry's work queue (``/controle``): the submitted and under-control reports of the
organizations a reviewer is assigned (all of them for an admin), the earliest control deadline
first with the late ones ahead, their age in days; filters by quarter, state, organization and
region; and, per quarter of the fiscal year, the reports by state, the late submissions and the
drafts past their deadline.

Reporting's queue answers in control-deadline order for the reviewer's organizations; the filters
are applied here, over the queue's first 200 reports (a ministry's queue holds a few dozen: the
page says when there are more). Organizations' names and regions come from reporting's registry.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from gsi_kernel.fiscal import FiscalQuarter
from portal.auth import SignedIn
from portal.backend import BackendError, Backends
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.persons_choices import regions
from portal.routes.persons_common import today_in_montreal
from portal.routes.reports_common import unread_count

router = APIRouter()

MINISTRY_ROLES = frozenset({"ministry_reviewer", "admin"})
QUEUE_STATES = ("submitted", "under_control")
QUEUE_MOST = 200  # reporting's largest page
SUBMITTED_STATES = frozenset({"submitted", "under_control", "accepted", "locked"})


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


def filtered(
    rows: list[dict[str, Any]], orgs: dict[str, dict[str, Any]], filters: dict[str, str]
) -> list[dict[str, Any]]:
    """The queue's reports the filters keep, late ones first, then by control deadline (the
    queue's own order kept within each)."""
    kept = [
        r
        for r in rows
        if (not filters["trimestre"] or r["quarter"] == filters["trimestre"])
        and (not filters["etat"] or r["state"] == filters["etat"])
        and (not filters["organisme"] or r["organization_id"] == filters["organisme"])
        and (
            not filters["region"]
            or filters["region"] in orgs.get(str(r["organization_id"]), {}).get("regions", ())
        )
    ]
    return sorted(kept, key=lambda r: not (r["overdue"] or r["late"]))


async def overview(backends: Backends, token: str, fiscal_year: str) -> list[dict[str, Any]]:
    """Per quarter: reporting's overview (reports by state, late today), with the late ones
    told apart — submitted late, or drafts past their deadline."""
    per_quarter = await backends.get("reporting", "/reports/overview", token=token, fiscal_year=fiscal_year)
    listings = await asyncio.gather(
        *(
            backends.get("reporting", "/reports", token=token, quarter=q["quarter"], limit=QUEUE_MOST)
            for q in per_quarter
        )
    )
    entries = []
    for q, listing in zip(per_quarter, listings, strict=True):
        late = [r for r in listing["items"] if r["late"]]
        entries.append(
            {
                **q,
                "season": FiscalQuarter.parse(q["quarter"]),
                "late_submissions": sum(r["state"] in SUBMITTED_STATES for r in late),
                "late_drafts": sum(r["state"] == "draft" for r in late),
            }
        )
    return entries


@router.get("/controle")
async def work_queue(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_reviewer(who)
    filters = {
        k: str(request.query_params.get(k, "")).strip() for k in ("trimestre", "etat", "organisme", "region")
    }
    chosen = _quarter_or_none(filters["trimestre"])
    season = chosen or FiscalQuarter.of(today_in_montreal(request))
    fiscal_year = f"{season.start_year}-{season.start_year + 1}"
    queue, orgs, quarters, unread = await asyncio.gather(
        backends.get("reporting", "/reports/queue", token=who.token, limit=QUEUE_MOST),
        organizations(backends, who),
        overview(backends, who.token, fiscal_year),
        ministry_unread(backends, who.token),
    )
    rows = [{**r, "season": FiscalQuarter.parse(r["quarter"])} for r in queue["items"]]
    region_names = regions().names
    served = sorted({code for o in orgs.values() for code in o["regions"]})
    context = {
        "rows": filtered(rows, orgs, filters),
        "more": int(queue["total"]) > len(rows),
        "filters": filters,
        "filtering": any(filters.values()),
        "orgs": orgs,
        "quarter_choices": sorted(
            {r["season"] for r in rows} | {q["season"] for q in quarters}, key=str, reverse=True
        ),
        "region_choices": [(code, region_names.get(code, code)) for code in served],
        "states": QUEUE_STATES,
        "overview": quarters,
        "fiscal_year": fiscal_year,
        "unread": unread,
    }
    return pages.render(request, "review/queue.html", context)
