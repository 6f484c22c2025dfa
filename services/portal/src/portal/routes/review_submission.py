"""The control page's frozen submission, a page at a time: a report of 2,000 interventions is
not read, named and drawn whole on every visit.

- The table shows :data:`ROWS` interventions, filtered by check on reporting's side
  (``GET …/submissions/{version}?check=…``, which counts the matches over all pages).
- The findings by check show each check's count over the whole submission (the submission's
  ``by_check``) and its first :data:`SAMPLES` interventions, named, with a link to the table
  filtered on the check for the rest.
- The integrity's changed and removed interventions are named too (their current version, from
  interventions; at most :data:`NAMED_CHANGES`).

Three rounds of calls after the report: the page and every check's first interventions with the
rest of the page's calls, then the changed ones, then their persons in one lookup.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from portal.backend import BackendRefused, Backends
from portal.routes.interventions_common import Pager, PersonLabels, page_number, person_labels

ROWS = 100  # the table's rows per page
SAMPLES = 20  # each check's interventions named in the findings
NAMED_CHANGES = 20  # changed or removed interventions named in the integrity


@dataclass(frozen=True)
class Frozen:
    """What the page shows of the submission: the table's page, each check's findings (its
    first ones) and count, and everything named."""

    items: list[dict[str, Any]]
    matching: int  # the table's rows over all its pages
    total: int  # the submission's interventions
    counts: dict[str, int]  # findings per check, whole submission
    groups: list[tuple[str, list[dict[str, Any]]]]  # per check, its first findings
    by_id: dict[str, dict[str, Any]]  # every intervention the page names
    persons: PersonLabels
    pager: Pager | None

    @classmethod
    def empty(cls) -> Frozen:
        return cls([], 0, 0, {}, [], {}, PersonLabels(), None)


def table_page(params: Any) -> int:
    return page_number(str(params.get("page", "")))


def rejection_action(address: str, check: str, number: int) -> str:
    """The rejection form's address: the page and the filter go with it, so that a refusal
    shows the same rows again (with what was ticked and typed)."""
    query = urlencode(
        {k: v for k, v in (("controle", check), ("page", str(number) if number > 1 else "")) if v}
    )
    return f"{address}/refus" + (f"?{query}" if query else "")


async def submission_page(
    backends: Backends, token: str, path: str, version: int, check: str, number: int
) -> dict[str, Any] | None:
    """The table's page of the submission (None before any submission)."""
    if not version:
        return None
    query: dict[str, Any] = {"limit": ROWS, "offset": (number - 1) * ROWS}
    if check:
        query["check"] = check
    found: dict[str, Any] = await backends.get(
        "reporting", f"{path}/submissions/{version}", token=token, **query
    )
    return found


async def flagged(backends: Backends, token: str, path: str, version: int) -> dict[str, Any]:
    """Each check's first :data:`SAMPLES` flagged interventions (none before any submission)."""
    if not version:
        return {}
    found: dict[str, Any] = await backends.get(
        "reporting", f"{path}/submissions/{version}/flagged", token=token, limit=SAMPLES
    )
    return dict(found["by_check"])


async def frozen(
    backends: Backends,
    token: str,
    page: dict[str, Any] | None,
    samples: dict[str, Any],
    integrity: dict[str, Any] | None,
    at: tuple[str, str, int],
) -> Frozen:
    """``at``: the control page's address, the check filtered on and the page's number."""
    if page is None:
        return Frozen.empty()
    address, check, number = at
    counts = {str(c): int(n) for c, n in sorted(page["by_check"].items()) if int(n)}
    items: list[dict[str, Any]] = page["items"]
    by_id = {str(i["intervention_id"]): i for i in items}
    changed = [
        str(m["intervention_id"])
        for m in (*(integrity or {}).get("changed", []), *(integrity or {}).get("removed", []))
        if str(m["intervention_id"]) not in by_id
    ][:NAMED_CHANGES]
    current = await asyncio.gather(*(_current(backends, token, i) for i in changed))
    firsts = [samples.get(check, []) for check in counts]
    for item in [*(i for found in firsts for i in found), *(i for i in current if i)]:
        by_id.setdefault(str(item["intervention_id"]), item)
    groups = [(c, _findings_of(found, c)) for c, found in zip(counts, firsts, strict=True)]
    persons = await person_labels(backends, token, (i.get("person_id") for i in by_id.values()))
    pager = Pager(number, int(page["matching"]), {"controle": check}, address, size=ROWS)
    return Frozen(
        items, int(page["matching"]), int(page["interventions_count"]), counts, groups, by_id, persons, pager
    )


def _findings_of(items: list[dict[str, Any]], check: str) -> list[dict[str, Any]]:
    """The check's findings on these interventions, errors before warnings."""
    found = [f for i in items for f in i["flags"] if f["check"] == check]
    return sorted(found, key=lambda f: f["severity"] != "error")


async def _current(backends: Backends, token: str, intervention_id: str) -> dict[str, Any] | None:
    """A changed or removed intervention as it is now (gone from interventions: unnamed)."""
    try:
        found: dict[str, Any] = await backends.get(
            "interventions", f"/interventions/{intervention_id}", token=token
        )
    except BackendRefused:
        return None
    return found
