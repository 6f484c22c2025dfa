"""Declaring a group session (``/interventions/seance``): a group code, the date, duration and
staff member, and the attendance list — each person found by name, UCI or file number and
checked (live with htmx, with the "Search" button without JavaScript). Interventions records
one checked intervention per attendee; the list of the session's interventions follows, with
their flags."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from portal.auth import SignedIn
from portal.backend import Backends
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import catalogue, names, person_choice
from portal.routes.interventions_forms import SESSION, blank, details_body, errors_of, read, view
from portal.routes.persons_common import new_submission_token, today_in_montreal
from portal.routes.persons_register import require_organization
from portal.routes.posting import LOCKED_TOO, Post, redraw, send_once
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
    codes, persons = await asyncio.gather(
        catalogue(backends, who.token),
        person_choice(backends, who.token, query, values["attendees"], language),
    )
    context = {
        "form": view(SESSION, values, language, errors=errors or {}, elsewhere=elsewhere or []),
        "catalogue": codes,
        **persons,
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
    body = {**details_body(values, mode="group"), "attendees": values["attendees"]}
    if values["title"]:
        body["title"] = values["title"]
    language = request_language(request)
    again = redraw(_page, request, who, backends, pages, values, status=422)
    return await send_once(
        request,
        backends,
        who,
        Post("/group-sessions", body, lambda refused: _errors(refused, language), again, LOCKED_TOO),
        token=("session", values["submission"]),
        made="session_id",
        target=lambda made: f"/interventions?session_id={made}",
        notice=lambda answer: ("session_held", {"count": len(answer["interventions"])}),
    )


def _errors(body: Mapping[str, Any], language: Any) -> tuple[dict[str, str], list[str]]:
    """An attendee interventions refuses (unknown to the organization…) is the list's error."""
    errors, elsewhere = errors_of(SESSION, body, language)
    details = body.get("details")
    if isinstance(details, dict) and details.get("field") == "person_id" and elsewhere:
        errors.setdefault("attendees", elsewhere.pop(0))
    return errors, elsewhere
