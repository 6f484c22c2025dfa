"""The quarterly report (``/rapports/{organization}/{quarter}``) and the organization's reports
(``/rapports``): the state as a timeline (reporting's audit trail), the deadline and the days
left, every submission with its integrity, the open rejection with its reasons per intervention;
for a manager, *verify* (findings grouped by check, each naming its intervention), *submit*
(a confirmation page first, then the SHA-256 frozen) and the answers to a rejection.

Every step is a plain form: POST, then back to the report with what was done. Verifying shows
its findings on the page the POST answers (running the checks again is harmless, and the
findings are too many to carry through a redirect). A step reporting refuses (409: the quarter
not ended, not covered, out of turn) comes back in the error summary in the person's language.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from gsi_kernel.fiscal import FiscalQuarter
from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import CHECKS
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import flash, take_flash, today_in_montreal
from portal.routes.persons_register import require_organization
from portal.routes.reports_common import (
    InterventionLabels,
    deadline,
    findings_by_check,
    intervention_labels,
    own_organization,
    quarter_of,
    read_answers,
    refusal,
    unread_count,
)
from portal.web import Pages, request_language

router = APIRouter()


def report_path(organization_id: str, quarter: FiscalQuarter | str) -> str:
    return f"/rapports/{organization_id}/{quarter}"


async def _integrity(backends: Backends, who: SignedIn, path: str, versions: int) -> list[dict[str, Any]]:
    return list(
        await asyncio.gather(
            *(
                backends.get("reporting", f"{path}/integrity", token=who.token, version=version)
                for version in range(versions, 0, -1)
            )
        )
    )


async def _exceptions(backends: Backends, who: SignedIn, quarter: str) -> list[dict[str, Any]]:
    found = await backends.get("interventions", "/lock-exceptions", token=who.token, limit=200)
    return [e for e in found["items"] if e["quarter"] == quarter]


async def report_context(
    request: Request, backends: Backends, who: SignedIn, organization_id: str, quarter: FiscalQuarter
) -> dict[str, Any]:
    """Everything the report page shows, its independent calls made together."""
    path = f"/reports/{organization_id}/{quarter}"
    report, history, unread, exceptions = await asyncio.gather(
        backends.get("reporting", path, token=who.token),
        backends.get("reporting", f"{path}/history", token=who.token),
        unread_count(backends, who.token),
        _exceptions(backends, who, str(quarter)),
    )
    rejection = report.get("rejection")
    wanted = [item["intervention_id"] for item in rejection["items"]] if rejection else []
    integrity, (labels, _rows) = await asyncio.gather(
        _integrity(backends, who, path, int(report["submission_version"])),
        intervention_labels(backends, who.token, str(quarter), wanted) if wanted else _no_labels(),
    )
    return {
        "report": report,
        "history": list(reversed(history)),
        "integrity": integrity,
        "labels": labels,
        "exceptions": exceptions,
        "unread": unread,
        "quarter": quarter,
        "deadline": deadline(report, today_in_montreal(request)),
        "manager": who.user.is_manager,
        "path": report_path(organization_id, quarter),
        "checks": CHECKS,
    }


async def _no_labels() -> tuple[InterventionLabels, list[dict[str, Any]]]:
    return InterventionLabels(), []


def _page(
    request: Request,
    pages: Pages,
    context: dict[str, Any],
    *,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
    **more: Any,
) -> Response:
    shown = {"errors": errors or [], "answers": {}, "answer_errors": {}, "notice": take_flash(request)}
    return pages.render(
        request,
        "reports/report.html",
        {**context, **shown, **more},
        status=status,
    )


@dataclass(frozen=True)
class ReportAddress:
    """The report a page is about, as its address names it (the quarter parsed when used, after
    the checks of who may see it)."""

    organization_id: str
    quarter: str

    def for_manager(self, who: SignedIn) -> FiscalQuarter:
        """The quarter, for a manager of the organization (another user: 403; another
        organization: 404)."""
        _manager(who, self.organization_id)
        return quarter_of(self.quarter)


ReportAt = Annotated[ReportAddress, Depends()]


def _manager(who: SignedIn, organization_id: str) -> None:
    own_organization(who, organization_id)
    if not who.user.is_manager:
        raise HTTPException(403)


@router.get("/rapports")
async def reports(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_organization(who.user)
    organization_id = str(who.user.organization)
    found, unread = await asyncio.gather(
        backends.get("reporting", "/reports", token=who.token, organization_id=organization_id, limit=40),
        unread_count(backends, who.token),
    )
    rows = [{**r, "season": FiscalQuarter.parse(r["quarter"])} for r in found["items"]]
    rows.sort(key=lambda r: str(r["quarter"]), reverse=True)
    current = FiscalQuarter.of(today_in_montreal(request))
    context = {"rows": rows, "unread": unread, "current": report_path(organization_id, current)}
    return pages.render(request, "reports/list.html", context)


@router.get("/rapports/{organization_id}/{quarter}")
async def report(
    at: ReportAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    own_organization(who, at.organization_id)
    context = await report_context(request, backends, who, at.organization_id, quarter_of(at.quarter))
    return _page(request, pages, context)


@router.post("/rapports/{organization_id}/{quarter}/verification")
async def verify(
    at: ReportAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    organization_id, season = at.organization_id, at.for_manager(who)
    language = request_language(request)
    try:
        verdict = await backends.post(
            "reporting", f"/reports/{organization_id}/{season}/verify", token=who.token
        )
    except BackendRefused as refused:
        context = await report_context(request, backends, who, organization_id, season)
        return _page(request, pages, context, errors=[("actions", refusal(refused, language))], status=409)
    ids = {f["intervention_id"] for f in verdict["findings"]}
    (labels, _rows), unread = await asyncio.gather(
        intervention_labels(backends, who.token, str(season), ids), unread_count(backends, who.token)
    )
    context = {
        "verdict": verdict,
        "groups": findings_by_check(verdict["findings"]),
        "labels": labels,
        "checks": CHECKS,
        "quarter": season,
        "path": report_path(organization_id, season),
        "unread": unread,
    }
    return pages.render(request, "reports/verification.html", context)


async def _confirmation(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    organization_id: str,
    season: FiscalQuarter,
    errors: list[tuple[str, str]] | None = None,
) -> Response:
    found, unread = await asyncio.gather(
        backends.get("reporting", f"/reports/{organization_id}/{season}", token=who.token),
        unread_count(backends, who.token),
    )
    context = {
        "report": found,
        "quarter": season,
        "path": report_path(organization_id, season),
        "unread": unread,
        "errors": errors or [],
    }
    return pages.render(request, "reports/submit.html", context, status=409 if errors else 200)


@router.get("/rapports/{organization_id}/{quarter}/soumission")
async def submit_form(
    at: ReportAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _confirmation(request, backends, who, pages, at.organization_id, at.for_manager(who))


@router.post("/rapports/{organization_id}/{quarter}/soumission")
async def submit(
    at: ReportAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    organization_id, season = at.organization_id, at.for_manager(who)
    path = f"/reports/{organization_id}/{season}"
    try:
        done = await backends.post("reporting", f"{path}/submit", token=who.token)
    except BackendRefused as refused:
        # A second click (or the form sent again) finds the report submitted by the first:
        # what the person asked for is done, and the page says so.
        done = await backends.get("reporting", path, token=who.token)
        if not (refused.body.get("code") == "report.invalid_transition" and done["state"] == "submitted"):
            error = [("submit", refusal(refused, request_language(request)))]
            return await _confirmation(request, backends, who, pages, organization_id, season, error)
    flash(request, "submitted", version=done["submission_version"], sha256=done["sha256"])
    return RedirectResponse(report_path(organization_id, season), status_code=303)


@router.post("/rapports/{organization_id}/{quarter}/reponses")
async def answer(
    at: ReportAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    organization_id, season = at.organization_id, at.for_manager(who)
    language = request_language(request)
    context = await report_context(request, backends, who, organization_id, season)
    rejection = context["report"].get("rejection")
    if not rejection:
        _ = gettext_for(language)
        return _page(
            request,
            pages,
            context,
            errors=[("actions", _("This report has no rejection to answer."))],
            status=409,
        )
    answers, problems = read_answers(await request.form(), rejection["items"], language)
    errors = [(f"answer-{key}", text) for key, text in problems.items()]
    if not errors:
        body = {"answers": [{"intervention_id": k, "answer": v} for k, v in answers.items() if v]}
        try:
            await backends.post(
                "reporting", f"/reports/{organization_id}/{season}/answers", token=who.token, json=body
            )
        except BackendRefused as refused:
            errors = [("answers", refusal(refused, language))]
        else:
            flash(request, "answered", count=len(body["answers"]))
            return RedirectResponse(report_path(organization_id, season) + "#rejection", status_code=303)
    by_field = {key: text for key, text in problems.items()}
    return _page(request, pages, context, errors=errors, status=422, answers=answers, answer_errors=by_field)
