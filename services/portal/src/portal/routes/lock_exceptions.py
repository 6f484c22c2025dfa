"""Lock exceptions (``/exceptions-verrouillage``): from a locked quarter's report, a request to
change it anyway — a reason and, if the person wishes, the interventions concerned (named by
person, date and code) — and the organization's requests with their state (requested, granted
until a day, refused, expired). Interventions keeps them; the ministry decides (part 2)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.text import TextKind, TextRefused, clean
from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import flash, take_flash
from portal.routes.persons_register import require_organization
from portal.routes.reports_common import intervention_labels, quarter_of, refusal, unread_count
from portal.web import Pages, request_language

router = APIRouter()
BASE = "/exceptions-verrouillage"
PAGE_SIZE = 25
REASON_MIN, REASON_MAX = 3, 1000  # interventions' limits
_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@router.get(BASE)
async def requests(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_organization(who.user)
    number = page_number(str(request.query_params.get("page", "")), limit=10_000)
    found, unread = await asyncio.gather(
        backends.get(
            "interventions",
            "/lock-exceptions",
            token=who.token,
            **rows_of(number, PAGE_SIZE),
        ),
        unread_count(backends, who.token),
    )
    rows = [{**e, "season": FiscalQuarter.parse(e["quarter"])} for e in found["items"]]
    pager = Pager(number, int(found["total"]), {}, BASE, size=PAGE_SIZE)
    return pages.render(
        request, "lock_exceptions/list.html", {"rows": rows, "pager": pager, "unread": unread}
    )


async def _form(
    request: Request,
    backends: Backends,
    who: SignedIn,
    pages: Pages,
    season: FiscalQuarter,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
) -> Response:
    (labels, _rows), unread = await asyncio.gather(
        intervention_labels(backends, who.token, str(season)), unread_count(backends, who.token)
    )
    errors = errors or {}
    summary = [(name, text) for name, text in errors.items()] + [("reason", t) for t in elsewhere or []]
    context = {
        "quarter": season,
        "labels": sorted(labels.values(), key=lambda label: (label.service_date or "", label.person.name)),
        "values": values,
        "errors": errors,
        "summary": summary,
        "unread": unread,
    }
    return pages.render(request, "lock_exceptions/new.html", context, status=422 if summary else 200)


@router.get(BASE + "/nouvelle")
async def new_request(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_organization(who.user)
    season = quarter_of(str(request.query_params.get("trimestre", "")))
    return await _form(request, backends, who, pages, season, {"reason": "", "interventions": []})


def check_reason(text: str, language: Language) -> tuple[str, str | None]:
    _ = gettext_for(language)
    try:
        reason = clean(text, TextKind.LINES)
    except TextRefused as refused:
        return text, _("The reason contains a character that cannot be saved (position %(position)d)") % {
            "position": refused.position + 1
        }
    if len(reason) < REASON_MIN:
        return reason, _("Enter the reason for the request (%(min)d characters at least)") % {
            "min": REASON_MIN
        }
    if len(reason) > REASON_MAX:
        return reason, _("The reason has %(max)d characters at most") % {"max": REASON_MAX}
    return reason, None


@router.post(BASE + "/nouvelle")
async def send_request(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    form = await request.form()
    season = quarter_of(str(form.get("trimestre") or ""))
    language = request_language(request)
    chosen = [str(v) for v in form.getlist("interventions") if isinstance(v, str) and _ID.match(v)]
    reason, problem = check_reason(str(form.get("reason") or ""), language)
    values = {"reason": reason, "interventions": chosen}
    if problem:
        return await _form(request, backends, who, pages, season, values, {"reason": problem})
    body = {"quarter": str(season), "reason": reason, "intervention_ids": chosen}
    try:
        made = await backends.post("interventions", "/lock-exceptions", token=who.token, json=body)
    except BackendRefused as refused:
        return await _form(
            request, backends, who, pages, season, values, elsewhere=[refusal(refused, language)]
        )
    flash(request, "requested")
    return RedirectResponse(f"{BASE}/{made['id']}", status_code=303)


@router.get(BASE + "/{exception_id}")
async def one_request(
    exception_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    if not _ID.match(exception_id):
        raise HTTPException(404)
    found, unread = await asyncio.gather(
        backends.get("interventions", f"/lock-exceptions/{exception_id}", token=who.token),
        unread_count(backends, who.token),
    )
    season = FiscalQuarter.parse(found["quarter"])
    wanted = found["intervention_ids"]
    labels, _rows = (
        await intervention_labels(backends, who.token, str(season), wanted) if wanted else ({}, [])
    )
    context = {
        "item": found,
        "quarter": season,
        "concerned": [labels[i] for i in wanted] if wanted else [],
        "report": f"/rapports/{found['organization_id']}/{season}",
        "unread": unread,
        "notice": take_flash(request),
    }
    return pages.render(request, "lock_exceptions/detail.html", context)
