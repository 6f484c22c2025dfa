"""Notifications, for administrators (``/administration/avis``): the reminder schedule (changed
with a reason), the e-mail delivery log with a failed delivery sent again, and each notice
kind's e-mail as French and English recipients receive it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.routes.admin_privacy import checked_reason, field_errors, require_admin
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.organization_names import organization_names
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import flash, take_flash
from portal.web import Pages, request_language

router = APIRouter()
BASE = "/administration/avis"
PAGE_SIZE = 25
OFFSETS = (
    "deadline_reminders",
    "escalations",
    "control_reminders",
    "resubmission_reminders",
    "checkpoint_reminders",
)
STATUSES = ("pending", "sent", "retrying", "dead")
# Notifications' notice kinds (each has a French and an English template).
KINDS = (
    "deadline_reminder",
    "deadline_missed",
    "deadline_escalation",
    "control_reminder",
    "resubmission_reminder",
    "checkpoint_due",
    "report_submitted",
    "report_accepted",
    "report_rejected",
    "quarter_locked",
    "quarter_unlocked",
    "lock_exception_granted",
    "lock_exception_refused",
    "import_finished",
)
_DELIVERY = re.compile(r"^[0-9a-f-]{36}$")


async def _schedule_page(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    schedule = await backends.get("notifications", "/schedule", token=who.token)
    shown = {name: ", ".join(str(d) for d in schedule[name]) for name in OFFSETS}
    shown |= {
        "grace_days": str(schedule["grace_days"]),
        "deadline_missed": "yes" if schedule["deadline_missed"] else "",
    }
    errors = errors or {}
    context = {
        "schedule": schedule,
        "values": values or {**shown, "reason": ""},
        "errors": errors,
        "summary": list(errors.items()),
        "notice": take_flash(request),
    }
    return pages.render(request, "admin_notifications/schedule.html", context, status=422 if errors else 200)


@router.get(BASE)
async def schedule(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    return await _schedule_page(request, backends, who, pages)


def _days(text: str) -> list[int] | None:
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    return [int(p) for p in parts] if all(p.isdigit() for p in parts) else None


@router.post(BASE)
async def change_schedule(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_admin(who.user)
    form = await request.form()
    language = request_language(request)
    _ = gettext_for(language)
    values = {
        name: str(form.get(name) or "") for name in (*OFFSETS, "grace_days", "deadline_missed", "reason")
    }
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"deadline_missed": values["deadline_missed"] == "yes"}
    for name in (*OFFSETS, "grace_days"):
        days = _days(values[name])
        if days is None or (name == "grace_days" and len(days) != 1):
            errors[name] = (
                _("Enter numbers of days, separated by commas")
                if name != "grace_days"
                else _("Enter a number of days")
            )
        else:
            body[name] = days[0] if name == "grace_days" else days
    reason, problem = checked_reason(values["reason"], language, longest=1000)
    values["reason"] = reason
    if problem:
        errors["reason"] = problem
    if not errors:
        try:
            change = {"schedule": body, "reason": reason}
            await backends.request("PUT", "notifications", "/schedule", token=who.token, json=change)
        except BackendRefused as refused:
            errors = field_errors(refused, language, (*OFFSETS, "grace_days", "reason"))
        else:
            flash(request, "schedule")
            return RedirectResponse(BASE, status_code=303)
    return await _schedule_page(request, backends, who, pages, values, errors)


@router.get(BASE + "/envois")
async def deliveries(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    query = request.query_params
    number = page_number(str(query.get("page", "")))
    state, address = str(query.get("etat", "")), str(query.get("adresse", "")).strip()[:320]
    params: dict[str, Any] = rows_of(number, PAGE_SIZE)
    if state in STATUSES:
        params["status"] = state
    if address:
        params["address"] = address
    found = await backends.get("notifications", "/deliveries", token=who.token, **params)
    names = await organization_names(backends, who.token, (d.get("organization_id") for d in found["items"]))
    pager = Pager(
        number, int(found["total"]), {"etat": state, "adresse": address}, BASE + "/envois", size=PAGE_SIZE
    )
    context = {
        "rows": found["items"],
        "pager": pager,
        "state": state,
        "address": address,
        "names": names,
        "notice": take_flash(request),
    }
    return pages.render(request, "admin_notifications/deliveries.html", context)


@router.post(BASE + "/envois/{delivery_id}/renvoi")
async def retry(delivery_id: str, request: Request, who: SignedInDep, backends: BackendsDep) -> Response:
    """Send a dead-lettered e-mail again; the log says how it goes."""
    require_admin(who.user)
    if not _DELIVERY.match(delivery_id):
        raise HTTPException(404)
    try:
        await backends.post("notifications", f"/deliveries/{delivery_id}/retry", token=who.token)
    except BackendRefused as refused:
        if refused.status in (403, 404):
            raise
        flash(request, "retry_refused", message=refused.message(request_language(request)))
    else:
        flash(request, "retried")
    return RedirectResponse(BASE + "/envois", status_code=303)


@router.get(BASE + "/modeles")
async def templates(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    """A notice kind's e-mail in both languages, with its sample data."""
    require_admin(who.user)
    kind = str(request.query_params.get("type", "")) or KINDS[0]
    if kind not in KINDS:
        raise HTTPException(404)
    french, english = await asyncio.gather(
        *(
            backends.post(
                "notifications", f"/templates/{kind}/preview", token=who.token, json={"language": lang}
            )
            for lang in ("fr", "en")
        )
    )
    context = {"kinds": KINDS, "kind": kind, "previews": [french, english]}
    return pages.render(request, "admin_notifications/templates.html", context)
