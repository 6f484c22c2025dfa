"""Keeping the counting tables as interventions, plans and persons change, one event at a time
(what they count: :mod:`reporting.counting.domain`).

Each change of a person's counts runs under that person's lock: the interventions consumer
(interventions and plans) and the persons consumer (regions and arrival days) may run in other
processes at the same time, and each reads what the other writes ("has this person a plan?",
"in which region do they live?"). On PostgreSQL the lock is an advisory transaction lock, taken
in a stable order; SQLite has a single writer anyway. Counters move by atomic increments, summed
over the transaction and written as it ends, a multi-row statement's rows in key order, so
concurrent transactions lock them briefly and in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    Row,
    SmallInteger,
    String,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    select,
    tuple_,
    update,
)

from gsi_kernel.store import at_commit
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.ports import Backend
from reporting.counting.domain import (
    PROGRAM,
    YEAR,
    Change,
    CountKey,
    Measure,
    PresenceKey,
    fiscal_year_of,
    quarter_number_of,
)
from reporting.performance_tables import perf_counts, perf_first_services, perf_presence
from reporting.tables import (
    known_action_plans,
    known_person_statuses,
    known_persons,
    quarter_interventions,
)

_PRESENCE_KEY = ("person_id", "fiscal_year", "quarter_number", "organization_id")
_COUNT_KEY = ("fiscal_year", "quarter_number", "organization_id", "measure", "code")


def lock_persons(connection: Connection, person_ids: Iterable[str]) -> None:
    backend = backend_of(connection)
    for person_id in sorted(set(person_ids)):
        backend.lock_key(connection, f"reporting.person.{person_id}")


# ---- interventions ---------------------------------------------------------------------------


def apply_change(connection: Connection, change: Change) -> None:
    """Presences and counters moved by one intervention's change; the first services of the
    persons concerned recomputed (``quarter_interventions`` already holds the new state)."""
    lock_persons(connection, change.persons)
    counts = dict(change.interventions)
    if change.presence:
        rows = _add_presence(connection, change.presence)
        for row in rows:
            after = int(row.interventions)
            before = after - change.presence[_presence_key(row)]
            if before <= 0 < after:
                _count_presence(counts, row, 1)
            elif after <= 0 < before:
                _count_presence(counts, row, -1)
        gone = [_presence_key(r) for r in rows if r.interventions <= 0]
        if gone:
            key = tuple_(*(perf_presence.c[name] for name in _PRESENCE_KEY))
            connection.execute(delete(perf_presence).where(key.in_(gone)))
    add_counts(connection, counts)
    for person_id in sorted(change.persons):
        refresh_first_service(connection, person_id)
        if person_id in change.losing:
            forget_first_service(connection, person_id)


def _add_presence(connection: Connection, presence: Mapping[PresenceKey, int]) -> Sequence[Row[Any]]:
    """Add to each presence (creating it), returning the rows after: a program-wide year row
    created now learns the person's region and whether a plan was opened by the year's end."""
    rows = [
        {"person_id": person_id, "fiscal_year": fy, "quarter_number": q, "organization_id": org,
         "interventions": delta, "year_row": q == YEAR and org == PROGRAM}
        for (person_id, fy, q, org), delta in sorted(presence.items())
    ]  # fmt: skip
    return connection.execute(_presence_upsert(backend_of(connection)), rows).all()


@cache
def _presence_upsert(backend: Backend) -> Any:
    """One statement for all (compiled once): the rows of a call go as one multi-row INSERT."""
    t, p, k = perf_presence.c, known_action_plans.c, known_persons.c
    person, fy = bindparam("person_id", type_=String()), bindparam("fiscal_year", type_=String())
    year_row = bindparam("year_row", type_=Boolean())
    planned = exists().where(p.counted_person_id == person, p.fiscal_year <= fy)
    region = func.coalesce(select(k.region).where(k.person_id == person).scalar_subquery(), "")
    statement = backend.insert(perf_presence).values(
        person_id=person,
        fiscal_year=fy,
        quarter_number=bindparam("quarter_number", type_=SmallInteger()),
        organization_id=bindparam("organization_id", type_=String()),
        interventions=bindparam("interventions", type_=Integer()),
        has_plan=case((year_row, planned), else_=false()),
        region=case((year_row, region), else_=""),
    )
    return statement.on_conflict_do_update(
        index_elements=list(_PRESENCE_KEY),
        set_={"interventions": t.interventions + statement.excluded.interventions},
    ).returning(*(t[name] for name in _PRESENCE_KEY), t.interventions, t.has_plan, t.region)


def _region(person_id: str) -> Any:
    region = select(known_persons.c.region).where(known_persons.c.person_id == person_id)
    return func.coalesce(region.scalar_subquery(), "")


def _presence_key(row: Row[Any]) -> PresenceKey:
    return (row.person_id, row.fiscal_year, int(row.quarter_number), row.organization_id)


def _count_presence(counts: dict[CountKey, int], row: Row[Any], sign: int) -> None:
    fy, q, org = row.fiscal_year, int(row.quarter_number), row.organization_id
    _bump(counts, (fy, q, org, Measure.PERSONS.value, ""), sign)
    if q == YEAR and org == PROGRAM:
        if row.has_plan:
            _bump(counts, (fy, YEAR, PROGRAM, Measure.PERSONS_WITH_PLAN.value, ""), sign)
        _bump(counts, (fy, YEAR, PROGRAM, Measure.PERSONS_BY_REGION.value, row.region), sign)


def _bump(counts: dict[CountKey, int], key: CountKey, delta: int) -> None:
    counts[key] = counts.get(key, 0) + delta


def add_counts(connection: Connection, counts: Mapping[CountKey, int]) -> None:
    """Add to counters (creating them) as the transaction ends: a consumer's transaction applies
    a poll's records together, and every intervention bumps the same program-wide counters —
    written at once, in key order, they stay locked for one statement and the commit instead of
    the whole batch, and concurrent transactions lock them in the same order
    (:mod:`gsi_kernel.store.at_commit`). Nothing reads the counters while the projection runs."""
    pending = at_commit.kept(connection, "reporting.counts", dict[CountKey, int], _write_counts)
    for key, delta in counts.items():
        pending[key] = pending.get(key, 0) + delta


def _write_counts(connection: Connection, counts: Mapping[CountKey, int]) -> None:
    """Add to counters (creating them); a counter back to 0 is deleted."""
    rows = [
        dict(zip(_COUNT_KEY, key, strict=True), value=delta) for key, delta in sorted(counts.items()) if delta
    ]
    if not rows:
        return
    result = connection.execute(_counts_upsert(backend_of(connection)), rows)
    zero = [tuple(row[:-1]) for row in result if row.value == 0]
    if zero:
        c = perf_counts.c
        key = tuple_(*(c[name] for name in _COUNT_KEY))
        connection.execute(delete(perf_counts).where(key.in_(zero)))


@cache
def _counts_upsert(backend: Backend) -> Any:
    c = perf_counts.c
    statement = backend.insert(perf_counts)
    return statement.on_conflict_do_update(
        index_elements=list(_COUNT_KEY), set_={"value": c.value + statement.excluded.value}
    ).returning(*(c[name] for name in _COUNT_KEY), c.value)


def refresh_first_service(connection: Connection, person_id: str) -> None:
    """The person's first active service of all (none: no row), and their arrival day: one
    statement while they have an active intervention, a second when they may have none left."""
    i = quarter_interventions.c
    # the fiscal year grows with the date: the first day's year is the smallest year
    first = (
        select(i.counted_person_id, func.min(i.service_date), func.min(i.fiscal_year), _arrival(person_id))
        .where(i.counted_person_id == person_id, i.status == "active")
        .group_by(i.counted_person_id)
    )
    statement = (
        backend_of(connection)
        .insert(perf_first_services)
        .from_select(["person_id", "first_on", "fiscal_year", "arrived_on"], first)
    )
    excluded = statement.excluded
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["person_id"],
            set_={
                "first_on": excluded.first_on,
                "fiscal_year": excluded.fiscal_year,
                "arrived_on": excluded.arrived_on,
            },
        )
    )


def forget_first_service(connection: Connection, person_id: str) -> None:
    """No row for a person left without any active intervention."""
    i, f = quarter_interventions.c, perf_first_services.c
    active = exists().where(i.counted_person_id == person_id, i.status == "active")
    connection.execute(delete(perf_first_services).where(f.person_id == person_id, ~active))


def _arrival(person_id: str) -> Any:
    s = known_person_statuses.c
    return select(func.min(s.admission_date)).where(s.person_id == person_id).scalar_subquery()


# ---- plans and persons -----------------------------------------------------------------------


def plan_opened(connection: Connection, person_id: str, organization_id: str, opened_on: date) -> None:
    """A new plan: counted in its cell, and its person now "with a plan" in the program-wide
    years from the plan's on (a plan counts for every year ending after it opened)."""
    lock_persons(connection, [person_id])
    fy, quarter = fiscal_year_of(opened_on), quarter_number_of(opened_on)
    counts = _with_a_plan_from(connection, person_id, fy)
    counts[(fy, quarter, organization_id, Measure.ACTION_PLANS.value, "")] = 1
    add_counts(connection, counts)


