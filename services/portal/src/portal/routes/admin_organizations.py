"""The organizations registry for administrators (``/administration/organismes``): the list,
registering one with its first contact, an organization's page (regions, contacts and the
language of their notices, assigned reviewers, agreements), changing its name or regions and
adding or removing a contact — each change with a reason — and assigning or removing a reviewer.
Everything goes through reporting's API (``/organizations``, ``/organizations/{id}/reviewers``);
an assignment takes effect at once on every service (reporting publishes it)."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.forms import FormSpec, refusals
from portal.routes import admin_forms as forms
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import flash, take_flash
from portal.web import Pages, request_language

router = APIRouter()
ADMIN = "/administration"
BASE = ADMIN + "/organismes"
PAGE_SIZE = 50
_ORG_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def org_path(organization_id: str) -> str:
    if not _ORG_ID.match(organization_id):
        raise HTTPException(404)
    return f"/organizations/{organization_id}"


@router.get(ADMIN)
async def index(request: Request, who: SignedInDep, pages: PagesDep) -> Response:
    forms.require_admin(who.user)
    return pages.render(request, "admin/index.html")


@router.post(ADMIN + "/formulaires/{form_key}/{name}")
async def check_one_field(
    form_key: str, name: str, request: Request, who: SignedInDep, pages: PagesDep
) -> Response:
    """One field again with its message, as it is left (htmx)."""
    forms.require_admin(who.user)
    spec = forms.FORMS.get(form_key)
    field = spec.get(name) if spec else None
    if spec is None or field is None:
        raise HTTPException(404)
    language = request_language(request)
    values = forms.read(spec, await request.form())
    errors = forms.check(spec, values, language)
    shown = {name: errors[name]} if name in errors else {}
    view = forms.view(spec, values, language, errors=shown)
    return pages.render(request, "persons/field.html", {"form": view, "field": field, "also": None})


@router.get(BASE)
async def organizations(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    number = page_number(str(request.query_params.get("page", "")), limit=10_000)
    found = await backends.get("reporting", "/organizations", token=who.token, **rows_of(number, PAGE_SIZE))
    pager = Pager(number, int(found["total"]), {}, BASE, size=PAGE_SIZE)
    context = {"rows": found["items"], "pager": pager, "notice": take_flash(request)}
    return pages.render(request, "admin/organizations.html", context)


async def form_page(
    request: Request,
    pages: Pages,
    spec: FormSpec,
    values: dict[str, Any],
    template: str,
    context: dict[str, Any],
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
) -> Response:
    """A form's page, with its errors beside the fields and in the summary (422 when any)."""
    view = forms.view(spec, values, request_language(request), errors=errors or {}, elsewhere=elsewhere or [])
    return pages.render(request, template, {**context, "form": view}, status=422 if view.summary else 200)


async def sent(
    request: Request,
    backends: Backends,
    who: SignedIn,
    call: tuple[str, str, Any],
    spec: FormSpec,
) -> tuple[Any, dict[str, str], list[str]]:
    """Reporting's answer to ``(method, path, body)``, or its refusal put on the form's fields."""
    method, path, body = call
    try:
        return await backends.request(method, "reporting", path, token=who.token, json=body), {}, []
    except BackendRefused as refused:
        if refused.status not in (400, 404, 409, 422):
            raise
        errors, elsewhere = refusals(spec, refused.body, request_language(request))
        return None, errors, elsewhere


def contact_of(values: dict[str, Any]) -> dict[str, str]:
    return {
        "name": values["contact_name"],
        "email": values["contact_email"],
        "role": values["contact_role"],
        "language": values["contact_language"],
    }


@router.get(BASE + "/nouveau")
async def new_organization(request: Request, who: SignedInDep, pages: PagesDep) -> Response:
    forms.require_admin(who.user)
    values = forms.blank(forms.ORGANIZATION, contact_language="fr")
    return await form_page(request, pages, forms.ORGANIZATION, values, "admin/organization_new.html", {})


