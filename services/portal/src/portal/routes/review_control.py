"""Control a report (``/controle/{organization}/{quarter}``), for a reviewer of the organization
or an admin: the summary and deadlines, the findings by check, the frozen submission as a table
filterable by check, its integrity with the SHA-256, the history; and the ministry's steps —
take under control, reject (interventions ticked in the table, a reason for each, a global
reason, the resubmission deadline: the calendar's prefilled, another business day allowed),
accept (an override reason while blocking errors remain), lock.

Every step is a plain form: POST, then back to the page with what was done. A step reporting
refuses comes back in the page's error summary; when another reviewer acted on the report first
(409 ``report.invalid_transition``), the page says so and shows the report as it now is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gsi_kernel.fiscal import FiscalQuarter
from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import flash
from portal.routes.reports_common import quarter_of, refusal
from portal.routes.review_context import control_context, control_path, read_rejection
from portal.routes.review_queue import require_reviewer
from portal.web import Pages, request_language

router = APIRouter()


@dataclass(frozen=True)
class ControlAddress:
    """The report a control page is about, once the person may see it."""

    organization_id: str
    quarter: str

    def checked(self, who: SignedIn) -> FiscalQuarter:
        require_reviewer(who)
        return quarter_of(self.quarter)


ControlAt = Annotated[ControlAddress, Depends()]


@router.get("/controle/{organization_id}/{quarter}")
async def control(
    at: ControlAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    season = at.checked(who)
    context = await control_context(request, backends, who, at.organization_id, season)
    return pages.render(request, "review/control.html", context)


async def _refused(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    at: ControlAddress,
    refused: BackendRefused,
    **shown: Any,
) -> Response:
    """The page again, as the report now is, with reporting's refusal in the error summary;
    when the report moved on meanwhile, a sentence saying another reviewer acted first."""
    language = request_language(request)
    message = refusal(refused, language)
    context = await control_context(request, backends, who, at.organization_id, quarter_of(at.quarter))
    if refused.body.get("code") == "report.invalid_transition":
        message = _moved_on(language, context["report"]["state"])
    anchor = shown.pop("anchor", "actions")
    status = shown.pop("status", 409)
    context.update(shown)
    context["errors"] = [(anchor, message)]
    return pages.render(request, "review/control.html", context, status=status)


def _moved_on(language: Language, state: str) -> str:
    _ = gettext_for(language)
    states = {
        "submitted": _("submitted"),
        "under_control": _("under review"),
        "accepted": _("accepted"),
        "rejected": _("rejected"),
        "locked": _("locked"),
        "draft": _("a draft"),
    }
    return _(
        "Someone else acted on this report a moment ago: it is now %(state)s. "
        "The page shows it as it is now; check it before going on."
    ) % {"state": states.get(state, state)}


async def _simple_step(
    at: ControlAddress, step: str, request: Request, who: SignedIn, backends: Backends, pages: Pages
) -> Response:
    """Take under control, or lock: no form field beyond the CSRF token."""
    season = at.checked(who)
    try:
        await backends.post("reporting", f"/reports/{at.organization_id}/{season}/{step}", token=who.token)
    except BackendRefused as refused:
        return await _refused(request, backends, who, pages, at, refused)
    flash(request, step)
    return RedirectResponse(control_path(at.organization_id, season), status_code=303)


@router.post("/controle/{organization_id}/{quarter}/prise")
async def take(
    at: ControlAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _simple_step(at, "take", request, who, backends, pages)


@router.post("/controle/{organization_id}/{quarter}/verrouillage")
async def lock(
    at: ControlAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _simple_step(at, "lock", request, who, backends, pages)


@router.post("/controle/{organization_id}/{quarter}/acceptation")
async def accept(
    at: ControlAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _accept(at, request, who, backends, pages, at.checked(who))


@router.post("/controle/{organization_id}/{quarter}/refus")
async def reject(
    at: ControlAt, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _reject(at, request, who, backends, pages, at.checked(who))


async def _accept(
    at: ControlAddress,
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    season: FiscalQuarter,
) -> Response:
    form = await request.form()
    raw = form.get("override_reason")
    override = raw.strip() if isinstance(raw, str) else ""
    body = {"override_reason": override} if override else {}
    try:
        await backends.post(
            "reporting", f"/reports/{at.organization_id}/{season}/accept", token=who.token, json=body
        )
    except BackendRefused as refused:
        if refused.body.get("code") == "report.blocking_errors" or refused.status == 422:
            message = refusal(refused, request_language(request))
            return await _refused(
                request,
                backends,
                who,
                pages,
                at,
                refused,
                anchor="override_reason",
                override=override,
                override_error=message,
            )
        return await _refused(request, backends, who, pages, at, refused, override=override)
    flash(request, "accept", override=bool(override))
    return RedirectResponse(control_path(at.organization_id, season), status_code=303)


async def _reject(
    at: ControlAddress,
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    season: FiscalQuarter,
) -> Response:
    language = request_language(request)
    context = await control_context(request, backends, who, at.organization_id, season)
    known = set(context["items_by_id"])
    typed = read_rejection(await request.form(), known, language)
    if typed.errors:
        context["rejection"] = typed
        context["errors"] = [(key, text) for key, text in typed.errors.items()]
        return pages.render(request, "review/control.html", context, status=422)
    path = f"/reports/{at.organization_id}/{season}/reject"
    try:
        await backends.post("reporting", path, token=who.token, json=typed.body())
    except BackendRefused as refused:
        if refused.body.get("code") == "report.invalid_resubmission_due":  # beside its field
            typed.errors["resubmission_due"] = refusal(refused, language)
            return await _refused(
                request,
                backends,
                who,
                pages,
                at,
                refused,
                rejection=typed,
                anchor="resubmission_due",
                status=422,
            )
        return await _refused(
            request, backends, who, pages, at, refused, rejection=typed, anchor="rejection-form"
        )
    flash(request, "reject", count=len(typed.ticked))
    return RedirectResponse(control_path(at.organization_id, season), status_code=303)
