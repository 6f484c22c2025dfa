"""The home page: for an organization's staff and managers, this quarter's report card (state,
deadline, days left, late) and the latest notices; the unread count goes to the header."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep

router = APIRouter()
LATEST_NOTICES = 5


@dataclass(frozen=True)
class ReportCard:
    quarter: FiscalQuarter
    state: str
    due: date | None
    days_left: int | None
    late: bool
    interventions: int
    persons: int

    @classmethod
    def of(cls, report: dict[str, Any], quarter: FiscalQuarter, today: date) -> ReportCard:
        due = date.fromisoformat(report["submission_due"]) if report.get("submission_due") else None
        return cls(
            quarter=quarter,
            state=str(report["state"]),
            due=due,
            days_left=(due - today).days if due else None,
            late=bool(report.get("late")),
            interventions=int(report.get("interventions_count", 0)),
            persons=int(report.get("persons_count", 0)),
        )


@router.get("/")
async def home(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    clock: Clock = request.app.state.clock
    today = montreal_date(clock.now())
    quarter = FiscalQuarter.of(today)
    user, token = who.user, who.token
    calls: list[Awaitable[Any]] = [
        backends.get("notifications", "/inbox", token=token, limit=LATEST_NOTICES),
        backends.get("notifications", "/inbox/unread-count", token=token),
    ]
    if user.works_for_an_organization:
        calls.append(backends.get("reporting", f"/reports/{user.organization}/{quarter}", token=token))
    inbox, unread, *report = await asyncio.gather(*calls)
    card = ReportCard.of(report[0], quarter, today) if report else None
    context = {"card": card, "notices": inbox["items"], "unread": unread["unread"], "today": today}
    return pages.render(request, "home.html", context)