@router.post(BASE + "/nouveau")
async def register_organization(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    spec = forms.ORGANIZATION
    values = forms.read(spec, await request.form())
    errors = forms.check(spec, values, request_language(request))
    elsewhere: list[str] = []
    if not errors:
        body = {
            "organization_id": values["organization_id"],
            "name": values["name"],
            "regions": values["regions"],
            "contacts": [contact_of(values)],
        }
        answer, errors, elsewhere = await sent(request, backends, who, ("POST", "/organizations", body), spec)
        if answer is not None:
            flash(request, "organization_registered")
            return RedirectResponse(f"{BASE}/{answer['id']}", status_code=303)
    return await form_page(request, pages, spec, values, "admin/organization_new.html", {}, errors, elsewhere)


async def _organization(backends: Backends, who: SignedIn, organization_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await backends.get("reporting", org_path(organization_id), token=who.token)
    return found


@router.get(BASE + "/{organization_id}")
async def organization(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    return await _profile(request, backends, who, pages, organization_id)


async def _profile(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    organization_id: str,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    path = org_path(organization_id)
    found, reviewers, agreements = await asyncio.gather(
        backends.get("reporting", path, token=who.token),
        backends.get("reporting", path + "/reviewers", token=who.token),
        backends.get("reporting", "/agreements", token=who.token, organization_id=organization_id, limit=100),
    )
    language = request_language(request)
    context = {
        "org": found,
        "reviewers": reviewers,
        "agreements": agreements["items"],
        "regions": dict(forms.pick_lists(language)["regions"]),
        "form": forms.view(
            forms.REVIEWER, values or forms.blank(forms.REVIEWER), language, errors=errors or {}
        ),
        "notice": take_flash(request),
    }
    return pages.render(request, "admin/organization.html", context, status=422 if errors else 200)


@router.get(BASE + "/{organization_id}/modifier")
async def change_form(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    found = await _organization(backends, who, organization_id)
    values = forms.blank(forms.ORGANIZATION_CHANGE, name=found["name"], regions=found["regions"])
    return await form_page(
        request, pages, forms.ORGANIZATION_CHANGE, values, "admin/organization_change.html", {"org": found}
    )


@router.post(BASE + "/{organization_id}/modifier")
async def change(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    found = await _organization(backends, who, organization_id)
    spec = forms.ORGANIZATION_CHANGE
    values = forms.read(spec, await request.form())
    errors = forms.check(spec, values, request_language(request))
    elsewhere: list[str] = []
    if not errors:
        body = {"name": values["name"], "regions": values["regions"], "reason": values["reason"]}
        call = ("PATCH", org_path(organization_id), body)
        answer, errors, elsewhere = await sent(request, backends, who, call, spec)
        if answer is not None:
            flash(request, "organization_changed")
            return RedirectResponse(f"{BASE}/{organization_id}", status_code=303)
    return await form_page(
        request, pages, spec, values, "admin/organization_change.html", {"org": found}, errors, elsewhere
    )


@router.get(BASE + "/{organization_id}/contacts/nouveau")
async def contact_form(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    found = await _organization(backends, who, organization_id)
    values = forms.blank(forms.CONTACT, contact_language="fr")
    return await form_page(request, pages, forms.CONTACT, values, "admin/contact_new.html", {"org": found})


@router.post(BASE + "/{organization_id}/contacts/nouveau")
async def add_contact(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    found = await _organization(backends, who, organization_id)
    spec = forms.CONTACT
    values = forms.read(spec, await request.form())
    errors = forms.check(spec, values, request_language(request))
    elsewhere: list[str] = []
    if not errors:
        body = {"contacts": [*found["contacts"], contact_of(values)], "reason": values["reason"]}
        answer, errors, elsewhere = await sent(
            request, backends, who, ("PATCH", org_path(organization_id), body), spec
        )
        if answer is not None:
            flash(request, "contact_added")
            return RedirectResponse(f"{BASE}/{organization_id}", status_code=303)
    return await form_page(
        request, pages, spec, values, "admin/contact_new.html", {"org": found}, errors, elsewhere
    )


@router.post(BASE + "/{organization_id}/contacts/retirer")
async def remove_contact(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep
) -> Response:
    """Remove the contact with that e-mail (the page's button says which), with a reason."""
    forms.require_admin(who.user)
    found = await _organization(backends, who, organization_id)
    form = await request.form()
    email = str(form.get("email") or "")
    kept = [c for c in found["contacts"] if c["email"] != email]
    if len(kept) == len(found["contacts"]):
        raise HTTPException(404)
    _ = gettext_for(request_language(request))
    body = {"contacts": kept, "reason": _("Contact removed: %(name)s") % {"name": email}}
    await backends.request("PATCH", "reporting", org_path(organization_id), token=who.token, json=body)
    flash(request, "contact_removed")
    return RedirectResponse(f"{BASE}/{organization_id}", status_code=303)


@router.post(BASE + "/{organization_id}/conseillers")
async def assign_reviewer(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    values = forms.read(forms.REVIEWER, await request.form())
    errors = forms.check(forms.REVIEWER, values, request_language(request))
    if errors:
        return await _profile(request, backends, who, pages, organization_id, errors, values)
    path = f"{org_path(organization_id)}/reviewers/{quote(values['reviewer_id'], safe='@')}"
    await backends.request("PUT", "reporting", path, token=who.token)
    flash(request, "reviewer_assigned", reviewer=values["reviewer_id"])
    return RedirectResponse(f"{BASE}/{organization_id}", status_code=303)


@router.post(BASE + "/{organization_id}/conseillers/retirer")
async def unassign_reviewer(
    organization_id: str, request: Request, who: SignedInDep, backends: BackendsDep
) -> Response:
    forms.require_admin(who.user)
    reviewer = str((await request.form()).get("reviewer_id") or "")
    if not re.match(r"^[^\s/]{1,200}$", reviewer):
        raise HTTPException(404)
    path = f"{org_path(organization_id)}/reviewers/{quote(reviewer, safe='@')}"
    await backends.request("DELETE", "reporting", path, token=who.token)
    flash(request, "reviewer_removed", reviewer=reviewer)
    return RedirectResponse(f"{BASE}/{organization_id}", status_code=303)
