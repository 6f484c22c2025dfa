"""The reporting calendar of a fiscal year for administrators (``/administration/calendrier``):
each quarter's period, submission window and deadline, the control and resubmission windows
and the holidays, as reporting has them (its default until set), and the form that sets them;
and unlocking a locked quarter with a reason (``/administration/deverrouillage``): the locked
reports, each with its form. Through reporting's ``/calendar/{fiscal_year}`` and
``/reports/{organization}/{quarter}/unlock``."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from gsi_kernel.fiscal import FiscalQuarter
from portal.auth import SignedIn
from portal.backend import Backends
from portal.routes import admin_forms as forms
from portal.routes.admin_organizations import form_page, org_path, sent
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.organization_names import organization_names
from portal.routes.persons_common import flash, take_flash, today_in_montreal
from portal.web import Pages, request_language

router = APIRouter()
CALENDAR = "/administration/calendrier"
UNLOCK = "/administration/deverrouillage"
_QUARTER = re.compile(r"^\d{4}-\d{4}-Q[1-4]$|^\d{4}-Q[1-4]$")


def _values_of(found: dict[str, Any]) -> dict[str, Any]:
    quarters = found["quarters"]
    return {
        **{f"q{n}": q["submission_due"] for n, q in enumerate(quarters, 1)},
        "early_submission_days": str(quarters[0]["early_submission_days"]),
        "control_window_days": str(found["control_window_days"]),
        "resubmission_business_days": str(found["resubmission_business_days"]),
    }


async def _calendar_page(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    year: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
) -> Response:
    found = await backends.get("reporting", f"/calendar/{year}", token=who.token)
    start = forms.fiscal_year_start(year) or 0
    context = {
        "calendar": found,
        "year": year,
        "previous": f"{start - 1}-{start}",
        "next": f"{start + 1}-{start + 2}",
        "notice": take_flash(request),
    }
    shown = values or _values_of(found)
    return await form_page(
        request, pages, forms.CALENDAR, shown, "admin/calendar.html", context, errors, elsewhere
    )


def _year_of(request: Request, text: str) -> str:
    if not text:
        start = FiscalQuarter.of(today_in_montreal(request)).start_year
        return f"{start}-{start + 1}"
    if forms.fiscal_year_start(text) is None:
        raise HTTPException(404)
    return text


@router.get(CALENDAR)
async def calendar(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    forms.require_admin(who.user)
    year = _year_of(request, str(request.query_params.get("exercice", "")))
    return await _calendar_page(request, backends, who, pages, year)


@router.post(CALENDAR + "/{year}")
async def set_calendar(
    year: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    year = _year_of(request, year)
    spec = forms.CALENDAR
    values = forms.read(spec, await request.form())
    errors = forms.check(spec, values, request_language(request))
    elsewhere: list[str] = []
    if not errors:
        body = {
            "submission_due": {f"q{n}": values[f"q{n}"] for n in range(1, 5)},
            "early_submission_days": int(values["early_submission_days"] or 0),
            "control_window_days": int(values["control_window_days"]),
            "resubmission_business_days": int(values["resubmission_business_days"]),
        }
        # The page does not edit holidays: a calendar set before keeps its own (left out, the
        # statutory defaults would replace them).
        current = await backends.get("reporting", f"/calendar/{year}", token=who.token)
        if current["source"] == "set":
            body["holidays"] = current["holidays"]
        answer, errors, elsewhere = await sent(
            request, backends, who, ("PUT", f"/calendar/{year}", body), spec
        )
        if answer is not None:
            flash(request, "calendar_set")
            return RedirectResponse(f"{CALENDAR}?exercice={year}", status_code=303)
    return await _calendar_page(request, backends, who, pages, year, values, errors, elsewhere)


@router.get(UNLOCK)
async def locked_reports(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    found = await backends.get("reporting", "/reports", token=who.token, state="locked", limit=100)
    rows = [{**r, "season": FiscalQuarter.parse(r["quarter"])} for r in found["items"]]
    names = await organization_names(backends, who.token, (r["organization_id"] for r in rows))
    context = {"rows": rows, "total": found["total"], "names": names, "notice": take_flash(request)}
    return pages.render(request, "admin/unlock_list.html", context)


def _report_path(organization_id: str, quarter: str) -> str:
    if not _QUARTER.match(quarter):
        raise HTTPException(404)
    return f"/reports/{org_path(organization_id).rsplit('/', 1)[1]}/{quarter}"


async def _unlock_page(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    where: tuple[str, str],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
) -> Response:
    organization_id, quarter = where
    report = await backends.get("reporting", _report_path(organization_id, quarter), token=who.token)
    org = await backends.get("reporting", org_path(organization_id), token=who.token)
    context = {"report": report, "org": org, "season": FiscalQuarter.parse(report["quarter"])}
    shown = values or forms.blank(forms.UNLOCK)
    return await form_page(
        request, pages, forms.UNLOCK, shown, "admin/unlock.html", context, errors, elsewhere
    )


@router.get(UNLOCK + "/{organization_id}/{quarter}")
async def unlock_form(
    organization_id: str,
    quarter: str,
    request: Request,
    who: SignedInDep,
    backends: BackendsDep,
    pages: PagesDep,
) -> Response:
    forms.require_admin(who.user)
    return await _unlock_page(request, backends, who, pages, (organization_id, quarter))


@router.post(UNLOCK + "/{organization_id}/{quarter}")
async def unlock(
    organization_id: str,
    quarter: str,
    request: Request,
    who: SignedInDep,
    backends: BackendsDep,
    pages: PagesDep,
) -> Response:
    forms.require_admin(who.user)
    path = _report_path(organization_id, quarter)
    spec = forms.UNLOCK
    values = forms.read(spec, await request.form())
    errors = forms.check(spec, values, request_language(request))
    elsewhere: list[str] = []
    if not errors:
        answer, errors, elsewhere = await sent(
            request, backends, who, ("POST", path + "/unlock", {"reason": values["reason"]}), spec
        )
        if answer is not None:
            flash(request, "unlocked", organization=organization_id, quarter=quarter)
            return RedirectResponse(UNLOCK, status_code=303)
    where = (organization_id, quarter)
    return await _unlock_page(request, backends, who, pages, where, values, errors, elsewhere)
