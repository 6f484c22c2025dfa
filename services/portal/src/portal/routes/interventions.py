"""The interventions (``/interventions``): the list, filtered (quarter, code, flagged check,
severity, staff member, status, person, import, group session), sorted by a column and a page at
a time, each intervention with its flags and how to fix them; one intervention with its history;
its correction and its cancellation, each with a reason.

The page's persons come from registration in one list call once the page's interventions are
known; the catalogue and the past imports (for the filters) are asked together with the list.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from portal.auth import SignedIn
from portal.backend import Backends
from portal.forms import FormView
from portal.routes import interventions_declare, interventions_session
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.interventions_common import (
    CHECKS,
    PAGE_SIZE,
    SEVERITIES,
    STATUSES,
    Pager,
    PersonLabel,
    catalogue,
    find_persons,
    names,
    offer,
    page_number,
    person_labels,
    recent_quarters,
)
from portal.routes.interventions_forms import (
    CANCELLATION,
    CORRECTION,
    DETAIL_FIELDS,
    blank,
    details_body,
    read,
    view,
)
from portal.routes.persons_common import looks_like_person_id, take_flash, today_in_montreal
from portal.routes.persons_register import require_organization
from portal.routes.posting import LOCKED_TOO, Post, refused_on, send_then_redirect
from portal.web import Pages, request_language

router = APIRouter()
SORTS = ("service_date", "code", "volet", "staff_member", "status", "errors", "warnings", "declared_at")
_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")


@dataclass(frozen=True)
class Filters:
    quarter: str = ""
    code: str = ""
    check: str = ""
    severity: str = ""
    staff_member: str = ""
    status: str = ""
    person: str = ""
    person_id: str = ""
    import_id: str = ""
    session_id: str = ""
    sort: str = "-service_date"

    @classmethod
    def of(cls, query: Any, quarters: list[str]) -> Filters:
        """What was asked, keeping only what exists (an address typed by hand)."""

        def get(name: str, limit: int = 100) -> str:
            return " ".join(str(query.get(name, "")).split())[:limit]

        sort = get("sort")
        return cls(
            quarter=get("quarter") if get("quarter") in quarters else "",
            code=get("code") if _CODE.match(get("code")) else "",
            check=get("check") if get("check") in CHECKS else "",
            severity=get("severity") if get("severity") in SEVERITIES else "",
            staff_member=get("staff_member", 200),
            status=get("status") if get("status") in STATUSES else "",
            person=get("person"),
            person_id=get("person_id") if looks_like_person_id(get("person_id")) else "",
            import_id=get("import_id") if looks_like_person_id(get("import_id")) else "",
            session_id=get("session_id") if looks_like_person_id(get("session_id")) else "",
            sort=sort if sort.removeprefix("-") in SORTS else "-service_date",
        )

    def query(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v and (k != "sort" or v != "-service_date")}

    def api(self, person_id: str) -> dict[str, str]:
        wanted = {**asdict(self), "person_id": person_id}
        wanted.pop("person")
        return {k: v for k, v in wanted.items() if v}

    @property
    def any(self) -> bool:
        return any(v for k, v in asdict(self).items() if k != "sort")


async def _nothing() -> Any:
    return None


@router.get("/interventions")
async def list_interventions(
    request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep, page: str = "1"
) -> Response:
    language = request_language(request)
    quarters = recent_quarters(today_in_montreal(request))
    filters = Filters.of(request.query_params, [str(q) for q in quarters])
    number = page_number(page)
    matches: list[PersonLabel] | None = None
    person_id = filters.person_id
    if filters.person and not person_id:  # a name: the interventions of the one person it finds
        found, _refused = await find_persons(backends, who.token, filters.person, language)
        if len(found) == 1:
            person_id = found[0].person_id
        else:
            matches = found
    params = {**filters.api(person_id), "offset": (number - 1) * PAGE_SIZE, "limit": PAGE_SIZE}
    listing, codes, imports = await asyncio.gather(
        _nothing()
        if matches is not None
        else backends.get("interventions", "/interventions", token=who.token, **params),
        catalogue(backends, who.token),
        backends.get("interventions", "/imports", token=who.token, limit=50),
    )
    items = listing["items"] if listing else []
    labels = await person_labels(backends, who.token, [person_id, *(i["person_id"] for i in items)])
    context = {
        "filters": filters,
        "pager": Pager(number, listing["total"] if listing else 0, filters.query(), "/interventions"),
        "items": items,
        "labels": labels,
        "person": labels[person_id] if person_id else None,
        "matches": matches,
        "catalogue": codes,
        "quarters": quarters,
        "imports": imports["items"],
        "checks": CHECKS,
        "severities": SEVERITIES,
        "statuses": STATUSES,
        "notice": take_flash(request),
        "may_declare": who.user.works_for_an_organization,
        **names(language),
    }
    return pages.render(request, "interventions/list.html", context)


async def _one(backends: Backends, who: SignedIn, intervention_id: str) -> tuple[dict[str, Any], PersonLabel]:
    if not looks_like_person_id(intervention_id):
        raise HTTPException(404)
    item = await backends.get("interventions", f"/interventions/{intervention_id}", token=who.token)
    labels = await person_labels(backends, who.token, [item["person_id"]])
    return item, labels[item["person_id"]]


async def _detail(
    request: Request,
    who: SignedIn,
    backends: Backends,
    pages: Pages,
    intervention_id: str,
    *,
    cancel_form: FormView | None = None,
    status: int = 200,
) -> Response:
    language = request_language(request)
    (item, person), history, codes = await asyncio.gather(
        _one(backends, who, intervention_id),
        backends.get("interventions", f"/interventions/{intervention_id}/history", token=who.token),
        catalogue(backends, who.token),
    )
    context = {
        "item": item,
        "person": person,
        "history": list(reversed(history)),
        "catalogue": codes,
        "notice": take_flash(request),
        "may_change": who.user.works_for_an_organization and item["status"] == "active",
        "cancel": cancel_form or view(CANCELLATION, blank(CANCELLATION), language),
        **names(language),
    }
    return pages.render(request, "interventions/detail.html", context, status=status)


@router.get("/interventions/{intervention_id}")
async def intervention(
    intervention_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    return await _detail(request, who, backends, pages, intervention_id)


@router.post("/interventions/{intervention_id}/annulation")
async def cancel(
    intervention_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    if not looks_like_person_id(intervention_id):
        raise HTTPException(404)
    values = read(CANCELLATION, await request.form())
    language = request_language(request)

    async def again(errors: dict[str, str], elsewhere: list[str]) -> Response:
        form = view(CANCELLATION, values, language, errors=errors, elsewhere=elsewhere)
        return await _detail(request, who, backends, pages, intervention_id, cancel_form=form, status=422)

    path = f"/interventions/{intervention_id}/cancellation"
    post = Post(path, {"reason": values["reason"]}, refused_on(CANCELLATION, request), again, LOCKED_TOO)
    target = f"/interventions/{intervention_id}"
    return await send_then_redirect(
        request, backends, who, post, notice="intervention_cancelled", target=target
    )


def _correction_page(
    request: Request,
    pages: Pages,
    item: dict[str, Any],
    person: PersonLabel,
    codes: Any,
    form: Any,
    status: int = 200,
) -> Response:
    context = {
        "item": item,
        "person": person,
        "catalogue": codes,
        "form": form,
        **names(request_language(request)),
    }
    return pages.render(request, "interventions/correct.html", context, status=status)


@router.get("/interventions/{intervention_id}/correction")
async def correction_form(
    intervention_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    (item, person), codes = await asyncio.gather(
        _one(backends, who, intervention_id), catalogue(backends, who.token)
    )
    fields = DETAIL_FIELDS
    values = blank(
        CORRECTION,
        code=offer(item["code"], item["volet"]),
        **{name: str(item.get(name) or "") for name in fields},
    )
    form = view(CORRECTION, values, request_language(request))
    return _correction_page(request, pages, item, person, codes, form)


@router.post("/interventions/{intervention_id}/correction")
async def correct(
    intervention_id: str, request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep
) -> Response:
    require_organization(who.user)
    values = read(CORRECTION, await request.form())
    language = request_language(request)
    body = {"details": details_body(values), "reason": values["reason"]}
    if not looks_like_person_id(intervention_id):
        raise HTTPException(404)

    async def again(errors: dict[str, str], elsewhere: list[str]) -> Response:
        (item, person), codes = await asyncio.gather(
            _one(backends, who, intervention_id), catalogue(backends, who.token)
        )
        form = view(CORRECTION, values, language, errors=errors, elsewhere=elsewhere)
        return _correction_page(request, pages, item, person, codes, form, status=422)

    path = f"/interventions/{intervention_id}/corrections"
    post = Post(path, body, refused_on(CORRECTION, request), again, LOCKED_TOO)
    target = f"/interventions/{intervention_id}"
    return await send_then_redirect(
        request, backends, who, post, notice="intervention_corrected", target=target
    )


# The declaration and the group session ("nouvelle", "seance", "personnes") before "{id}".
routes = APIRouter()
routes.include_router(interventions_declare.router)
routes.include_router(interventions_session.router)
routes.include_router(router)
