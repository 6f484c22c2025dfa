"""The ministry's side of lock exceptions (``/demandes-exception``): the requests of the
organizations a reviewer follows (those awaiting a decision first), each opened with its reason
and the interventions it names; granted until a day, or refused with a reason. Interventions
records the decision and publishes it; notifications tells the organization."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.text import TextKind, TextRefused, clean
from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.lock_exceptions import REASON_MAX, REASON_MIN
from portal.routes.ministry_organizations import visible_organizations
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import flash, take_flash
from portal.routes.reports_common import intervention_labels, refusal, unread_count
from portal.web import Pages, request_language

router = APIRouter()
BASE = "/demandes-exception"
PAGE_SIZE = 25
STATES = ("requested", "granted", "refused")
_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@router.get(BASE)
async def requests(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    names = await visible_organizations(backends, who)
    asked = str(request.query_params.get("etat", "requested"))
    state = asked if asked in (*STATES, "") else "requested"
    number = page_number(str(request.query_params.get("page", "")), limit=10_000)
    filters = {"status": state} if state else {}
    found, unread = await asyncio.gather(
        backends.get(
            "interventions", "/lock-exceptions", token=who.token, **filters, **rows_of(number, PAGE_SIZE)
        ),
        unread_count(backends, who.token),
    )
    rows = [
        {**e, "season": FiscalQuarter.parse(e["quarter"]), "name": names.get(e["organization_id"])}
        for e in found["items"]
        if e["organization_id"] in names  # the registry's assignments decide, not the token
    ]
    pager = Pager(number, int(found["total"]), {"etat": state}, BASE, size=PAGE_SIZE)
    context = {"rows": rows, "pager": pager, "state": state, "unread": unread}
    return pages.render(request, "ministry/exceptions.html", context)


async def _page(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    exception_id: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    if not _ID.match(exception_id):
        raise HTTPException(404)
    names, found, unread = await asyncio.gather(
        visible_organizations(backends, who),
        backends.get("interventions", f"/lock-exceptions/{exception_id}", token=who.token),
        unread_count(backends, who.token),
    )
    if found["organization_id"] not in names:
        raise HTTPException(404)
    season = FiscalQuarter.parse(found["quarter"])
    wanted = found["intervention_ids"]
    labels, _rows = (
        await intervention_labels(backends, who.token, str(season), wanted) if wanted else ({}, [])
    )
    errors = errors or {}
    context = {
        "item": found,
        "name": names[found["organization_id"]],
        "quarter": season,
        "concerned": [labels[i] for i in wanted if i in labels],
        "report": f"/rapports/{found['organization_id']}/{season}",
        "values": values or {},
        "errors": errors,
        "summary": list(errors.items()),
        "today": montreal_date(request.app.state.clock.now()),
        "notice": take_flash(request),
        "unread": unread,
    }
    return pages.render(request, "ministry/exception.html", context, status=422 if errors else 200)


@router.get(BASE + "/{exception_id}")
async def one_request(
    exception_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _page(request, backends, who, pages, exception_id)


def _reason(text: str, language: Language, *, required: bool) -> tuple[str, str | None]:
    _ = gettext_for(language)
    try:
        reason = clean(text, TextKind.LINES)
    except TextRefused as refused:
        return text, _("The reason contains a character that cannot be saved (position %(position)d)") % {
            "position": refused.position + 1
        }
    if (required or reason) and len(reason) < REASON_MIN:
        return reason, _("Enter the reason for the decision (%(min)d characters at least)") % {
            "min": REASON_MIN
        }
    if len(reason) > REASON_MAX:
        return reason, _("The reason has %(max)d characters at most") % {"max": REASON_MAX}
    return reason, None


def _last_day(text: str, language: Language) -> tuple[str | None, str | None]:
    _ = gettext_for(language)
    try:
        return date.fromisoformat(text.strip()).isoformat(), None
    except ValueError:
        return None, _("Enter the last day the exception is valid, as a date")


async def _decide(
    request: Request, backends: Backends, who: SignedIn, pages: Pages, exception_id: str, grant: bool
) -> Response:
    if not _ID.match(exception_id):
        raise HTTPException(404)
    form = await request.form()
    language = request_language(request)
    prefix = "grant" if grant else "refuse"
    raw_reason = str(form.get(f"{prefix}_reason") or "")
    reason, problem = _reason(raw_reason, language, required=not grant)
    errors = {f"{prefix}_reason": problem} if problem else {}
    values = {f"{prefix}_reason": reason}
    body: dict[str, Any] = {"reason": reason or None}
    if grant:
        raw_day = str(form.get("valid_until") or "")
        values["valid_until"] = raw_day
        day, wrong = _last_day(raw_day, language)
        errors |= {"valid_until": wrong} if wrong else {}
        body["valid_until"] = day
    if errors:
        return await _page(request, backends, who, pages, exception_id, values, errors)
    await _require_followed(backends, who, exception_id)
    path = f"/lock-exceptions/{exception_id}/{'grant' if grant else 'refusal'}"
    try:
        await backends.post("interventions", path, token=who.token, json=body)
    except BackendRefused as refused:
        field = "valid_until" if grant else "refuse_reason"
        errors = {field: refusal(refused, language)}
        return await _page(request, backends, who, pages, exception_id, values, errors)
    flash(request, "granted" if grant else "refused")
    return RedirectResponse(f"{BASE}/{exception_id}", status_code=303)


async def _require_followed(backends: Backends, who: SignedIn, exception_id: str) -> None:
    """Only the organizations the registry assigns to the reviewer: another's is not found."""
    names, found = await asyncio.gather(
        visible_organizations(backends, who),
        backends.get("interventions", f"/lock-exceptions/{exception_id}", token=who.token),
    )
    if found["organization_id"] not in names:
        raise HTTPException(404)


@router.post(BASE + "/{exception_id}/accord")
async def grant(
    exception_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _decide(request, backends, who, pages, exception_id, grant=True)


@router.post(BASE + "/{exception_id}/refus")
async def refuse(
    exception_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _decide(request, backends, who, pages, exception_id, grant=False)