def _with_a_plan_from(connection: Connection, person_id: str, fiscal_year: str) -> dict[CountKey, int]:
    """Mark the person's program-wide years from ``fiscal_year`` on as "with a plan"; return the
    counters that moves (one person more with a plan in each year newly marked)."""
    t = perf_presence.c
    flagged = connection.execute(
        update(perf_presence)
        .where(*_year_rows(person_id), t.fiscal_year >= fiscal_year, t.has_plan.is_(False))
        .values(has_plan=True)
        .returning(t.fiscal_year)
    ).scalars()
    return {(year, YEAR, PROGRAM, Measure.PERSONS_WITH_PLAN.value, ""): 1 for year in flagged}


def person_changed(connection: Connection, person_id: str) -> None:
    """Registration told something of the person: their program-wide year rows follow their
    region, their first service their arrival day. Runs after the persons tables changed."""
    lock_persons(connection, [person_id])
    t = perf_presence.c
    rows = connection.execute(
        select(t.fiscal_year, t.region, _region(person_id)).where(*_year_rows(person_id))
    )
    moved = [(fy, old, region) for fy, old, region in rows if old != region]
    if moved:
        counts: dict[CountKey, int] = {}
        for fy, old, region in moved:
            _bump(counts, (fy, YEAR, PROGRAM, Measure.PERSONS_BY_REGION.value, old), -1)
            _bump(counts, (fy, YEAR, PROGRAM, Measure.PERSONS_BY_REGION.value, region), 1)
        connection.execute(
            update(perf_presence).where(*_year_rows(person_id)).values(region=_region(person_id))
        )
        add_counts(connection, counts)
    f = perf_first_services.c
    connection.execute(
        update(perf_first_services).where(f.person_id == person_id).values(arrived_on=_arrival(person_id))
    )


