"""Reading interventions: one with its flags and full history, and filtered lists — always
within what the reader may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Select, exists, func, select

from gsi_kernel.auth import Principal, may_read_organization
from gsi_kernel.errors import NotFound
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.queries import fetch_page, scoped_to_principal
from interventions.declarations.app import stream_id
from interventions.tables import intervention_flags, interventions


@dataclass(frozen=True, slots=True)
class InterventionFilters:
    person_id: str | None = None
    quarter: str | None = None
    code: str | None = None
    check: str | None = None  # a conformity check (C1…C8) flagged on the intervention
    severity: str | None = None  # error | warning: only interventions with such a flag
    staff_member: str | None = None
    status: str | None = None
    session_id: str | None = None
    import_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


class InterventionQueries:
    def __init__(self, *, db: Database, store: EventStore) -> None:
        self._db = db
        self._store = store

    def get(self, intervention_id: str, principal: Principal) -> dict[str, Any]:
        """The intervention with its current flags, if the principal may see it."""
        with self._db.transaction() as connection:
            row = connection.execute(
                select(interventions).where(interventions.c.intervention_id == intervention_id)
            ).first()
            if row is None or not may_read_organization(principal, row.organization_id):
                raise NotFound(
                    "intervention.not_found", "Intervention introuvable.", "Intervention not found."
                )
            flags = connection.execute(
                select(intervention_flags)
                .where(intervention_flags.c.intervention_id == intervention_id)
                .order_by(intervention_flags.c.seq)
            ).all()
        return {**row._mapping, "flags": [dict(f._mapping) for f in flags]}

    def history(self, intervention_id: str, principal: Principal) -> list[dict[str, Any]]:
        """Every version of the intervention: what changed, who, when and why."""
        self.get(intervention_id, principal)
        with self._db.transaction() as connection:
            events = self._store.load(connection, stream_id(intervention_id))
        return [
            {
                "version": e.stream_version,
                "type": e.type,
                "occurred_at": e.occurred_at,
                "actor": e.actor,
                "reason": e.payload.get("reason"),
                "details": e.payload.get("details"),
                "flags": e.payload.get("flags", []),
            }
            for e in events
        ]

    def list(
        self,
        principal: Principal,
        filters: InterventionFilters,
        *,
        offset: int,
        limit: int,
        sort: str = "-service_date",
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of the interventions, each with its current flags (one more query for the
        page's, not one per row); ``sort``: a column of :data:`SORTABLE`, ``-`` first for
        descending (then newest service date first, for a stable order)."""
        query = scoped_to_principal(select(interventions), interventions.c.organization_id, principal)
        query = _filtered(query, filters)
        column = SORTABLE[sort.removeprefix("-")]
        first = column.desc() if sort.startswith("-") else column.asc()
        order = (first, interventions.c.service_date.desc(), interventions.c.intervention_id)
        rows, total = fetch_page(self._db, query, *order, offset=offset, limit=limit)
        flags = _flags_of(self._db, [r["intervention_id"] for r in rows])
        return [{**r, "flags": flags.get(r["intervention_id"], [])} for r in rows], total

    def summary(self, principal: Principal, quarter: str) -> dict[str, Any]:
        """The quarter's active interventions the principal may see: how many, and how many
        carry at least one error or one warning (the home page's card), in one query: the
        ``errors`` and ``warnings`` columns count each intervention's current flags."""
        c = interventions.c
        counts = select(
            func.count(),
            func.count().filter(c.errors > 0),
            func.count().filter(c.warnings > 0),
        ).where(c.quarter == quarter, c.status == "active")
        query = scoped_to_principal(cast("Select[Any]", counts), c.organization_id, principal)
        with self._db.transaction() as connection:
            row = connection.execute(query).one()
        active, with_errors, with_warnings = (int(n) for n in row)
        return {
            "quarter": quarter,
            "active": active,
            "with_errors": with_errors,
            "with_warnings": with_warnings,
        }


def _flags_of(db: Database, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The current flags of these interventions, by intervention, in one query."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not ids:
        return found
    with db.transaction() as connection:
        rows = connection.execute(
            select(intervention_flags)
            .where(intervention_flags.c.intervention_id.in_(ids))
            .order_by(intervention_flags.c.intervention_id, intervention_flags.c.seq)
        ).all()
    for row in rows:
        found.setdefault(row.intervention_id, []).append(dict(row._mapping))
    return found


_C = interventions.c
# What a list may be sorted by (the API's ``sort``).
SORTABLE = {
    "service_date": _C.service_date,
    "code": _C.code,
    "volet": _C.volet,
    "staff_member": _C.staff_member,
    "status": _C.status,
    "errors": _C.errors,
    "warnings": _C.warnings,
    "declared_at": _C.declared_at,
}


def _filtered(query: Select[Any], f: InterventionFilters) -> Select[Any]:
    c = interventions.c
    equal = {
        c.person_id: f.person_id,
        c.quarter: f.quarter,
        c.code: f.code,
        c.staff_member: f.staff_member,
        c.status: f.status,
        c.session_id: f.session_id,
        c.import_id: f.import_id,
    }
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if f.date_from is not None:
        query = query.where(c.service_date >= f.date_from)
    if f.date_to is not None:
        query = query.where(c.service_date <= f.date_to)
    if f.check is not None or f.severity is not None:
        flagged = select(intervention_flags.c.intervention_id).where(
            intervention_flags.c.intervention_id == c.intervention_id
        )
        if f.check is not None:
            flagged = flagged.where(intervention_flags.c.check == f.check)
        if f.severity is not None:
            flagged = flagged.where(intervention_flags.c.severity == f.severity)
        query = query.where(exists(flagged))
    return query
