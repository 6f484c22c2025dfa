"""Finding a person (``/personnes``): one box for a name (any word's beginning, accents, case
and punctuation ignored, as registration compares names), a UCI or a file number, with filters
(status, region, eligible for a volet); results by name, a page at a time.

A plain GET form: without JavaScript, "Search" reloads the page. With htmx, typing asks again
after a pause and only the results are redrawn; the count is said in a live region.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from portal.backend import BackendRefused, Backends
from portal.routes import persons_changes, persons_file, persons_register
from portal.routes.deps import BackendsDep, PagesDep, SignedInDep
from portal.routes.persons_choices import STATUSES, VOLETS, options, regions
from portal.web import request_language

router = APIRouter()
PAGE_SIZE = 20
_FILE_REFERENCE = re.compile(r"^\s*[dD]\s*-?\s*0*(\d{1,12})\s*$")
_DIGITS = re.compile(r"^[\d\s-]+$")
_MAX_QUERY = 100
_MAX_PAGE = 10_000


@dataclass(frozen=True)
class Search:
    q: str
    status: str
    region: str
    eligible_for: str
    page: int

    @classmethod
    def of(cls, q: str, status: str, region: str, eligible_for: str, page: str) -> Search:
        """What was asked, keeping only the filters that exist (an address typed by hand)."""
        number = int(page) if page.isdigit() else 1
        return cls(
            q=" ".join(q.split())[:_MAX_QUERY],
            status=status if status in STATUSES else "",
            region=region if region in regions().names else "",
            eligible_for=eligible_for if eligible_for in VOLETS else "",
            page=min(max(number, 1), _MAX_PAGE),
        )

    def filters(self) -> dict[str, str]:
        wanted = {"status": self.status, "region": self.region, "eligible_for": self.eligible_for}
        return {k: v for k, v in wanted.items() if v}

    def queries(self) -> list[dict[str, str]]:
        """Registration's searches for the box: a file number ("D-000123"); digits alone, a
        UCI or a file number (both asked); anything else, a name."""
        if not self.q:
            return [{}]
        if _FILE_REFERENCE.match(self.q):
            return [{"file_number": self.q}]
        if _DIGITS.match(self.q):
            digits = re.sub(r"\D", "", self.q)
            asked = [{"uci": self.q}] if 4 <= len(self.q) <= 20 else []
            return asked + ([{"file_number": digits}] if 0 < len(digits) <= 12 else [])
        return [{"name": self.q}]

    def link(self, page: int) -> str:
        query = {"q": self.q, **self.filters(), "page": str(page)}
        return "/personnes?" + urlencode({k: v for k, v in query.items() if v and (k != "page" or page > 1)})


@dataclass(frozen=True)
class Results:
    persons: list[dict[str, Any]]
    total: int
    refused: str | None = None


async def find(backends: Backends, token: str, search: Search, language: str) -> Results:
    offset = (search.page - 1) * PAGE_SIZE
    asked = [
        backends.get(
            "registration",
            "/persons",
            token=token,
            **query,
            **search.filters(),
            offset=offset,
            limit=PAGE_SIZE,
        )
        for query in search.queries()
    ]
    try:
        pages = await asyncio.gather(*asked)
    except BackendRefused as refused:
        if refused.status != 422:
            raise
        return Results([], 0, refused.message(language))
    if len(pages) == 1:
        return Results(list(pages[0]["items"]), int(pages[0]["total"]))
    seen: dict[str, dict[str, Any]] = {}
    for page in pages:  # a UCI and a file number that are the same digits: each person once
        for person in page["items"]:
            seen.setdefault(person["person_id"], person)
    return Results(list(seen.values()), len(seen))


@router.get("/personnes")
async def search_persons(
    request: Request,
    who: SignedInDep,
    backends: BackendsDep,
    pages: PagesDep,
    q: str = "",
    status: str = "",
    region: str = "",
    eligible_for: str = "",
    page: str = "1",
) -> Response:
    language = request_language(request)
    search = Search.of(q, status, region, eligible_for, page)
    results = await find(backends, who.token, search, language)
    last = max(1, -(-results.total // PAGE_SIZE))
    context = {
        "search": search,
        "results": results,
        "last_page": last,
        "statuses": options("statuses", language),
        "regions": options("regions", language),
        "volets": options("volets", language),
        "region_names": regions(),
        "status_names": dict(options("statuses", language)),
        "may_register": who.user.works_for_an_organization,
    }
    # htmx asks for the results only (typing in the box); a full page otherwise, and when it
    # restores a page from its history.
    only_results = request.headers.get("HX-Target") == "results" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    return pages.render(request, "persons/results.html" if only_results else "persons/search.html", context)


# The pages of one person come after the search; "nouvelle" before the file's "{person_id}".
router.include_router(persons_register.router)
router.include_router(persons_changes.router)
router.include_router(persons_file.router)
