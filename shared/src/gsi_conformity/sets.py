"""The checks over a set of interventions: C4 (duplicates), C6 (once per person, once a year)
and C8 (volumes per person and per staff member per day).

They count the items of the call and the ``others`` (interventions that count but are not
reported); findings are made for the items only. Between equal entries, "earlier" means: earlier
service date, then an ``others`` entry before an item (it was declared first), then the lower
intervention id — so an item repeating an existing intervention is always the one reported.

C4 (same day elsewhere) and C6 look across organizations — a person's services are the person's
— but a finding never names another organization's intervention nor the organization: only that
"another organization" did it (and, for C6, on which day). C8's volumes are an organization's
own: its staff members' names are its own, and another organization's volume is not its business.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from gsi_conformity.model import Finding, Item
from gsi_conformity.run import Run

# At most once "in any 365 days": a second occurrence fewer than 365 days after the previous
# one fails; the same calendar date a year later (365 or 366 days) passes.
YEAR_DAYS = 365


@dataclass(slots=True)  # not frozen: one per intervention, a frozen __init__ is 3x slower
class Entry:
    item: Item
    other: bool  # from ``others``: counts, never reported

    def order(self) -> tuple[date, bool, str]:
        return (self.item.service_date, not self.other, self.item.intervention_id)


def pool(items: Sequence[Item], others: Iterable[Item]) -> list[Entry]:
    """The items, then the others not already among the items (an id counts once)."""
    ids = {item.intervention_id for item in items}
    entries = [Entry(item, False) for item in items]
    entries.extend(Entry(other, True) for other in others if other.intervention_id not in ids)
    return entries


def set_findings(items: Sequence[Item], entries: list[Entry], run: Run) -> list[Finding]:
    out: list[Finding] = []
    _duplicates(entries, run, out)
    _once(entries, run, out)
    _volumes(items, entries, run, out)
    return out


def _duplicates(entries: list[Entry], run: Run, out: list[Finding]) -> None:
    """C4: the same person, code and day — at the same organization (error) or elsewhere (warning)."""
    same_day: defaultdict[tuple[str, str, date], list[Entry]] = defaultdict(list)
    for entry in entries:
        item = entry.item
        same_day[(item.person_id, item.code, item.service_date)].append(entry)
    for group in same_day.values():
        if len(group) > 1 and not all(e.other for e in group):
            _exact(group, run, out)
            _elsewhere(group, run, out)


def _exact(group: list[Entry], run: Run, out: list[Finding]) -> None:
    by_organization: defaultdict[str, list[Entry]] = defaultdict(list)
    for entry in group:
        by_organization[entry.item.organization_id].append(entry)
    for same in by_organization.values():
        if len(same) < 2:
            continue
        ordered = sorted(same, key=lambda e: (not e.other, e.item.intervention_id))
        first = ordered[0].item.intervention_id
        for entry in ordered[1:]:
            if not entry.other:
                related = [e.item.intervention_id for e in ordered if e is not entry]
                details = {"duplicate_of": first, "related": related}
                run.emit(out, entry.item, "C4.duplicate", details)


def _elsewhere(group: list[Entry], run: Run, out: list[Finding]) -> None:
    """The warning says that another organization declared it, never which one nor its ids."""
    for entry in group:
        if entry.other:
            continue
        organization = entry.item.organization_id
        if any(e.item.organization_id != organization for e in group):
            run.emit(out, entry.item, "C4.same_day_elsewhere", {})


def _once(entries: list[Entry], run: Run, out: list[Finding]) -> None:
    """C6: codes given at most once per person, or once in any 365 days (the later ones fail)."""
    codes = _once_codes(run)
    by_person: defaultdict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.item.code in codes:
            by_person[(entry.item.person_id, entry.item.code)].append(entry)
    for group in by_person.values():
        if len(group) < 2 or all(e.other for e in group):
            continue
        ordered = sorted(group, key=Entry.order)
        for position in range(1, len(ordered)):
            if not ordered[position].other:
                _once_one(ordered[0], ordered[position - 1], ordered[position].item, run, out)


def _once_one(first: Entry, previous: Entry, item: Item, run: Run, out: list[Finding]) -> None:
    catalogue = run.catalogue(item.service_date)
    rule = None if catalogue is None else catalogue.codes.get(item.code)
    if rule is None:
        return
    if rule.once_per_person:
        details, fr, en = _earlier("first", first.item, item)
        run.emit(out, item, "C6.once_per_person", details, fr, en)
        return
    days = (item.service_date - previous.item.service_date).days
    if rule.once_per_year and days < YEAR_DAYS:
        details, fr, en = _earlier("previous", previous.item, item)
        run.emit(out, item, "C6.once_per_year", {**details, "days": days}, fr, en)


def _earlier(key: str, earlier: Item, item: Item) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The earlier intervention as a C6 finding names it (details, French and English values):
    its id when it is the same organization's; another organization's is not named, nor the
    organization — only that it was elsewhere, and on which day."""
    day = {f"{key}_day": earlier.service_date.isoformat()}
    if earlier.organization_id == item.organization_id:
        named = {"source": f"intervention {earlier.intervention_id}"}
        return {key: earlier.intervention_id, **day}, named, named
    details = {key: None, "elsewhere": True, **day}
    return details, {"source": "par un autre organisme"}, {"source": "by another organization"}


def _once_codes(run: Run) -> frozenset[str]:
    """Codes with a once-only constraint in any version of the program's catalogue."""
    return frozenset(
        code
        for catalogue in run.context.catalogues.versions(run.context.program)
        for code, rule in catalogue.codes.items()
        if rule.once_per_person or rule.once_per_year
    )


def _volumes(items: Sequence[Item], entries: list[Entry], run: Run, out: list[Finding]) -> None:
    """C8: more interventions for a person or by a staff member in a day, at one organization,
    than the catalogue's thresholds; every item of such a day is flagged. Another organization's
    interventions never count: a staff member's name is only unique within an organization."""
    per_person = Counter((e.item.organization_id, e.item.person_id, e.item.service_date) for e in entries)
    per_staff = Counter(
        (e.item.organization_id, e.item.staff_member, e.item.service_date)
        for e in entries
        if e.item.staff_member
    )
    for item in items:
        outliers = run.outliers(item.service_date)
        count = per_person[(item.organization_id, item.person_id, item.service_date)]
        if count > outliers.max_per_person_per_day:
            limit = outliers.max_per_person_per_day
            run.emit(out, item, "C8.person_day_volume", {"count": count, "limit": limit})
        if not item.staff_member:
            continue
        count = per_staff[(item.organization_id, item.staff_member, item.service_date)]
        if count > outliers.max_per_staff_per_day:
            details = {
                "count": count,
                "limit": outliers.max_per_staff_per_day,
                "staff_member": item.staff_member,
            }
            run.emit(out, item, "C8.staff_day_volume", details)
