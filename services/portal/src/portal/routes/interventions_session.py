"""Declaring a group session (``/interventions/seance``): a group code, the date, duration and
staff member, and the attendance list — each person found by name, UCI or file number and
checked (live with htmx, with the "Search" button without JavaScript). Interventions records
one checked intervention per attendee; the list of the session's interventions follows, with
their flags."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import catalogue, find_persons, names, person_labels
from portal.routes.interventions_forms import SESSION, blank, details_body, errors_of, read, view
from portal.routes.persons_common import SUBMISSIONS, flash, new_submission_token, today_in_montreal
from portal.routes.persons_register import require_organization
from portal.web import Pages, request_language

router = APIRouter()
SESSION_PAGE = "/interventions/seance"


async def _page(
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
    codes, labels, (results, refused) = await asyncio.gather(
        catalogue(backends, who.token),
        person_labels(backends, who.token, values["attendees"]),
        find_persons(backends, who.token, query, language),
    )
    context = {
        "form": view(SESSION, values, language, errors=errors or {}, elsewhere=elsewhere or []),
        "catalogue": codes,
        "chosen": [labels[i] for i in values["attendees"]],
        "results": results,
        "searched": bool(query),
        "search_refused": refused,
        **names(language),
    }
    return pages.render(request, "interventions/session.html", context, status=status)


@router.get(SESSION_PAGE)
async def session_form(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    values = blank(
        SESSION,
        service_date=today_in_montreal(request).isoformat(),
        staff_member=who.user.name,
        submission=new_submission_token(),
    )
    return await _page(request, who, backends, pages, values)


@router.post(SESSION_PAGE)
async def hold_session(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    form = await request.form()
    values = read(SESSION, form)
    if form.get("action") == "search":
        return await _page(request, who, backends, pages, values)
    key = f"session:{who.user.user_id}:{values['submission']}"
    if values["submission"] and (made := await SUBMISSIONS.previous(key)):
        return RedirectResponse(f"/interventions?session_id={made}", status_code=303)
    body = {**details_body(values, mode="group"), "attendees": values["attendees"]}
    if values["title"]:
        body["title"] = values["title"]
    async with SUBMISSIONS.claim(key) as made_by_this:
        try:
            answer = await backends.post("interventions", "/group-sessions", token=who.token, json=body)
        except BackendRefused as refused:
            if refused.status not in (400, 409, 422, 423):
                raise
            errors, elsewhere = _errors(refused.body, request_language(request))
            return await _page(
                request, who, backends, pages, values, errors=errors, elsewhere=elsewhere, status=422
            )
        made_by_this.append(str(answer["session_id"]))
    flash(request, "session_held", count=len(answer["interventions"]))
    return RedirectResponse(f"/interventions?session_id={answer['session_id']}", status_code=303)


def _errors(body: dict[str, Any], language: Any) -> tuple[dict[str, str], list[str]]:
    """An attendee interventions refuses (unknown to the organization…) is the list's error."""
    errors, elsewhere = errors_of(SESSION, body, language)
    details = body.get("details")
    if isinstance(details, dict) and details.get("field") == "person_id" and elsewhere:
        errors.setdefault("attendees", elsewhere.pop(0))
    return errors, elsewhere
