"""Changing a person's file, one page per change (each a plain POST, then back to the file with
what was done): a new status from a date, an address (region filled in from the postal code),
a consent given or withdrawn with its reason, a proof document added. Registration checks and
keeps the history; its refusals come back beside the field they concern."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.forms import FormSpec, FormView, Values, file_part, read_form, refusals, upload_problem
from portal.i18n import N_
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.persons_choices import CONSENTS, DOCUMENT_KINDS, gettext_for
from portal.routes.persons_common import (
    autofill_region,
    blank_values,
    flash,
    form_view,
    looks_like_person_id,
    read_purpose,
    today_in_montreal,
)
from portal.routes.persons_forms import (
    ADDRESS_CHANGE,
    CONSENT_WITHDRAWAL,
    DOCUMENT,
    STATUS_CHANGE,
    address_body,
    check,
    status_body,
)
from portal.routes.persons_register import require_organization
from portal.web import Pages, request_language

router = APIRouter()
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # registration's limit: refused here before it is sent


@dataclass(frozen=True)
class Change:
    spec: FormSpec
    slug: str  # the page's address under the file
    title: str
    button: str
    done: str
    anchor: str  # the file's section to go back to
    body: Callable[[Values], dict[str, Any]]


STATUS = Change(
    STATUS_CHANGE,
    "statut",
    N_("Change the status"),
    N_("Save the new status"),
    N_("The new status was saved."),
    "identity",
    lambda v: {**status_body(v), "reason": v["reason"]},
)
ADDRESS = Change(
    ADDRESS_CHANGE,
    "adresse",
    N_("Change the address"),
    N_("Save the new address"),
    N_("The new address was saved."),
    "identity",
    address_body,
)
WITHDRAWAL = Change(
    CONSENT_WITHDRAWAL,
    "retrait",
    N_("Withdraw a consent"),
    N_("Withdraw the consent"),
    N_("The consent was withdrawn."),
    "consents",
    lambda v: {"reason": v["reason"]},
)


async def _person(backends: Backends, who: SignedIn, person_id: str) -> dict[str, Any]:
    """The person the page is about (its heading); another organization's: not found."""
    require_organization(who.user)
    if not looks_like_person_id(person_id):
        raise HTTPException(404)
    found: dict[str, Any] = await backends.get(
        "registration", f"/persons/{person_id}", token=who.token, purpose=read_purpose(who.user)
    )
    return found


def _back(person_id: str, anchor: str) -> Response:
    return RedirectResponse(f"/personnes/{person_id}#{anchor}", status_code=303)


def _page(
    request: Request, pages: Pages, change: Change, person: dict[str, Any], view: FormView, **more: Any
) -> Response:
    status = 422 if view.summary else 200
    context = {"change": change, "person": person, "form": view, **more}
    return pages.render(request, "persons/change.html", context, status=status)


async def _show(
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    change: Change,
    person_id: str,
    **more: Any,
) -> Response:
    person = await _person(backends, who, person_id)
    today = today_in_montreal(request)
    values = blank_values(
        change.spec, **({"effective_from": today.isoformat()} if change.spec.get("effective_from") else {})
    )
    view = form_view(change.spec, values, request_language(request), today)
    return _page(request, pages, change, person, view, **more)


async def _save(
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    change: Change,
    person_id: str,
    path: str,
    **more: Any,
) -> Response:
    person = await _person(backends, who, person_id)
    language, today = request_language(request), today_in_montreal(request)
    values = read_form(change.spec, await request.form())
    note = autofill_region(values, language) if change.spec.get("postal_code") else None
    notes = {"region": note} if note else {}
    errors = check(change.spec, values, today, language)
    elsewhere: list[str] = []
    if not errors:
        try:
            await backends.post(
                "registration", f"/persons/{person_id}{path}", token=who.token, json=change.body(values)
            )
        except BackendRefused as refused:
            if refused.status in (403, 404):
                raise
            errors, elsewhere = refusals(change.spec, refused.body, language)
        else:
            flash(request, "changed", message=change.done)
            return _back(person_id, change.anchor)
    view = form_view(change.spec, values, language, today, errors=errors, elsewhere=elsewhere, notes=notes)
    return _page(request, pages, change, person, view, **more)


