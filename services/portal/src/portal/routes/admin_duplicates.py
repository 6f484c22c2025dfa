"""Probable duplicate files, for administrators (``/administration/doublons``): the queue
registration flagged (same birth date and a close name, or the same UCI, in two organizations),
the two files side by side with the fields that match marked, and the decision — the newer file
merged into the existing one, or the match dismissed — with its reason."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import Language
from portal.routes.admin_privacy import checked_reason, reference, require_admin
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.organization_names import organization_names
from portal.routes.persons_choices import gettext_for, options
from portal.routes.persons_common import flash, take_flash
from portal.routes.reports_common import refusal
from portal.web import Pages, request_language

router = APIRouter()
BASE = "/administration/doublons"
PAGE_SIZE = 25
_PERSON_ID = re.compile(r"^[0-9A-Fa-f-]{8,36}$")
# The fields compared, in the order shown (registration's names).
COMPARED = (
    "family_name",
    "given_name",
    "birth_date",
    "sex",
    "country_of_birth",
    "uci",
    "status",
    "region",
    "municipality",
    "postal_code",
    "email",
    "phone",
    "organization_id",
)
ACTIONS = {"fusionner": "merge", "ecarter": "dismiss"}


@router.get(BASE)
async def queue(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    number = page_number(str(request.query_params.get("page", "")))
    found = await backends.get("registration", "/duplicates", token=who.token, **rows_of(number, PAGE_SIZE))
    rows = [
        {
            **pair,
            "reference": reference(pair["file_number"]),
            "candidate_reference": reference(pair["candidate_file_number"]),
        }
        for pair in found["items"]
    ]
    pager = Pager(number, int(found["total"]), {}, BASE, size=PAGE_SIZE)
    context = {"rows": rows, "pager": pager, "notice": take_flash(request)}
    return pages.render(request, "admin_privacy/duplicates.html", context)


# A compared field's values as the pick-list of the registration form names them.
NAMED = {"sex": "sexes", "country_of_birth": "countries", "status": "statuses", "region": "regions"}


def comparison(
    newer: dict[str, Any],
    existing: dict[str, Any],
    language: Language,
    organizations: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Each compared field's two values (as a person reads them: an organization by its name)
    and whether they match (case aside)."""
    names = {field: dict(options(pick_list, language)) for field, pick_list in NAMED.items()}
    names["organization_id"] = {i: f"{name} ({i})" for i, name in (organizations or {}).items() if name != i}

    def same(a: Any, b: Any) -> bool:
        if a in (None, "") or b in (None, ""):
            return False
        return str(a).casefold().strip() == str(b).casefold().strip()

    def shown(field: str, value: Any) -> Any:
        return names.get(field, {}).get(value, value) if isinstance(value, str) else value

    return [
        {
            "field": name,
            "newer": shown(name, newer.get(name)),
            "existing": shown(name, existing.get(name)),
            "same": same(newer.get(name), existing.get(name)),
        }
        for name in COMPARED
    ]


async def _pair_page(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    ids: tuple[str, str],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    if not all(_PERSON_ID.match(i) for i in ids):
        raise HTTPException(404)
    newer, existing = await asyncio.gather(
        *(
            backends.get("registration", f"/persons/{i}", token=who.token, purpose="administration")
            for i in ids
        )
    )
    errors = errors or {}
    organizations = await organization_names(
        backends, who.token, (newer.get("organization_id"), existing.get("organization_id"))
    )
    context = {
        "ids": ids,
        "newer": {**newer, "reference": reference(newer.get("file_number"))},
        "existing": {**existing, "reference": reference(existing.get("file_number"))},
        "rows": comparison(newer, existing, request_language(request), organizations),
        "values": values or {"reason": ""},
        "errors": errors,
        "summary": list(errors.items()),
    }
    return pages.render(request, "admin_privacy/duplicate.html", context, status=422 if errors else 200)


@router.get(BASE + "/{person_id}/{candidate_id}")
async def pair(
    person_id: str,
    candidate_id: str,
    request: Request,
    who: SignedInDep,
    backends: BackendsDep,
    pages: PagesDep,
) -> Response:
    require_admin(who.user)
    return await _pair_page(request, backends, who, pages, (person_id, candidate_id))


@router.post(BASE + "/{person_id}/{candidate_id}")
async def decide(
    person_id: str,
    candidate_id: str,
    request: Request,
    who: SignedInDep,
    backends: BackendsDep,
    pages: PagesDep,
) -> Response:
    """Merge the newer file into the existing one, or dismiss the match, with the reason."""
    require_admin(who.user)
    ids = (person_id, candidate_id)
    if not all(_PERSON_ID.match(i) for i in ids):
        raise HTTPException(404)
    form = await request.form()
    language = request_language(request)
    action = ACTIONS.get(str(form.get("decision") or ""))
    reason, problem = checked_reason(str(form.get("reason") or ""), language)
    values = {"reason": reason}
    if action is None:
        _ = gettext_for(language)
        problem = problem or _("Choose to merge the files or to dismiss the match")
    if problem:
        return await _pair_page(request, backends, who, pages, ids, values, {"reason": problem})
    try:
        path = f"/duplicates/{person_id}/{candidate_id}/{action}"
        await backends.post("registration", path, token=who.token, json={"reason": reason})
    except BackendRefused as refused:
        errors = {"reason": refusal(refused, language)}
        return await _pair_page(request, backends, who, pages, ids, values, errors)
    flash(request, "merged" if action == "merge" else "dismissed")
    return RedirectResponse(BASE, status_code=303)
