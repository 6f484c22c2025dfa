"""Funding agreements for administrators: recording one for an organization (its term, volets,
a fiscal year's funding and targets for the year and per quarter: unique persons, action plans
and interventions per code), its page (the current terms
and every version with its reason) and amending it (a new version, with a reason). An amendment
replaces the chosen fiscal year's funding and targets and keeps the other years'. Through
reporting's ``/agreements``, ``/agreements/{id}/amendments`` and ``/versions``."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.routes import admin_forms as forms
from portal.routes.admin_organizations import BASE as ORGANIZATIONS
from portal.routes.admin_organizations import form_page, org_path, sent
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.persons_common import flash, take_flash
from portal.web import request_language

router = APIRouter()
BASE = "/administration/conventions"
_AGREEMENT_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")


def _path(agreement_id: str) -> str:
    if not _AGREEMENT_ID.match(agreement_id):
        raise HTTPException(404)
    return f"/agreements/{agreement_id}"


def _targets_of(values: dict[str, Any], fiscal_year: str) -> list[dict[str, Any]]:
    """The periods given a figure (an empty field: no target for that period)."""
    targets = []
    for period in forms.PERIODS:
        persons, plans = values[f"persons_{period}"], values[f"plans_{period}"]
        per_code = forms.code_targets(values[f"codes_{period}"]) or {}
        if persons or plans or per_code:
            targets.append(
                {
                    "fiscal_year": fiscal_year,
                    "period": period,
                    "unique_persons": int(persons or 0),
                    "action_plans": int(plans or 0),
                    "interventions": per_code,
                }
            )
    return targets


def _terms(values: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Volets, funding and targets from the form; the other fiscal years' kept from ``current``."""
    year = values["fiscal_year"]
    cents = forms.dollars_to_cents(values["amount"]) if values["amount"] else None
    funding = [f for f in (current or {}).get("funding", []) if f["fiscal_year"] != year]
    targets = [t for t in (current or {}).get("targets", []) if t["fiscal_year"] != year]
    if cents is not None:
        funding.append({"fiscal_year": year, "amount_cents": cents})
    return {"volets": values["volets"], "funding": funding, "targets": targets + _targets_of(values, year)}


def _values_of(agreement: dict[str, Any], year: str) -> dict[str, Any]:
    """The amendment form filled with the agreement's terms for ``year``."""
    values = forms.blank(forms.AMENDMENT, volets=agreement["volets"], fiscal_year=year)
    for f in agreement["funding"]:
        if f["fiscal_year"] == year:
            values["amount"] = f"{f['amount_cents'] // 100}.{f['amount_cents'] % 100:02d}"
    for t in agreement["targets"]:
        if t["fiscal_year"] == year and t["period"] in forms.PERIODS:
            values[f"persons_{t['period']}"] = str(t["unique_persons"])
            values[f"plans_{t['period']}"] = str(t["action_plans"])
            values[f"codes_{t['period']}"] = forms.code_targets_text(t.get("interventions") or {})
    return values


@router.get(ORGANIZATIONS + "/{organization_id}/conventions/nouvelle")
async def new_agreement(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    found = await backends.get("reporting", org_path(organization_id), token=who.token)
    values = forms.blank(forms.AGREEMENT)
    return await form_page(
        request, pages, forms.AGREEMENT, values, "admin/agreement_new.html", {"org": found}
    )


@router.post(ORGANIZATIONS + "/{organization_id}/conventions/nouvelle")
async def record_agreement(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    found = await backends.get("reporting", org_path(organization_id), token=who.token)
    spec = forms.AGREEMENT
    values = forms.read(spec, await request.form())
    errors = forms.check(spec, values, request_language(request))
    elsewhere: list[str] = []
    if not errors:
        body = {
            "organization_id": organization_id,
            "starts_on": values["starts_on"],
            "ends_on": values["ends_on"],
            **_terms(values),
        }
        answer, errors, elsewhere = await sent(request, backends, who, ("POST", "/agreements", body), spec)
        if answer is not None:
            flash(request, "agreement_recorded")
            return RedirectResponse(f"{BASE}/{answer['id']}", status_code=303)
    context = {"org": found}
    return await form_page(
        request, pages, spec, values, "admin/agreement_new.html", context, errors, elsewhere
    )


async def _agreement_page(
    request: Request,
    backends: BackendsDep,
    who: SignedInDep,
    pages: PagesDep,
    agreement_id: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
) -> Response:
    path = _path(agreement_id)
    agreement, versions = await asyncio.gather(
        backends.get("reporting", path, token=who.token),
        backends.get("reporting", path + "/versions", token=who.token),
    )
    org = await backends.get("reporting", org_path(agreement["organization_id"]), token=who.token)
    years = sorted(
        {f["fiscal_year"] for f in agreement["funding"]} | {t["fiscal_year"] for t in agreement["targets"]}
    )
    chosen = str(request.query_params.get("exercice", "")) or (years[-1] if years else "")
    if values is None:
        values = _values_of(agreement, chosen if forms.fiscal_year_start(chosen) else "")
    context = {
        "agreement": agreement,
        "org": org,
        "versions": sorted(versions, key=lambda v: -int(v["version"])),
        "periods": forms.PERIODS,
        "period_names": forms.PERIOD_NAMES,
        "notice": take_flash(request),
    }
    template = "admin/agreement.html"
    return await form_page(request, pages, forms.AMENDMENT, values, template, context, errors, elsewhere)


@router.get(BASE + "/{agreement_id}")
async def agreement(
    agreement_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    return await _agreement_page(request, backends, who, pages, agreement_id)


@router.post(BASE + "/{agreement_id}/modifier")
async def amend(
    agreement_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    path = _path(agreement_id)
    spec = forms.AMENDMENT
    values = forms.read(spec, await request.form())
    errors = forms.check(spec, values, request_language(request))
    elsewhere: list[str] = []
    if not errors:
        current = await backends.get("reporting", path, token=who.token)
        body = {**_terms(values, current), "reason": values["reason"]}
        answer, errors, elsewhere = await sent(
            request, backends, who, ("POST", path + "/amendments", body), spec
        )
        if answer is not None:
            flash(request, "agreement_amended", version=answer["version"])
            return RedirectResponse(f"{BASE}/{agreement_id}", status_code=303)
    return await _agreement_page(request, backends, who, pages, agreement_id, values, errors, elsewhere)
