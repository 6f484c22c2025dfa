"""The home page. For an organization's staff and managers: this quarter's report card (state,
deadline, days left, late) linking to the report, this quarter's flagged interventions (errors,
warnings) linking to the list filtered on them, the fiscal year to date against the agreement's
targets (a chart and its table), the lock exceptions still awaiting the ministry, and the latest
notices. The ministry's users, who belong to no organization, get the notices alone. Every
backend call of the page is made at once; the unread count goes to the header."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from portal.auth import SignedIn
from portal.backend import Backends
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.reports_common import unread_count

router = APIRouter()
LATEST_NOTICES = 5
PENDING_EXCEPTIONS = 10
SEVERITIES = ("error", "warning")
# The year's measures in the agreement's order; each intervention code follows them.
MEASURES = ("unique_persons", "action_plans", "interventions_total")


@dataclass(frozen=True)
class ReportCard:
    quarter: FiscalQuarter
    link: str
    state: str
    due: date | None
    days_left: int | None
    late: bool
    interventions: int
    persons: int

    @classmethod
    def of(cls, report: dict[str, Any], organization: str, quarter: FiscalQuarter, today: date) -> ReportCard:
        due = date.fromisoformat(report["submission_due"]) if report.get("submission_due") else None
        return cls(
            quarter=quarter,
            link=f"/rapports/{organization}/{quarter}",
            state=str(report["state"]),
            due=due,
            days_left=(due - today).days if due else None,
            late=bool(report.get("late")),
            interventions=int(report.get("interventions_count", 0)),
            persons=int(report.get("persons_count", 0)),
        )


@dataclass(frozen=True)
class Flagged:
    """This quarter's active interventions with at least one flag of a severity, and the list's
    address filtered the same way."""

    severity: str
    count: int
    link: str


@dataclass(frozen=True)
class Measure:
    """One measure of the year to date against the year's target. ``code``: an intervention
    code, else empty (``name`` is then one of :data:`MEASURES`); ``bar``: the share of the
    target reached, capped at 100 (the chart's bar), None without a target."""

    name: str
    code: str
    actual: int
    target: int | None
    pct: float | None

    @property
    def bar(self) -> float | None:
        return None if self.pct is None else round(min(self.pct, 100.0), 1)


def fiscal_year(quarter: FiscalQuarter) -> str:
    return f"{quarter.start_year}-{quarter.start_year + 1}"


def year_to_date(performance: Mapping[str, Any], quarter: FiscalQuarter) -> list[Measure]:
    """The measures of the year through ``quarter``'s end, from reporting's ``/targets``."""
    period = next((q["year_to_date"] for q in performance["quarters"] if q["quarter"] == str(quarter)), None)
    if period is None:
        return []
    measures = [Measure(name, "", **_progress(period[name])) for name in MEASURES]
    codes = [Measure("interventions", c["code"], **_progress(c)) for c in period["interventions"]]
    return measures + codes


def _progress(value: Mapping[str, Any]) -> dict[str, Any]:
    return {"actual": int(value["actual"]), "target": value["target"], "pct": value["pct"]}


def _flagged_link(quarter: FiscalQuarter, severity: str) -> str:
    return f"/interventions?quarter={quarter}&severity={severity}&status=active"


async def _flagged(backends: Backends, token: str, quarter: FiscalQuarter) -> list[Flagged]:
    """Both severities' counts in one call (interventions' ``/interventions/summary``)."""
    found = await backends.get("interventions", "/interventions/summary", token=token, quarter=str(quarter))
    return [Flagged(s, int(found[f"with_{s}s"]), _flagged_link(quarter, s)) for s in SEVERITIES]


def _organization_calls(
    backends: Backends, who: SignedIn, quarter: FiscalQuarter
) -> dict[str, Awaitable[Any]]:
    organization, token = who.user.organization, who.token
    return {
        "report": backends.get("reporting", f"/reports/{organization}/{quarter}", token=token),
        "targets": backends.get("reporting", f"/targets/{organization}/{fiscal_year(quarter)}", token=token),
        "exceptions": backends.get(
            "interventions", "/lock-exceptions", token=token, status="requested", limit=PENDING_EXCEPTIONS
        ),
        "flagged": _flagged(backends, token, quarter),
    }


async def _together(calls: dict[str, Awaitable[Any]]) -> dict[str, Any]:
    """The calls made at once, their answers by name."""
    answers = await asyncio.gather(*calls.values())
    return dict(zip(calls, answers, strict=True))


@router.get("/")
async def home(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    clock: Clock = request.app.state.clock
    today = montreal_date(clock.now())
    quarter = FiscalQuarter.of(today)
    calls: dict[str, Awaitable[Any]] = {
        "inbox": backends.get("notifications", "/inbox", token=who.token, limit=LATEST_NOTICES),
        "unread": unread_count(backends, who.token),
    }
    organization = who.user.organization if who.user.works_for_an_organization else None
    if organization:
        calls |= _organization_calls(backends, who, quarter)
    found = await _together(calls)
    context: dict[str, Any] = {
        "notices": found["inbox"]["items"],
        "unread": found["unread"],
        "today": today,
        "card": None,
    }
    if organization:
        context |= {
            "card": ReportCard.of(found["report"], organization, quarter, today),
            "flagged": found["flagged"],
            "fiscal_year": fiscal_year(quarter),
            "measures": year_to_date(found["targets"], quarter),
            "exceptions": [
                {**e, "season": FiscalQuarter.parse(e["quarter"])} for e in found["exceptions"]["items"]
            ],
            "more_exceptions": int(found["exceptions"]["total"]) > PENDING_EXCEPTIONS,
        }
    return pages.render(request, "home.html", context)
