"""Organizations' names for the ministry's lists (audit, access log, deliveries, locked quarters,
a person's file, duplicates): a person reads a name where a service keeps an identifier, the
identifier staying beside it as secondary text.

Only the organizations a page shows are asked of reporting's registry, together: a list never
depends on the registry fitting one page. One the registry does not know (removed, or an id from
another programme) keeps its identifier as its name."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from urllib.parse import quote

from portal.backend import BackendRefused, Backends

MOST_ASKED = 100  # a page's distinct organizations: a page of 50 rows names at most 50


async def organization_names(backends: Backends, token: str, ids: Iterable[object]) -> dict[str, str]:
    """``{organization id: name}`` of the distinct, non-empty ``ids``."""
    wanted = sorted({str(i) for i in ids if i})[:MOST_ASKED]
    names = await asyncio.gather(*(_name(backends, token, i) for i in wanted))
    return dict(zip(wanted, names, strict=True))


async def _name(backends: Backends, token: str, organization_id: str) -> str:
    try:
        found = await backends.get(
            "reporting", f"/organizations/{quote(organization_id, safe='')}", token=token
        )
    except BackendRefused:  # unknown to the registry (or not the person's to read): the id
        return organization_id
    return str(found.get("name") or organization_id)
