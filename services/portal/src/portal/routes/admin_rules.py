"""The programme's rules for administrators (``/administration/regles``): the versions of the
eligibility rule set (registration's ``/rule-sets``) and of the intervention catalogue
(interventions' ``/catalogue``) with their effective dates and who published them; one
version's settings; two versions compared side by side; and publishing a new effective-dated
version — the form, then the service's preview of what it changes (``…/preview``: checked as
publishing checks it, nothing recorded), then the confirmation that publishes it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from gsi_kernel.document_changes import leaves
from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import Language
from portal.routes import admin_forms as forms
from portal.routes.admin_rules_parts import KINDS, PUBLISH, Rules, change_rows, refusal_of, setting_rows
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import new_submission_token, take_flash, today_in_montreal
from portal.routes.posting import Post, send_once
from portal.web import Pages, request_language

router = APIRouter()
BASE = "/administration/regles"


def _kind(slug: str) -> Rules:
    found = KINDS.get(slug)
    if found is None:
        raise HTTPException(404)
    return found


def _version_path(rules: Rules, program: str, version: str) -> str:
    return rules.version_path.format(program=quote(program, safe=""), version=quote(version, safe=""))


async def _versions(
    request: Request, backends: Backends, who: SignedIn, rules: Rules
) -> list[dict[str, Any]]:
    """The versions, oldest first, each marked in force, to come or past (Montréal's today)."""
    rows: list[dict[str, Any]] = await backends.get(rules.service, rules.listing, token=who.token)
    today = today_in_montreal(request).isoformat()
    current = max((r["effective_from"] for r in rows if r["effective_from"] <= today), default="")
    for r in rows:
        r["state"] = (
            "current"
            if r["effective_from"] == current
            else "upcoming"
            if r["effective_from"] > today
            else "past"
        )
    return rows


@router.get(BASE)
async def rules_index(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    forms.require_admin(who.user)
    kinds = [(rules, await _versions(request, backends, who, rules)) for rules in KINDS.values()]
    return pages.render(request, "admin_rules/index.html", {"kinds": kinds, "notice": take_flash(request)})


@router.get(BASE + "/{slug}/versions/{version}")
async def rules_version(
    slug: str, version: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    rules = _kind(slug)
    versions = await _versions(request, backends, who, rules)
    row = next((r for r in versions if r["version"] == version), None)
    if row is None:
        raise HTTPException(404)
    document = await backends.get(
        rules.service, _version_path(rules, row["program"], version), token=who.token
    )
    context = {
        "rules": rules,
        "row": row,
        "versions": versions,
        "settings": setting_rows(leaves(document)),
        "notice": take_flash(request),
    }
    return pages.render(request, "admin_rules/version.html", context)


@router.get(BASE + "/{slug}/comparer")
async def rules_compare(
    slug: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    rules = _kind(slug)
    versions = await _versions(request, backends, who, rules)
    known = [r["version"] for r in versions]
    older, newer = (str(request.query_params.get(k, "")) for k in ("de", "a"))
    if older not in known or newer not in known:
        older, newer = (known[-2], known[-1]) if len(known) > 1 else (known[0], known[0])
    program = versions[0]["program"]
    compared = await backends.get(
        rules.service, _version_path(rules, program, newer) + "/changes", token=who.token, against=older
    )
    language = request_language(request)
    context = {
        "rules": rules,
        "versions": versions,
        "older": older,
        "newer": newer,
        "compared": compared,
        "rows": change_rows(compared["changes"], language),
    }
    return pages.render(request, "admin_rules/compare.html", context)


async def _form_page(
    request: Request,
    pages: Pages,
    rules: Rules,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
) -> Response:
    language = request_language(request)
    view = forms.view(PUBLISH, values, language, errors=errors or {}, elsewhere=elsewhere or [], live=False)
    context = {"rules": rules, "form": view}
    return pages.render(request, "admin_rules/publish.html", context, status=422 if view.summary else 200)


@router.get(BASE + "/{slug}/publier")
async def publish_form(
    slug: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    forms.require_admin(who.user)
    rules = _kind(slug)
    latest = (await _versions(request, backends, who, rules))[-1]
    document = await backends.get(
        rules.service, _version_path(rules, latest["program"], latest["version"]), token=who.token
    )
    shown = {k: v for k, v in document.items() if k not in ("version", "effective_from")}
    values = forms.blank(PUBLISH, document=json.dumps(shown, ensure_ascii=False, indent=2))
    return await _form_page(request, pages, rules, values)


def _read(values: dict[str, Any], language: Language) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The proposed document (the JSON with the form's number and date), or the form's errors."""
    _ = gettext_for(language)
    errors = forms.check(PUBLISH, values, language)
    document: Any = None
    if "document" not in errors:
        try:
            document = json.loads(values["document"])
        except ValueError as error:
            line = getattr(error, "lineno", 0)
            errors["document"] = _("The rules are not a valid JSON document (line %(line)s)") % {"line": line}
        else:
            if not isinstance(document, dict):
                errors["document"] = _("The rules must be a JSON object, between { and }")
    if errors:
        return None, errors
    return {**document, "version": values["version"], "effective_from": values["effective_from"]}, errors


# The rules, the form, its values and the language of a proposed version's page.
_Proposal = tuple[Rules, Any, dict[str, Any], Language]


async def _proposal(slug: str, request: Request, who: SignedIn) -> _Proposal:
    """What the preview and the publication both read: the rules, the form, its values, the language."""
    forms.require_admin(who.user)
    rules = _kind(slug)
    form = await request.form()
    return rules, form, forms.read(PUBLISH, form), request_language(request)


@router.post(BASE + "/{slug}/publier")
async def preview(
    slug: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    """The service's preview of the proposed version, or the form again with its errors."""
    rules, _form, values, language = await _proposal(slug, request, who)
    document, errors = _read(values, language)
    if document is None:
        return await _form_page(request, pages, rules, values, errors)
    answer = await _previewed(backends, who, rules, document, language)
    if isinstance(answer, tuple):
        return await _form_page(request, pages, rules, values, *answer)
    context = {
        "rules": rules,
        "values": values,
        "previewed": answer,
        "rows": change_rows(answer["changes"], language),
        "submission": new_submission_token(),
    }
    return pages.render(request, "admin_rules/preview.html", context)


async def _previewed(
    backends: Backends, who: SignedIn, rules: Rules, document: dict[str, Any], language: Language
) -> dict[str, Any] | tuple[dict[str, str], list[str]]:
    try:
        return dict(await backends.post(rules.service, rules.preview, token=who.token, json=document))
    except BackendRefused as refused:
        if refused.status not in (400, 404, 409, 422):
            raise
        return refusal_of(refused.body, language)


@router.post(BASE + "/{slug}/publier/confirmer")
async def publish(
    slug: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    """Publish the previewed version (once per preview page), then open it."""
    rules, form, values, language = await _proposal(slug, request, who)
    document, errors = _read(values, language)
    if document is None or form.get("decision") == "edit":  # "edit": back to change the proposal
        return await _form_page(request, pages, rules, values, errors)

    async def again(errors: dict[str, str], elsewhere: list[str]) -> Response:
        return await _form_page(request, pages, rules, values, errors, elsewhere)

    path = f"{rules.publish}?reason={quote(values['reason'])}"
    post = Post(path, document, lambda body: refusal_of(body, language), again, service=rules.service)
    submission = form.get("submission")
    return await send_once(
        request,
        backends,
        who,
        post,
        token=("rules-" + rules.slug, submission if isinstance(submission, str) else ""),
        made="version",
        target=lambda version: f"{BASE}/{rules.slug}/versions/{quote(version, safe='')}",
        notice=lambda answer: ("rules_published", {"version": answer["version"]}),
    )
