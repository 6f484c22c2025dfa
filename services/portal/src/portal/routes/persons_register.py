"""Registering a person (``/personnes/nouvelle``): every field of registration's
``POST /persons`` in French and English, each checked as it is typed (htmx posts the form to
``/personnes/formulaires/{form}/{field}``, which answers the field again, with its message),
the region filled in from the postal code, today's date as the status's default; on save, the
file with its eligibility per volet and the possible-duplicate warning. The same UCI twice in
one organization opens the existing file; a second click on "Register" opens the first's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from portal.auth import User
from portal.backend import BackendRefused
from portal.forms import FormView, read_form, refusals
from portal.i18n import Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.persons_common import (
    SUBMISSIONS,
    autofill_region,
    blank_values,
    flash,
    form_view,
    new_submission_token,
    today_in_montreal,
)
from portal.routes.persons_forms import FORMS, REGISTRATION, check, registration_body
from portal.sessions import kept_form
from portal.web import Pages, request_language

router = APIRouter()
NEW = "/personnes/nouvelle"


def require_organization(user: User) -> None:
    """Registering and changing a file is an organization's staff's work."""
    if not user.works_for_an_organization:
        raise HTTPException(403)


@router.get(NEW)
async def registration_form(request: Request, who: SignedInDep, pages: PagesDep) -> Response:
    require_organization(who.user)
    today = today_in_montreal(request)
    values = blank_values(REGISTRATION, effective_from=today.isoformat(), french_level="none")
    kept = kept_form(request.session, NEW)  # typed before the session ended (ADR 20)
    if kept is not None:
        typed: list[tuple[str, str | UploadFile]] = list(kept)
        values = read_form(REGISTRATION, FormData(typed))
    view = form_view(REGISTRATION, values, request_language(request), today)
    return _page(request, pages, view, new_submission_token(), restored=kept is not None)


@router.post(NEW)
async def register(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_organization(who.user)
    form = await request.form()
    token = str(form.get("submission") or "")[:64]
    language, today = request_language(request), today_in_montreal(request)
    values = read_form(REGISTRATION, form)
    notes = _region_note(values, language)
    errors = check(REGISTRATION, values, today, language)
    if errors:
        view = form_view(REGISTRATION, values, language, today, errors=errors, notes=notes)
        return _page(request, pages, view, token, status=422)
    key = f"{who.user.user_id}:{token}"
    if token and (made := await SUBMISSIONS.previous(key)):
        return _to_file(made)
    async with SUBMISSIONS.claim(key) as made_by_this:
        try:
            answer = await backends.post(
                "registration", "/persons", token=who.token, json=registration_body(values)
            )
        except BackendRefused as refused:
            return _refused(request, pages, refused, values, token, notes)
        made_by_this.append(str(answer["person_id"]))
    flash(
        request,
        "registered",
        person_id=answer["person_id"],
        file_reference=answer.get("file_reference"),
        possible_duplicate=bool(answer.get("possible_duplicate")),
        eligibility=answer.get("eligibility") or [],
    )
    return _to_file(str(answer["person_id"]))


def _refused(
    request: Request,
    pages: Pages,
    refused: BackendRefused,
    values: dict[str, Any],
    token: str,
    notes: dict[str, str],
) -> Response:
    details = refused.body.get("details") or {}
    if (
        refused.status == 409
        and refused.body.get("code") == "person.duplicate_uci"
        and details.get("person_id")
    ):
        flash(request, "duplicate_uci", file_reference=details.get("file_reference"))
        return _to_file(str(details["person_id"]))
    if refused.status not in (400, 409, 413, 415, 422):
        raise refused  # 403, 404: the error page
    language, today = request_language(request), today_in_montreal(request)
    errors, elsewhere = refusals(REGISTRATION, refused.body, language)
    view = form_view(REGISTRATION, values, language, today, errors=errors, elsewhere=elsewhere, notes=notes)
    return _page(request, pages, view, token, status=422)


def _region_note(values: dict[str, Any], language: Language) -> dict[str, str]:
    note = autofill_region(values, language)
    return {"region": note} if note else {}


def _to_file(person_id: str) -> Response:
    return RedirectResponse(f"/personnes/{person_id}", status_code=303)


def _page(
    request: Request, pages: Pages, view: FormView, token: str, *, status: int = 200, restored: bool = False
) -> Response:
    context = {"form": view, "submission": token, "restored": restored}
    return pages.render(request, "persons/register.html", context, status=status)


@router.post("/personnes/formulaires/{form_key}/{name}")
async def check_one_field(
    form_key: str, name: str, request: Request, _who: SignedInDep, pages: PagesDep
) -> Response:
    """One field again, with its message (htmx, as the person leaves it); after the postal
    code, the region too (filled in from it)."""
    spec = FORMS.get(form_key)
    field = spec.get(name) if spec else None
    if spec is None or field is None:
        raise HTTPException(404)
    language, today = request_language(request), today_in_montreal(request)
    values = read_form(spec, await request.form())
    notes = _region_note(values, language) if name == "postal_code" else {}
    errors = check(spec, values, today, language)
    shown = {name: errors[name]} if name in errors else {}
    view = form_view(spec, values, language, today, errors=shown, notes=notes)
    also = spec.get("region") if name == "postal_code" else None
    return pages.render(request, "persons/field.html", {"form": view, "field": field, "also": also})
