"""Loi 25, for administrators (``/administration/confidentialite``): a person found by their file
number, what is held on them as a download, their erasure (the file number typed again to
confirm), the log of who read which file and why; and the hub linking the administrators'
privacy, notification and audit pages. The incident register is :mod:`admin_incidents`'s part.

Every page here is an administrator's: anyone else gets the portal's 403 page, before any
service is asked."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from gsi_kernel.text import TextKind, TextRefused, clean
from portal.auth import SignedIn, User
from portal.backend import BackendRefused, Backends
from portal.i18n import Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.organization_names import organization_names
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import flash, take_flash
from portal.routes.reports_common import refusal
from portal.web import Pages, request_language

router = APIRouter()
HUB = "/administration/suivi"
BASE = "/administration/confidentialite"
PAGE_SIZE = 25
_PERSON_ID = re.compile(r"^[0-9A-Fa-f-]{8,36}$")
_REFERENCE = re.compile(r"^\s*[Dd]?-?\s*0*(\d{1,9})\s*$")


def require_admin(user: User) -> None:
    """These pages are the programme administrators' (a reviewer or an organization's staff: 403)."""
    if "admin" not in user.roles:
        raise HTTPException(403)


def file_number_of(text: str) -> int | None:
    """The number in ``D-000123``, ``d123`` or ``123`` (None: not a file number)."""
    found = _REFERENCE.match(text or "")
    return int(found[1]) if found and int(found[1]) > 0 else None


def reference(number: int | None) -> str:
    return f"D-{number:06d}" if number else ""


def checked_reason(text: str, language: Language, *, longest: int = 500) -> tuple[str, str | None]:
    """The reason as the services keep it (3 characters at least), or what is wrong with it."""
    _ = gettext_for(language)
    try:
        reason = clean(text, TextKind.LINES)
    except TextRefused as refused:
        return text, _("The reason contains a character that cannot be saved (position %(position)d)") % {
            "position": refused.position + 1
        }
    if len(reason) < 3:
        return reason, _("Enter the reason (3 characters at least)")
    if len(reason) > longest:
        return reason, _("The reason has %(max)d characters at most") % {"max": longest}
    return reason, None


async def names_of(backends: Backends, token: str, person_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The persons (name, birth date, file number) of these ids that registration still lists."""
    wanted = sorted(i for i in person_ids if _PERSON_ID.match(i))[:200]
    if not wanted:
        return {}
    found = await backends.get("registration", "/persons", token=token, person_id=wanted, limit=200)
    return {p["person_id"]: p for p in found["items"]}


async def find_by_reference(backends: Backends, token: str, text: str) -> dict[str, Any] | None:
    number = file_number_of(text)
    if number is None:
        return None
    found = await backends.get("registration", "/persons", token=token, file_number=str(number), limit=1)
    return found["items"][0] if found["items"] else None