def _change_page(change: Change, path: str) -> None:
    """A change's page (``/personnes/{id}/<slug>``): its form, and the form posted to
    registration's ``path`` under the person."""

    async def show(
        person_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
    ) -> Response:
        return await _show(request, who, backends, pages, change, person_id)

    async def save(
        person_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
    ) -> Response:
        return await _save(request, who, backends, pages, change, person_id, path)

    page = "/personnes/{person_id}/" + change.slug
    router.add_api_route(page, show, methods=["GET"], name=f"{change.slug}_form")
    router.add_api_route(page, save, methods=["POST"], name=f"{change.slug}_change")


_change_page(STATUS, "/status")
_change_page(ADDRESS, "/address")


def _purpose(purpose: str) -> str:
    if purpose not in CONSENTS:
        raise HTTPException(404)
    return purpose


@router.post("/personnes/{person_id}/consentements")
async def give_consent(person_id: str, request: Request, who: SignedInDep, backends: BackendsDep) -> Response:
    await _person(backends, who, person_id)
    purpose = _purpose(str((await request.form()).get("purpose") or ""))
    await backends.post(
        "registration", f"/persons/{person_id}/consents", token=who.token, json={"purpose": purpose}
    )
    flash(request, "changed", message=N_("The consent was recorded."))
    return _back(person_id, "consents")


@router.get("/personnes/{person_id}/consentements/{purpose}/retrait")
async def withdrawal_form(
    person_id: str, purpose: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    subject = gettext_for(request_language(request))(CONSENTS[_purpose(purpose)])
    return await _show(request, who, backends, pages, WITHDRAWAL, person_id, subject=subject)


@router.post("/personnes/{person_id}/consentements/{purpose}/retrait")
async def withdraw_consent(
    person_id: str, purpose: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    subject = gettext_for(request_language(request))(CONSENTS[_purpose(purpose)])
    path = f"/consents/{purpose}/withdraw"
    return await _save(request, who, backends, pages, WITHDRAWAL, person_id, path, subject=subject)


UPLOAD = Change(
    DOCUMENT,
    "documents",
    N_("Add a proof document"),
    N_("Add the document"),
    N_("The document was added."),
    "documents",
    dict,
)


@router.get("/personnes/{person_id}/documents")
async def document_form(
    person_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _show(request, who, backends, pages, UPLOAD, person_id, upload=True)


@router.post("/personnes/{person_id}/documents")
async def add_document(
    person_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    """The file goes to registration as it came (registration checks its content: PDF, PNG or
    JPEG); one larger than registration takes is refused here without sending it."""
    person = await _person(backends, who, person_id)
    language, today = request_language(request), today_in_montreal(request)
    _ = gettext_for(language)
    form = await request.form()
    kind, upload = str(form.get("kind") or ""), form.get("file")
    errors: dict[str, str] = {}
    if kind not in DOCUMENT_KINDS:
        errors["kind"] = _("Choose the kind of document")
    too_large = _("The file is larger than 10 MB: choose a smaller one")
    if problem := upload_problem(upload, MAX_DOCUMENT_BYTES, _("Choose a file"), too_large):
        errors["file"] = problem
    elsewhere: list[str] = []
    if not errors and isinstance(upload, UploadFile):
        sent = await file_part(upload, MAX_DOCUMENT_BYTES, "document")
        try:
            await backends.request(
                "POST",
                "registration",
                f"/persons/{person_id}/documents",
                token=who.token,
                files=sent,
                data={"kind": kind},
            )
        except BackendRefused as refused:
            if refused.status in (403, 404):
                raise
            errors, elsewhere = refusals(DOCUMENT, refused.body, language)
            if not errors and elsewhere:  # the file's type or size: said beside the file
                errors, elsewhere = {"file": elsewhere[0]}, elsewhere[1:]
        else:
            flash(request, "changed", message=UPLOAD.done)
            return _back(person_id, UPLOAD.anchor)
    view = form_view(DOCUMENT, {"kind": kind}, language, today, errors=errors, elsewhere=elsewhere)
    return _page(request, pages, UPLOAD, person, view, upload=True)
