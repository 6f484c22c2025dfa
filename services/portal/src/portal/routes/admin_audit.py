"""The audit trail across the services, for administrators (``/administration/audit``): who did
what, to which object, when and why, from every service's ``GET /audit`` asked together and merged
newest first. Filters: the service, the author, a period, a person's file. "Older entries" asks
again for what was recorded before the page's last entry (each service's order is its own, only
the time is common to all). A person's file is named by their name and file number, never by its
id; an organization by its name (its id beside it); other ids are left out."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gsi_kernel.clock import MONTREAL
from portal.routes.admin_privacy import find_by_reference, names_of, require_admin
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.organization_names import organization_names
from portal.settings import SERVICES

router = APIRouter()
BASE = "/administration/audit"
PAGE_SIZE = 30
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _instant(text: str) -> datetime | None:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=MONTREAL)


def merged(answers: dict[str, list[dict[str, Any]]], size: int) -> list[dict[str, Any]]:
    """The services' entries as one list, newest first, cut at ``size``."""
    entries = [{**e, "service": service} for service, items in answers.items() for e in items]
    entries.sort(key=lambda e: datetime.fromisoformat(e["recorded_at"]), reverse=True)
    return entries[:size]


def _shown(entry: dict[str, Any], persons: dict[str, dict[str, Any]]) -> dict[str, Any]:
    stream = entry["stream_id"]
    person_id = stream.removeprefix("person-") if stream.startswith("person-") else None
    details = {k: v for k, v in entry["details"].items() if not (isinstance(v, str) and _UUID.search(v))}
    return {
        **entry,
        "person": persons.get(person_id) if person_id else None,
        "erased_person": bool(person_id) and person_id not in persons,
        "object": _UUID.sub("…", stream),
        "details": details,
    }


@router.get(BASE)
async def audit(request: Request, who: SignedInDep, backends: BackendsDep, pages: PagesDep) -> Response:
    require_admin(who.user)
    query = request.query_params
    filters = {
        name: str(query.get(name, "")).strip()[:200] for name in ("service", "auteur", "du", "au", "dossier")
    }
    since, until = _day(filters["du"]), _day(filters["au"])
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    if filters["auteur"]:
        params["actor"] = filters["auteur"]
    if since:
        params["from"] = datetime.combine(since, time(), MONTREAL).isoformat()
    ends = [datetime.combine(until + timedelta(days=1), time(), MONTREAL)] if until else []
    before = _instant(str(query.get("avant", "")))
    if before:
        ends.append(before)
    if ends:
        params["to"] = min(ends).isoformat()
    person = await find_by_reference(backends, who.token, filters["dossier"]) if filters["dossier"] else None
    unknown = bool(filters["dossier"]) and person is None
    if person is not None:
        params["object_id"] = person["person_id"]
    asked = [filters["service"]] if filters["service"] in SERVICES else list(SERVICES)
    answers: dict[str, list[dict[str, Any]]] = {}
    if not unknown and not (since and until and since > until):
        pages_found = await asyncio.gather(
            *(backends.get(service, "/audit", token=who.token, **params) for service in asked)
        )
        answers = {service: found["items"] for service, found in zip(asked, pages_found, strict=True)}
    entries = merged(answers, PAGE_SIZE)
    streams = {
        e["stream_id"].removeprefix("person-") for e in entries if e["stream_id"].startswith("person-")
    }
    persons, names = await asyncio.gather(
        names_of(backends, who.token, streams),
        organization_names(backends, who.token, (e.get("organization") for e in entries)),
    )
    more = sum(len(items) for items in answers.values()) > len(entries)
    older = {k: v for k, v in filters.items() if v}
    if more:
        older["avant"] = entries[-1]["recorded_at"]
    context = {
        "entries": [_shown(e, persons) for e in entries],
        "filters": filters,
        "services": SERVICES,
        "unknown": unknown,
        "older": older if more else None,
        "names": names,
    }
    return pages.render(request, "admin_privacy/audit.html", context)