@router.get(HUB)
async def hub(request: Request, who: SignedInDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    return pages.render(request, "admin_privacy/index.html")


@router.get(BASE)
async def find_person(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    typed = str(request.query_params.get("dossier", "")).strip()[:40]
    problem = None
    if typed:
        person = await find_by_reference(backends, who.token, typed)
        if person is not None:
            return RedirectResponse(f"{BASE}/personnes/{person['person_id']}", status_code=303)
        _ = gettext_for(request_language(request))
        problem = (
            _("No file has the number %(typed)s") % {"typed": typed}
            if file_number_of(typed)
            else _("Enter a file number, such as D-000123")
        )
    context = {"typed": typed, "problem": problem}
    return pages.render(request, "admin_privacy/find.html", context, status=422 if problem else 200)


async def _file(backends: Backends, who: SignedIn, person_id: str) -> tuple[dict[str, Any] | None, Any]:
    """The person's file read for their own request (Loi 25), or their erasure record (410)."""
    if not _PERSON_ID.match(person_id):
        raise HTTPException(404)
    try:
        path = f"/persons/{person_id}"
        return await backends.get("registration", path, token=who.token, purpose="person_request"), None
    except BackendRefused as refused:
        if refused.status != 410:
            raise
        return None, refused.body.get("details")


async def _person_page(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    person_id: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    person, erased = await _file(backends, who, person_id)
    errors = errors or {}
    names = await organization_names(backends, who.token, [person.get("organization_id") if person else None])
    context = {
        "names": names,
        "person": person,
        "erased": erased,
        "reference": reference(person.get("file_number")) if person else "",
        "values": values or {"confirmation": "", "reason": ""},
        "errors": errors,
        "summary": list(errors.items()),
        "notice": take_flash(request),
    }
    return pages.render(request, "admin_privacy/person.html", context, status=422 if errors else 200)


@router.get(BASE + "/personnes/{person_id}")
async def person_page(
    person_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_admin(who.user)
    return await _person_page(request, backends, who, pages, person_id)


@router.get(BASE + "/personnes/{person_id}/export")
async def export(person_id: str, who: SignedInDep, backends: BackendsDep) -> Response:
    """What registration holds on the person, as the JSON file they are given."""
    require_admin(who.user)
    if not _PERSON_ID.match(person_id):
        raise HTTPException(404)
    document = await backends.get("registration", f"/persons/{person_id}/export", token=who.token)
    number = (document.get("person") or {}).get("file_number")
    name = f"dossier-{reference(number)}.json" if number else "dossier-efface.json"
    body = json.dumps(document, ensure_ascii=False, indent=2)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type="application/json; charset=utf-8", headers=headers)


@router.post(BASE + "/personnes/{person_id}/effacement")
async def erase(
    person_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_admin(who.user)
    person, _erased = await _file(backends, who, person_id)
    if person is None:  # already erased: the page says so
        return RedirectResponse(f"{BASE}/personnes/{person_id}", status_code=303)
    form = await request.form()
    language = request_language(request)
    _ = gettext_for(language)
    typed = str(form.get("confirmation") or "").strip()[:40]
    reason, problem = checked_reason(str(form.get("reason") or ""), language)
    errors: dict[str, str] = {}
    if file_number_of(typed) != person.get("file_number") or not typed:
        errors["confirmation"] = _("Type the file number %(reference)s to confirm the erasure") % {
            "reference": reference(person.get("file_number"))
        }
    if problem:
        errors["reason"] = problem
    values = {"confirmation": typed, "reason": reason}
    if not errors:
        try:
            await backends.post(
                "registration", f"/persons/{person_id}/erase", token=who.token, json={"reason": reason}
            )
        except BackendRefused as refused:
            errors["reason"] = refusal(refused, language)
        else:
            flash(request, "erased")
            return RedirectResponse(f"{BASE}/personnes/{person_id}", status_code=303)
    return await _person_page(request, backends, who, pages, person_id, values, errors)


PURPOSES = ("service_delivery", "ministry_control", "administration", "person_request")


@router.get(BASE + "/journal")
async def access_log(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    query = request.query_params
    number = page_number(str(query.get("page", "")))
    typed, actor = str(query.get("dossier", "")).strip()[:40], str(query.get("auteur", "")).strip()[:200]
    params: dict[str, Any] = rows_of(number, PAGE_SIZE)
    if actor:
        params["actor"] = actor
    person = await find_by_reference(backends, who.token, typed) if typed else None
    rows: list[dict[str, Any]] = []
    total = 0
    names: dict[str, str] = {}
    if not typed or person is not None:
        if person is not None:
            params["person_id"] = person["person_id"]
        found = await backends.get("registration", "/access-log", token=who.token, **params)
        total = int(found["total"])
        persons, names = await asyncio.gather(
            names_of(backends, who.token, {e["person_id"] for e in found["items"]}),
            organization_names(backends, who.token, (e.get("actor_organization") for e in found["items"])),
        )
        rows = [{**e, "person": persons.get(e["person_id"])} for e in found["items"]]
    pager = Pager(number, total, {"dossier": typed, "auteur": actor}, BASE + "/journal", size=PAGE_SIZE)
    context = {
        "rows": rows,
        "pager": pager,
        "typed": typed,
        "actor": actor,
        "unknown": bool(typed and not person),
        "names": names,
    }
    return pages.render(request, "admin_privacy/access_log.html", context)


def field_errors(refused: BackendRefused, language: Language, fields: tuple[str, ...]) -> dict[str, str]:
    """A service's refusal of a form, beside the fields it names (the rest on the first field)."""
    if refused.status in (403, 404):
        raise refused
    found: dict[str, str] = {}
    details = refused.body.get("details")
    for entry in details.get("errors") or [] if isinstance(details, dict) else []:
        where = [str(part) for part in entry.get("location") or () if str(part) in fields]
        message = entry.get("message")
        if where and isinstance(message, dict):
            found.setdefault(where[-1], str(message.get(language) or message.get("fr")))
    return found or {fields[0]: refused.message(language)}
