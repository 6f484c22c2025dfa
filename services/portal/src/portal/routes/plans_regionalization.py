"""Regionalization follow-ups (``/suivis-regionalisation``): the checkpoints due soon first
(due in the next 30 days or overdue, oldest first), then every follow-up; a new follow-up (the
person, the destination region, the settlement date: checkpoints at 3, 6 and 12 months); one
follow-up with its checkpoints and the form that records a checkpoint's outcome."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import (
    PAGE_SIZE,
    Pager,
    find_persons,
    names,
    page_number,
    person_labels,
)
from portal.routes.interventions_forms import blank, errors_of, read
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import (
    SUBMISSIONS,
    flash,
    looks_like_person_id,
    new_submission_token,
    take_flash,
    today_in_montreal,
)
from portal.routes.persons_register import require_organization
from portal.routes.plans_forms import CHECKPOINT, CHECKPOINT_OUTCOMES, NEW_FOLLOW_UP, plan_view
from portal.web import Pages, request_language

router = APIRouter()
BASE = "/suivis-regionalisation"
DUE_WITHIN_DAYS = 30
_FORM_ERRORS = (400, 409, 422)


@router.get(BASE)
async def follow_ups(
    request: Request,
    who: SignedInDep,
    backends: BackendsDep,
    pages: PagesDep,
    status: str = "",
    page: str = "1",
) -> Response:
    language = request_language(request)
    today = today_in_montreal(request)
    status = status if status in ("open", "complete") else ""
    number = page_number(page)
    before = (today + timedelta(days=DUE_WITHIN_DAYS + 1)).isoformat()
    due, listing = await asyncio.gather(
        backends.get(
            "interventions", "/regionalization-follow-ups/due", token=who.token, before=before, limit=100
        ),
        backends.get(
            "interventions",
            "/regionalization-follow-ups",
            token=who.token,
            **({"status": status} if status else {}),
            offset=(number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        ),
    )
    labels = await person_labels(
        backends, who.token, [r["person_id"] for r in (*due["items"], *listing["items"])]
    )
    context = {
        "due": due,
        "follow_ups": listing["items"],
        "labels": labels,
        "today": today,
        "within": DUE_WITHIN_DAYS,
        "status": status,
        "pager": Pager(number, listing["total"], {"status": status} if status else {}, BASE),
        "notice": take_flash(request),
        "may_open": who.user.works_for_an_organization,
        **names(language),
    }
    return pages.render(request, "plans/follow_ups.html", context)


async def _new_page(
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
    status: int = 200,
) -> Response:
    language = request_language(request)
    query = str(values.get("person_query") or "")
    labels, (results, refused) = await asyncio.gather(
        person_labels(backends, who.token, [values.get("person_id")]),
        find_persons(backends, who.token, query, language),
    )
    context = {
        "form": plan_view(NEW_FOLLOW_UP, values, language, errors=errors or {}, elsewhere=elsewhere or []),
        "chosen": [labels[values["person_id"]]] if values.get("person_id") else [],
        "results": results,
        "searched": bool(query),
        "search_refused": refused,
        **names(language),
    }
    return pages.render(request, "plans/new_follow_up.html", context, status=status)


@router.get(BASE + "/nouveau")
async def new_follow_up_form(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep, person_id: str = ""
) -> Response:
    require_organization(who.user)
    values = blank(
        NEW_FOLLOW_UP,
        person_id=person_id if looks_like_person_id(person_id) else "",
        opened_on=today_in_montreal(request).isoformat(),
        submission=new_submission_token(),
    )
    return await _new_page(request, who, backends, pages, values)


@router.post(BASE + "/nouveau")
async def open_follow_up(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    form = await request.form()
    values = read(NEW_FOLLOW_UP, form)
    if form.get("action") == "search":
        return await _new_page(request, who, backends, pages, values)
    key = f"regionalization:{who.user.user_id}:{values['submission']}"
    if values["submission"] and (made := await SUBMISSIONS.previous(key)):
        return RedirectResponse(f"{BASE}/{made}", status_code=303)
    body = {f.name: values[f.name] or None for f in NEW_FOLLOW_UP.fields}
    async with SUBMISSIONS.claim(key) as made_by_this:
        try:
            answer = await backends.post(
                "interventions",
                "/regionalization-follow-ups",
                token=who.token,
                json={k: v for k, v in body.items() if v is not None},
            )
        except BackendRefused as refused:
            if refused.status not in _FORM_ERRORS:
                raise
            errors, elsewhere = errors_of(NEW_FOLLOW_UP, refused.body, request_language(request))
            return await _new_page(
                request, who, backends, pages, values, errors=errors, elsewhere=elsewhere, status=422
            )
        made_by_this.append(str(answer["follow_up_id"]))
    flash(request, "follow_up_opened")
    return RedirectResponse(f"{BASE}/{answer['follow_up_id']}", status_code=303)


async def _follow_up_page(
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    follow_up_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
) -> Response:
    if not looks_like_person_id(follow_up_id):
        raise HTTPException(404)
    language = request_language(request)
    follow_up = await backends.get(
        "interventions", f"/regionalization-follow-ups/{follow_up_id}", token=who.token
    )
    labels = await person_labels(backends, who.token, [follow_up["person_id"]])
    pending = [c for c in follow_up["checkpoints"] if not c["outcome"]]
    checkpoints = [(str(c["months"]), _months_label(c["months"], language)) for c in pending]
    typed = values or blank(
        CHECKPOINT,
        months=checkpoints[0][0] if checkpoints else "",
        recorded_on=today_in_montreal(request).isoformat(),
    )
    form = plan_view(
        CHECKPOINT,
        typed,
        language,
        errors=errors or {},
        elsewhere=elsewhere or [],
        options={"checkpoints": checkpoints},
    )
    context = {
        "follow_up": follow_up,
        "person": labels[follow_up["person_id"]],
        "form": form,
        "pending": pending,
        "outcomes": CHECKPOINT_OUTCOMES,
        "today": today_in_montreal(request),
        "notice": take_flash(request),
        "may_record": who.user.works_for_an_organization and bool(pending),
        **names(language),
    }
    return pages.render(request, "plans/follow_up.html", context, status=422 if errors or elsewhere else 200)


def _months_label(months: int, language: Language) -> str:
    _ = gettext_for(language)
    return _("%(months)d months after settling") % {"months": months}


@router.get(BASE + "/{follow_up_id}")
async def follow_up_page(
    follow_up_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _follow_up_page(request, who, backends, pages, follow_up_id)


@router.post(BASE + "/{follow_up_id}/jalons")
async def record_checkpoint(
    follow_up_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    if not looks_like_person_id(follow_up_id):
        raise HTTPException(404)
    values = read(CHECKPOINT, await request.form())
    months = str(values["months"])
    body = {
        "months": int(months) if months.isdigit() and len(months) < 4 else months or None,
        "outcome": values["outcome"] or None,
        "recorded_on": values["recorded_on"] or None,
        "new_region": values["new_region"] or None,
        "note": values["note"] or None,
    }
    try:
        await backends.post(
            "interventions",
            f"/regionalization-follow-ups/{follow_up_id}/checkpoints",
            token=who.token,
            json={k: v for k, v in body.items() if v is not None},
        )
    except BackendRefused as refused:
        if refused.status not in _FORM_ERRORS:
            raise
        errors, elsewhere = errors_of(CHECKPOINT, refused.body, request_language(request))
        return await _follow_up_page(
            request, who, backends, pages, follow_up_id, values=values, errors=errors, elsewhere=elsewhere
        )
    flash(request, "checkpoint_recorded")
    return RedirectResponse(f"{BASE}/{follow_up_id}", status_code=303)