def persons_merged(connection: Connection, merged: str, survivor: str) -> None:
    """Registration found two files to be one person: what counted under ``merged`` counts
    under ``survivor`` from now on — their interventions and plans, their presences (a cell where
    both were present now counts one person, in the survivor's region), their first service.
    Runs after the persons tables recorded the merge. The merged file is locked first, as an
    event about it is (:mod:`reporting.knowledge.interventions`), then the survivor."""
    lock_persons(connection, [merged])
    lock_persons(connection, [survivor])
    i, p, t = quarter_interventions.c, known_action_plans.c, perf_presence.c
    moved = update(quarter_interventions).where(i.counted_person_id == merged)
    connection.execute(moved.values(counted_person_id=survivor))
    moved_plans = (
        update(known_action_plans).where(p.counted_person_id == merged).values(counted_person_id=survivor)
    )
    first_plan_year = min(connection.execute(moved_plans.returning(p.fiscal_year)).scalars(), default=None)
    if first_plan_year is not None:  # the merged file's plans are the survivor's now
        add_counts(connection, _with_a_plan_from(connection, survivor, first_plan_year))
    presence: dict[PresenceKey, int] = {}
    cells = select(t.fiscal_year, t.quarter_number, t.organization_id, t.interventions)
    for fy, q, org, n in connection.execute(cells.where(t.person_id == merged)):
        presence[(merged, fy, int(q), org)] = -int(n)
        presence[(survivor, fy, int(q), org)] = int(n)
    apply_change(connection, Change(presence, {}, frozenset({merged, survivor}), frozenset({merged})))


def _year_rows(person_id: str) -> tuple[Any, ...]:
    t = perf_presence.c
    return (t.person_id == person_id, t.quarter_number == YEAR, t.organization_id == PROGRAM)
