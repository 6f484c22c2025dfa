"""Action plans (``/plans``): the list (active or closed, one person's), a new plan (the person,
the opening date, the needs assessed, the first objectives), and one plan with its objectives,
planned services and follow-ups, each added from its own form, its closure, and its history.

A plan opened from a declaration's C5 flag ("create one") comes back to the declaration
(``retour``) with what was typed, where the checks then find the plan."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.routes import plans_regionalization
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import (
    PAGE_SIZE,
    Pager,
    catalogue,
    find_persons,
    names,
    page_number,
    person_labels,
)
from portal.routes.interventions_forms import blank, errors_of, read
from portal.routes.persons_common import (
    SUBMISSIONS,
    flash,
    looks_like_person_id,
    new_submission_token,
    take_flash,
    today_in_montreal,
)
from portal.routes.persons_forms import FormSpec
from portal.routes.persons_register import require_organization
from portal.routes.plans_forms import (
    CLOSURE,
    FOLLOW_UP,
    NEW_PLAN,
    OBJECTIVE,
    OBJECTIVE_STATUSES,
    OUTCOMES,
    PLANNED_SERVICE,
    SERVICE_STATUSES,
    plan_view,
)
from portal.routes.signin import safe_next
from portal.web import Pages, request_language

router = APIRouter()
_FORM_ERRORS = (400, 409, 422)


@router.get("/plans")
async def list_plans(
    request: Request,
    who: SignedInDep,
    backends: BackendsDep,
    pages: PagesDep,
    status: str = "",
    person: str = "",
    person_id: str = "",
    page: str = "1",
) -> Response:
    language = request_language(request)
    status = status if status in ("active", "closed") else ""
    person = " ".join(person.split())[:100]
    person_id = person_id if looks_like_person_id(person_id) else ""
    number = page_number(page)
    matches = None
    if person and not person_id:  # a name: the plans of the one person it finds
        found, _refused = await find_persons(backends, who.token, person, language)
        if len(found) == 1:
            person_id = found[0].person_id
        else:
            matches = found
    params = {k: v for k, v in {"status": status, "person_id": person_id}.items() if v}
    listing: dict[str, Any] = (
        {"items": [], "total": 0}
        if matches is not None
        else await backends.get(
            "interventions",
            "/action-plans",
            token=who.token,
            **params,
            offset=(number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    )
    labels = await person_labels(backends, who.token, [p["person_id"] for p in listing["items"]])
    query = {k: v for k, v in {"status": status, "person": person}.items() if v}
    context = {
        "plans": listing["items"],
        "labels": labels,
        "pager": Pager(number, listing["total"], query, "/plans"),
        "status": status,
        "person_text": person,
        "matches": matches,
        "notice": take_flash(request),
        "may_open": who.user.works_for_an_organization,
        **names(language),
    }
    return pages.render(request, "plans/list.html", context)


async def _new_page(
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
    status: int = 200,
) -> Response:
    language = request_language(request)
    query = str(values.get("person_query") or "")
    labels, (results, refused) = await asyncio.gather(
        person_labels(backends, who.token, [values.get("person_id")]),
        find_persons(backends, who.token, query, language),
    )
    context = {
        "form": plan_view(NEW_PLAN, values, language, errors=errors or {}, elsewhere=elsewhere or []),
        "chosen": [labels[values["person_id"]]] if values.get("person_id") else [],
        "results": results,
        "searched": bool(query),
        "search_refused": refused,
        "retour": safe_next(values.get("retour")) if values.get("retour") else "",
        **names(language),
    }
    return pages.render(request, "plans/new.html", context, status=status)


@router.get("/plans/nouveau")
async def new_plan_form(
    request: Request,
    who: SignedInDep,
    backends: BackendsDep,
    pages: PagesDep,
    person_id: str = "",
    opened_on: str = "",
    retour: str = "",
) -> Response:
    require_organization(who.user)
    values = blank(
        NEW_PLAN,
        person_id=person_id if looks_like_person_id(person_id) else "",
        opened_on=opened_on[:10] or today_in_montreal(request).isoformat(),
        submission=new_submission_token(),
        retour=safe_next(retour) if retour else "",
    )
    return await _new_page(request, who, backends, pages, values)


@router.post("/plans/nouveau")
async def open_plan(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_organization(who.user)
    form = await request.form()
    values = {**read(NEW_PLAN, form), "retour": str(form.get("retour") or "")[:2000]}
    if form.get("action") == "search":
        return await _new_page(request, who, backends, pages, values)
    key = f"plan:{who.user.user_id}:{values['submission']}"
    target = safe_next(values["retour"]) if values["retour"] else None
    if values["submission"] and (made := await SUBMISSIONS.previous(key)):
        return RedirectResponse(target or f"/plans/{made}", status_code=303)
    body = {
        "person_id": values["person_id"] or None,
        "opened_on": values["opened_on"] or None,
        "needs": values["needs"],
        "objectives": [line.strip() for line in str(values["objectives"]).splitlines() if line.strip()],
    }
    async with SUBMISSIONS.claim(key) as made_by_this:
        try:
            answer = await backends.post(
                "interventions",
                "/action-plans",
                token=who.token,
                json={k: v for k, v in body.items() if v is not None},
            )
        except BackendRefused as refused:
            if refused.status not in _FORM_ERRORS:
                raise
            errors, elsewhere = errors_of(NEW_PLAN, refused.body, request_language(request))
            if refused.body.get("code") == "plan.already_active" and elsewhere:
                errors["person_id"] = elsewhere.pop(0)
            return await _new_page(
                request, who, backends, pages, values, errors=errors, elsewhere=elsewhere, status=422
            )
        made_by_this.append(str(answer["plan_id"]))
    flash(request, "plan_opened")
    return RedirectResponse(target or f"/plans/{answer['plan_id']}", status_code=303)


# ---- one plan ------------------------------------------------------------------------------

_SECTIONS: dict[str, tuple[FormSpec, str]] = {
    "objectifs": (OBJECTIVE, "objectives"),
    "services": (PLANNED_SERVICE, "planned-services"),
    "suivis": (FOLLOW_UP, "follow-ups"),
    "fermeture": (CLOSURE, "close"),
}


def _blank_forms(today: str, staff_member: str) -> dict[str, dict[str, Any]]:
    return {
        "objective": blank(OBJECTIVE),
        "service": blank(PLANNED_SERVICE, planned_on=today),
        "followup": blank(FOLLOW_UP, held_on=today, staff_member=staff_member),
        "closure": blank(CLOSURE, closed_on=today),
    }


async def _plan_page(
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    plan_id: str,
    *,
    failed: tuple[FormSpec, dict[str, Any], dict[str, str], list[str]] | None = None,
) -> Response:
    if not looks_like_person_id(plan_id):
        raise HTTPException(404)
    language = request_language(request)
    plan, codes = await asyncio.gather(
        backends.get("interventions", f"/action-plans/{plan_id}", token=who.token),
        catalogue(backends, who.token),
    )
    labels = await person_labels(backends, who.token, [plan["person_id"]])
    today = today_in_montreal(request).isoformat()
    values = _blank_forms(today, who.user.name)
    code_options = [(c.code, f"{c.code} — {c.label(language)}") for c in codes.codes.values()]
    forms = {
        spec.key: plan_view(spec, values[spec.key], language, options={"codes": code_options})
        for spec in (OBJECTIVE, PLANNED_SERVICE, FOLLOW_UP, CLOSURE)
    }
    if failed:
        spec, typed, errors, elsewhere = failed
        forms[spec.key] = plan_view(
            spec, typed, language, errors=errors, elsewhere=elsewhere, options={"codes": code_options}
        )
    context = {
        "plan": plan,
        "person": labels[plan["person_id"]],
        "catalogue": codes,
        "forms": forms,
        "summary": [item for form in forms.values() for item in form.summary],
        "notice": take_flash(request),
        "may_change": who.user.works_for_an_organization and plan["status"] == "active",
        "outcomes": OUTCOMES,
        "objective_statuses": OBJECTIVE_STATUSES,
        "service_statuses": SERVICE_STATUSES,
        **names(language),
    }
    return pages.render(request, "plans/plan.html", context, status=422 if failed else 200)


@router.get("/plans/{plan_id}")
async def plan_page(
    plan_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _plan_page(request, who, backends, pages, plan_id)


@router.post("/plans/{plan_id}/{section}")
async def change_plan(
    plan_id: str, section: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    """Add an objective, a planned service or a follow-up, or close the plan."""
    require_organization(who.user)
    if section not in _SECTIONS or not looks_like_person_id(plan_id):
        raise HTTPException(404)
    spec, path = _SECTIONS[section]
    values = read(spec, await request.form())
    body = {f.name: values[f.name] or None for f in spec.fields}
    try:
        await backends.post(
            "interventions",
            f"/action-plans/{plan_id}/{path}",
            token=who.token,
            json={k: v for k, v in body.items() if v is not None},
        )
    except BackendRefused as refused:
        if refused.status not in _FORM_ERRORS:
            raise
        errors, elsewhere = errors_of(spec, refused.body, request_language(request))
        return await _plan_page(
            request, who, backends, pages, plan_id, failed=(spec, values, errors, elsewhere)
        )
    flash(request, "plan_closed" if section == "fermeture" else "plan_changed")
    return RedirectResponse(f"/plans/{plan_id}", status_code=303)


routes = APIRouter()
routes.include_router(plans_regionalization.router)
routes.include_router(router)
