"""Regionalization follow-ups (``/suivis-regionalisation``): the checkpoints due soon first
(due in the next 30 days or overdue, oldest first), then every follow-up; a new follow-up (the
person, the destination region, the settlement date: checkpoints at 3, 6 and 12 months); one
follow-up with its checkpoints and the form that records a checkpoint's outcome."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import Backends
from portal.forms import FormSpec
from portal.i18n import Language
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import (
    Pager,
    names,
    page_number,
    person_choice,
    person_labels,
    rows_of,
)
from portal.routes.interventions_forms import blank, read
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import (
    looks_like_person_id,
    new_submission_token,
    take_flash,
    today_in_montreal,
)
from portal.routes.persons_register import require_organization
from portal.routes.plans_forms import CHECKPOINT, CHECKPOINT_OUTCOMES, NEW_FOLLOW_UP, plan_view
from portal.routes.posting import Post, present, redraw, refused_on, send_once, send_then_redirect
from portal.web import Pages, request_language

router = APIRouter()
BASE = "/suivis-regionalisation"
DUE_WITHIN_DAYS = 30


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
            **rows_of(number),
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


async def person_form_page(
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    form: tuple[FormSpec, str],
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    elsewhere: list[str] | None = None,
    status: int = 200,
    **more: Any,
) -> Response:
    """A new plan's or follow-up's page (``form``: its fields and its template): the person
    chosen, or those the search box finds."""
    spec, template = form
    language = request_language(request)
    person = [values["person_id"]] if values.get("person_id") else []
    query = str(values.get("person_query") or "")
    context = {
        "form": plan_view(spec, values, language, errors=errors or {}, elsewhere=elsewhere or []),
        **await person_choice(backends, who.token, query, person, language),
        **more,
        **names(language),
    }
    return pages.render(request, template, context, status=status)


async def _new_page(
    request: Request, who: SignedIn, backends: Backends, pages: Pages, values: dict[str, Any], **failed: Any
) -> Response:
    form = (NEW_FOLLOW_UP, "plans/new_follow_up.html")
    return await person_form_page(request, who, backends, pages, form, values, **failed)


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
    body = {f.name: values[f.name] or None for f in NEW_FOLLOW_UP.fields}
    again = redraw(_new_page, request, who, backends, pages, values, status=422)
    return await send_once(
        request,
        backends,
        who,
        Post("/regionalization-follow-ups", present(body), refused_on(NEW_FOLLOW_UP, request), again),
        token=("regionalization", values["submission"]),
        made="follow_up_id",
        target=lambda made: f"{BASE}/{made}",
        notice=lambda _answer: ("follow_up_opened", {}),
    )


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
    again = redraw(_follow_up_page, request, who, backends, pages, follow_up_id, values=values)
    path = f"/regionalization-follow-ups/{follow_up_id}/checkpoints"
    post = Post(path, present(body), refused_on(CHECKPOINT, request), again)
    target = f"{BASE}/{follow_up_id}"
    return await send_then_redirect(request, backends, who, post, notice="checkpoint_recorded", target=target)
