"""Declaring an intervention (``/interventions/nouvelle``): the person found by name, UCI or file
number (live as one types, or with the "Search" button without JavaScript), the code chosen in
the catalogue grouped by volet (which sets the volet) with its conditions shown, the date, mode
and staff member filled in. Before saving, the declaration's own checks run on what is typed
(interventions' ``POST /interventions/checks``) and say what would be refused or flagged, and
how to fix it: live with htmx, with the "Check" button without. A second click on "Save" opens
the intervention the first one made."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import (
    Catalogue,
    catalogue,
    find_persons,
    names,
    person_choice,
    person_labels,
)
from portal.routes.interventions_forms import (
    DECLARATION,
    DETAIL_FIELDS,
    blank,
    declaration_body,
    errors_of,
    read,
    view,
)
from portal.routes.persons_common import new_submission_token, today_in_montreal
from portal.routes.persons_register import require_organization
from portal.routes.posting import LOCKED_TOO, Post, redraw, refused_on, send_once
from portal.web import Pages, request_language

router = APIRouter()
NEW = "/interventions/nouvelle"
PREFILLED = ("person_id", "code", *DETAIL_FIELDS)


async def _nothing() -> Any:
    return None


async def try_declaration(
    backends: Backends, token: str, values: dict[str, Any], language: Language
) -> tuple[dict[str, Any] | None, dict[str, str], list[str]]:
    """What saving would answer (refused, flagged, clean), once a person, a code and a date are
    there; or interventions' field errors when what is typed cannot be checked yet."""
    if not (values.get("person_id") and values.get("code") and values.get("service_date")):
        return None, {}, []
    try:
        answer = await backends.post(
            "interventions", "/interventions/checks", token=token, json=declaration_body(values)
        )
    except BackendRefused as refused:
        if refused.status not in LOCKED_TOO:
            raise
        details = refused.body.get("details")
        if isinstance(details, dict) and details.get("errors"):  # what is typed cannot be checked yet
            errors, elsewhere = errors_of(DECLARATION, refused.body, language)
            return None, errors, elsewhere
        return {"outcome": "refused", "refusal": refused.body}, {}, []  # the declaration's refusal
    return answer, {}, []


def fill_from_catalogue(values: dict[str, Any], codes: Catalogue, *, code_changed: bool) -> None:
    """A group code's mode is "group"; choosing another code after one resets it to in person."""
    code = codes.codes.get(str(values.get("code") or "").partition(":")[2])
    if code is None:
        return
    if code.requires_group:
        values["mode"] = "group"
    elif code_changed and values.get("mode") == "group":
        values["mode"] = "in_person"


def declaration_link(values: dict[str, Any]) -> str:
    """This page with what is typed, to come back to after fixing something elsewhere."""
    kept = {name: str(values.get(name) or "") for name in PREFILLED}
    return f"{NEW}?{urlencode({k: v for k, v in kept.items() if v})}"


async def _page(
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
    run_check: bool = True,
    status: int = 200,
) -> Response:
    language = request_language(request)
    query = str(values.get("person_query") or "")
    codes, labels, tried, found = await asyncio.gather(
        catalogue(backends, who.token),
        person_labels(backends, who.token, [values.get("person_id")]),
        try_declaration(backends, who.token, values, language) if run_check else _nothing(),
        find_persons(backends, who.token, query, language) if query else _nothing(),
    )
    check, check_errors, check_elsewhere = tried or (None, {}, [])
    results, search_refused = found or ([], None)
    chosen = labels[values["person_id"]] if values.get("person_id") else None
    form = view(
        DECLARATION,
        values,
        language,
        errors={**check_errors, **(errors or {})},
        elsewhere=[*(elsewhere or []), *check_elsewhere],
        today=today_in_montreal(request),
    )
    context = {
        "form": form,
        "catalogue": codes,
        "chosen": chosen,
        "results": results,
        "searched": bool(query),
        "search_refused": search_refused,
        "check": check,
        "back_here": declaration_link(values),
        **names(language),
    }
    return pages.render(request, "interventions/declare.html", context, status=status)


@router.get(NEW)
async def declaration_form(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    given = {name: request.query_params.get(name, "").strip()[:500] for name in PREFILLED}
    values = blank(DECLARATION, **{k: v for k, v in given.items() if v})
    values["service_date"] = values["service_date"] or today_in_montreal(request).isoformat()
    values["mode"] = values["mode"] or "in_person"
    values["staff_member"] = values["staff_member"] or who.user.name
    values["submission"] = new_submission_token()
    return await _page(request, who, backends, pages, values)


@router.post(NEW)
async def declare(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_organization(who.user)
    form = await request.form()
    values = read(DECLARATION, form)
    action = form.get("action")
    if action in ("search", "check"):
        if action == "check":
            values["person_query"] = ""
        changed = values.get("code") != form.get("checked_code")
        fill_from_catalogue(values, await catalogue(backends, who.token), code_changed=changed)
        return await _page(request, who, backends, pages, values)
    again = redraw(_page, request, who, backends, pages, values, run_check=False, status=422)
    return await send_once(
        request,
        backends,
        who,
        Post("/interventions", declaration_body(values), refused_on(DECLARATION, request), again, LOCKED_TOO),
        token=("declaration", values["submission"]),
        made="intervention_id",
        target=lambda made: f"/interventions/{made}",
        notice=lambda answer: ("intervention_declared", {"flags": len(answer["flags"])}),
    )


@router.post(NEW + "/verification")
async def live_check(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    """htmx, as the form changes: the checks' panel again; after a new code, the mode too."""
    require_organization(who.user)
    form = await request.form()
    values = read(DECLARATION, form)
    language = request_language(request)
    codes = await catalogue(backends, who.token)
    # The panel holds the code it was made for: another one now is a new choice of code.
    code_changed = values.get("code") != form.get("checked_code")
    before = values.get("mode")
    fill_from_catalogue(values, codes, code_changed=code_changed)
    check, errors, elsewhere = await try_declaration(backends, who.token, values, language)
    context = {
        "form": view(DECLARATION, values, language),
        "catalogue": codes,
        "check": check,
        "check_messages": [*errors.values(), *elsewhere],
        "back_here": declaration_link(values),
        "mode_changed": values.get("mode") != before,
        **names(language),
    }
    return pages.render(request, "interventions/check_panel.html", context)


@router.get("/interventions/personnes")
async def person_choices(
    request: Request,
    who: SignedInDep,
    backends: BackendsDep,
    pages: PagesDep,
    person_query: str = "",
    person_id: str = "",
    attendees: list[str] = Query(default=[], max_length=500),  # noqa: B008 (FastAPI's way)
) -> Response:
    """htmx, as a name is typed: the persons found, as choices (the chosen ones kept)."""
    language = request_language(request)
    chosen_ids = attendees or ([person_id] if person_id else [])
    context = {
        **await person_choice(backends, who.token, person_query[:100], chosen_ids, language),
        "multiple": bool(attendees) or request.query_params.get("multiple") == "1",
        "selected": set(chosen_ids),
        **names(language),
    }
    return pages.render(request, "interventions/people.html", context)
