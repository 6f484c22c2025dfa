"""The inbox (``/avis``): the person's notices, newest first (unread ones alone, if asked), each
readable in full — the reasons of a rejection, the failed checks, the dates — with a link to the
page of what it is about; marking one read is a plain form (POST, then back), and the header's
badge, counted again on every page of the inbox, goes down with it."""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import Pager, page_number, rows_of
from portal.routes.persons_common import flash, take_flash
from portal.routes.reports_common import unread_count

router = APIRouter()
PAGE_SIZE = 20
_NOTICE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
# Links notices carry (gsi_contracts.links) whose page has another address in the portal.
_MOVED = {"/importations/": "/imports/"}


def _notice_path(notice_id: str) -> str:
    if not _NOTICE_ID.match(notice_id):
        raise HTTPException(404)
    return f"/inbox/{notice_id}"


def portal_link(link: str | None) -> str | None:
    """The portal page a notice's link names (a path of this portal, nothing else)."""
    if not link or not link.startswith("/") or link.startswith("//"):
        return None
    for old, new in _MOVED.items():
        if link.startswith(old):
            return new + link[len(old) :]
    return link


@router.get("/avis")
async def inbox(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    number = page_number(str(request.query_params.get("page", "")), limit=10_000)
    only_unread = request.query_params.get("non_lus") == "1"
    found, unread = await asyncio.gather(
        backends.get(
            "notifications",
            "/inbox",
            token=who.token,
            **rows_of(number, PAGE_SIZE),
            unread=only_unread,
        ),
        unread_count(backends, who.token, fresh=True),
    )
    query = {"non_lus": "1"} if only_unread else {}
    pager = Pager(number, int(found["total"]), query, "/avis", size=PAGE_SIZE)
    context = {
        "notices": found["items"],
        "pager": pager,
        "only_unread": only_unread,
        "unread": unread,
        "notice": take_flash(request),
    }
    return pages.render(request, "inbox/list.html", context)


@router.get("/avis/{notice_id}")
async def notice(
    notice_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    found, unread = await asyncio.gather(
        backends.get("notifications", _notice_path(notice_id), token=who.token),
        unread_count(backends, who.token, fresh=True),
    )
    context = {
        "item": found,
        "link": portal_link(found.get("link")),
        "unread": unread,
        "notice": take_flash(request),
    }
    return pages.render(request, "inbox/notice.html", context)


@router.post("/avis/{notice_id}/lu")
async def mark_read(notice_id: str, request: Request, who: SignedInDep, backends: BackendsDep) -> Response:
    await backends.post("notifications", f"{_notice_path(notice_id)}/read", token=who.token)
    backends.unread.forget(who.token)  # the badge follows the person's own action at once
    back = str((await request.form()).get("retour") or "")
    flash(request, "read")
    target = "/avis" if back == "liste" else f"/avis/{notice_id}"
    return RedirectResponse(target, status_code=303)


@router.get("/importations/{import_id}")
async def import_link(import_id: str, _who: SignedInDep) -> Response:
    """E-mails and notices name an import ``/importations/{id}``; its page is under /imports."""
    if not _NOTICE_ID.match(import_id):
        raise HTTPException(404)
    return RedirectResponse(f"/imports/{import_id}", status_code=308)
