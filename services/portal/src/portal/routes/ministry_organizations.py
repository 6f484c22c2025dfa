"""The ministry's organizations (``/organismes``): a reviewer's assigned organizations (an
administrator's: all), and an organization's profile — its agreements and volets, its targets
against its achievements per quarter (charts and their table), its reports, its assigned
reviewers and its contacts. Which organizations a reviewer sees comes from reporting's registry
of assignments, not from the token: an assignment made a minute ago counts at once."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from portal.auth import SignedIn, User
from portal.backend import Backends
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.home import fiscal_year
from portal.routes.reports_common import unread_count

router = APIRouter()
BASE = "/organismes"
MINISTRY_ROLES = frozenset({"ministry_reviewer", "admin"})
MEASURES = ("unique_persons", "action_plans", "interventions_total")
ALL_ORGANIZATIONS = 200  # the programme's organizations fit in one page of the registry
_ID = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")
_YEAR = re.compile(r"^(\d{4})-(\d{4})$")


def require_ministry(user: User) -> None:
    """The ministry's pages: its reviewers and its administrators."""
    if MINISTRY_ROLES.isdisjoint(user.roles):
        raise HTTPException(403)


async def visible_organizations(backends: Backends, who: SignedIn) -> dict[str, str]:
    """The organizations the person may follow, id -> name, in the registry's order: an
    administrator's are all; a reviewer's, those the registry assigns to them."""
    require_ministry(who.user)
    if "admin" in who.user.roles:
        found = await backends.get("reporting", "/organizations", token=who.token, limit=ALL_ORGANIZATIONS)
        rows = found["items"]
    else:
        rows = await backends.get(
            "reporting", f"/reviewers/{quote(who.user.user_id, safe='@')}/organizations", token=who.token
        )
    return {str(r["organization_id"]): str(r["name"]) for r in rows}


def is_fiscal_year(text: str) -> bool:
    """``2026-2027``: a year and the next."""
    match = _YEAR.match(text)
    return match is not None and int(match[2]) == int(match[1]) + 1


def chosen_year(request: Request) -> str:
    """The fiscal year asked for (``exercice=2026-2027``), else this one."""
    asked = str(request.query_params.get("exercice", ""))
    if is_fiscal_year(asked):
        return asked
    return fiscal_year(FiscalQuarter.of(montreal_date(request.app.state.clock.now())))


def year_choices(year: str) -> list[str]:
    """The year shown and the two around it, for the year picker."""
    start = int(year[:4])
    return [f"{y}-{y + 1}" for y in (start - 1, start, start + 1)]


@dataclass(frozen=True)
class QuarterMeasure:
    """One measure of one quarter against the quarter's target; ``length``: the chart's bar
    (the share reached, capped at 100), None without a target."""

    quarter: FiscalQuarter
    actual: int
    target: int | None
    pct: float | None

    @property
    def length(self) -> float | None:
        return None if self.pct is None else round(min(self.pct, 100.0), 1)


def per_quarter(performance: dict[str, Any]) -> dict[str, list[QuarterMeasure]]:
    """Each measure's four quarters, from reporting's ``/targets`` (in the quarter alone)."""
    return {
        name: [
            QuarterMeasure(
                FiscalQuarter.parse(q["quarter"]),
                int(q["in_quarter"][name]["actual"]),
                q["in_quarter"][name]["target"],
                q["in_quarter"][name]["pct"],
            )
            for q in performance["quarters"]
        ]
        for name in MEASURES
    }


@router.get(BASE)
async def organizations(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    visible, unread = await asyncio.gather(
        visible_organizations(backends, who), unread_count(backends, who.token)
    )
    rows = [{"organization_id": o, "name": n} for o, n in visible.items()]
    return pages.render(request, "ministry/organizations.html", {"rows": rows, "unread": unread})


@router.get(BASE + "/{organization_id}")
async def profile(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    if not _ID.match(organization_id):
        raise HTTPException(404)
    if organization_id not in await visible_organizations(backends, who):
        raise HTTPException(404)  # another reviewer's organization: as if it did not exist
    year, token = chosen_year(request), who.token
    found = await asyncio.gather(
        backends.get("reporting", f"/organizations/{organization_id}", token=token),
        backends.get("reporting", f"/organizations/{organization_id}/reviewers", token=token),
        backends.get("reporting", "/agreements", token=token, organization_id=organization_id, limit=50),
        backends.get("reporting", f"/targets/{organization_id}/{year}", token=token),
        backends.get("reporting", "/reports", token=token, organization_id=organization_id, limit=50),
        unread_count(backends, token),
    )
    organization, reviewers, agreements, performance, reports, unread = found
    context = {
        "organization": organization,
        "reviewers": reviewers,
        "agreements": agreements["items"],
        "year": year,
        "years": year_choices(year),
        "measures": per_quarter(performance),
        "reports": [{**r, "season": FiscalQuarter.parse(r["quarter"])} for r in reports["items"]],
        "unread": unread,
    }
    return pages.render(request, "ministry/organization.html", context)
