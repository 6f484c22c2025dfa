"""The confidentiality-incident register (Loi 25, art. 3.8), for administrators
(``/administration/confidentialite/incidents``): the register with its state filter, an incident
recorded with the items the regulation asks for, then on its page the notices sent (Commission,
persons, public), the measures taken and its closing, each with its history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.routes.admin_privacy import BASE as PRIVACY
from portal.routes.admin_privacy import field_errors, require_admin
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.persons_common import flash, take_flash
from portal.web import Pages, request_language

router = APIRouter()
BASE = PRIVACY + "/incidents"
PAGE_SIZE = 25
_ID = set("0123456789abcdefABCDEF-")
NEW_FIELDS = (
    "personal_information",
    "circumstances",
    "occurred_on",
    "detected_on",
    "persons_concerned",
    "risk_assessment",
    "serious_injury_risk",
)
# The forms of an incident's page: what each sends, and its fields.
STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "avis": ("notices", ("recipient", "sent_on")),
    "mesure": ("measures", ("description", "taken_on")),
    "fermeture": ("close", ("reason",)),
}


@router.get(BASE)
async def register(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    number = page_number(str(request.query_params.get("page", "")))
    state = str(request.query_params.get("etat", ""))
    params: dict[str, Any] = rows_of(number, PAGE_SIZE)
    if state in ("open", "closed"):
        params["status"] = state
    found = await backends.get("registration", "/incidents", token=who.token, **params)
    pager = Pager(number, int(found["total"]), {"etat": state}, BASE, size=PAGE_SIZE)
    context = {"rows": found["items"], "pager": pager, "state": state, "notice": take_flash(request)}
    return pages.render(request, "admin_privacy/incidents.html", context)


def _new_page(
    request: Request, pages: Pages, values: dict[str, str], errors: dict[str, str] | None = None
) -> Response:
    errors = errors or {}
    context = {"values": values, "errors": errors, "summary": list(errors.items())}
    return pages.render(request, "admin_privacy/incident_new.html", context, status=422 if errors else 200)


@router.get(BASE + "/nouveau")
async def new_incident(request: Request, who: SignedInDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    return _new_page(request, pages, dict.fromkeys(NEW_FIELDS, ""))


@router.post(BASE + "/nouveau")
async def record(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in NEW_FIELDS}
    body: dict[str, Any] = {name: values[name] or None for name in NEW_FIELDS}
    count = values["persons_concerned"]
    body["persons_concerned"] = int(count) if count.lstrip("-").isdigit() else count or None
    body["serious_injury_risk"] = values["serious_injury_risk"] == "yes"
    body["occurred_estimated"] = form.get("occurred_estimated") == "yes"
    body["persons_estimated"] = form.get("persons_estimated") == "yes"
    try:
        made = await backends.post("registration", "/incidents", token=who.token, json=body)
    except BackendRefused as refused:
        return _new_page(request, pages, values, field_errors(refused, request_language(request), NEW_FIELDS))
    flash(request, "recorded")
    return RedirectResponse(f"{BASE}/{made['incident_id']}", status_code=303)


async def _incident_page(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    incident_id: str,
    step: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    if not incident_id or len(incident_id) > 36 or not set(incident_id) <= _ID:
        raise HTTPException(404)
    item = await backends.get("registration", f"/incidents/{incident_id}", token=who.token)
    errors = errors or {}
    context = {
        "item": item,
        "step": step,
        "values": values or {},
        "errors": errors,
        "summary": list(errors.items()),
        "notice": take_flash(request),
    }
    return pages.render(request, "admin_privacy/incident.html", context, status=422 if errors else 200)


@router.get(BASE + "/{incident_id}")
async def incident(
    incident_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_admin(who.user)
    return await _incident_page(request, backends, who, pages, incident_id)


@router.post(BASE + "/{incident_id}/{step}")
async def incident_step(
    incident_id: str, step: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    """A notice sent, a measure taken, or the file closed."""
    require_admin(who.user)
    if step not in STEPS:
        raise HTTPException(404)
    path, fields = STEPS[step]
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in fields}
    body = {name: values[name] or None for name in fields}
    try:
        await backends.post("registration", f"/incidents/{incident_id}/{path}", token=who.token, json=body)
    except BackendRefused as refused:
        errors = field_errors(refused, request_language(request), fields)
        return await _incident_page(request, backends, who, pages, incident_id, step, values, errors)
    flash(request, step)
    return RedirectResponse(f"{BASE}/{incident_id}", status_code=303)
