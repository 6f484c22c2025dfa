"""Action plans (``/plans``): the list (active or closed, one person's), a new plan (the person,
the opening date, the needs assessed, the first objectives), and one plan with its objectives,
planned services and follow-ups, each added from its own form, its closure, and its history.

A plan opened from a declaration's C5 flag ("create one") comes back to the declaration
(``retour``) with what was typed, where the checks then find the plan."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import Backends
from portal.forms import FormSpec
from portal.routes import plans_regionalization
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import (
    Pager,
    catalogue,
    find_persons,
    names,
    page_number,
    person_labels,
    rows_of,
)
from portal.routes.interventions_forms import blank, errors_of, read
from portal.routes.persons_common import (
    looks_like_person_id,
    new_submission_token,
    take_flash,
    today_in_montreal,
)
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
from portal.routes.plans_regionalization import person_form_page
from portal.routes.posting import Post, present, redraw, refused_on, send_once, send_then_redirect
from portal.routes.signin import safe_next
from portal.web import Pages, request_language

router = APIRouter()


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
            **rows_of(number),
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
    request: Request, who: SignedIn, backends: Backends, pages: Pages, values: dict[str, Any], **failed: Any
) -> Response:
    retour = safe_next(values.get("retour")) if values.get("retour") else ""
    form = (NEW_PLAN, "plans/new.html")
    return await person_form_page(request, who, backends, pages, form, values, retour=retour, **failed)


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
    target = safe_next(values["retour"]) if values["retour"] else None
    body = {
        "person_id": values["person_id"] or None,
        "opened_on": values["opened_on"] or None,
        "needs": values["needs"],
        "objectives": [line.strip() for line in str(values["objectives"]).splitlines() if line.strip()],
    }

    def refusal(refused: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
        errors, elsewhere = errors_of(NEW_PLAN, refused, request_language(request))
        if refused.get("code") == "plan.already_active" and elsewhere:
            errors["person_id"] = elsewhere.pop(0)
        return errors, elsewhere

    again = redraw(_new_page, request, who, backends, pages, values, status=422)
    return await send_once(
        request,
        backends,
        who,
        Post("/action-plans", present(body), refusal, again),
        token=("plan", values["submission"]),
        made="plan_id",
        target=lambda made: target or f"/plans/{made}",
        notice=lambda _answer: ("plan_opened", {}),
    )


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

    async def again(errors: dict[str, str], elsewhere: list[str]) -> Response:
        return await _plan_page(
            request, who, backends, pages, plan_id, failed=(spec, values, errors, elsewhere)
        )

    post = Post(f"/action-plans/{plan_id}/{path}", present(body), refused_on(spec, request), again)
    notice = "plan_closed" if section == "fermeture" else "plan_changed"
    return await send_then_redirect(request, backends, who, post, notice=notice, target=f"/plans/{plan_id}")


routes = APIRouter()
routes.include_router(plans_regionalization.router)
routes.include_router(router)
