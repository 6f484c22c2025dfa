"""The audit view every service has (``GET /audit``, administrators only): who did what to which
object, when, and why — read from the service's own event store, where every event carries its
actor, its time and, for the decisions that need one, a reason.

What of an event's payload the view shows is the service's choice (:data:`AuditDetails`): the
whole payload by default; a service that holds personal data shows only the fields it lists as
not personal (its sealed personal data is never opened here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, or_, select

from gsi_kernel.clock import MONTREAL
from gsi_kernel.errors import InvalidInput
from gsi_kernel.fields import Line
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import run_short
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_page
from gsi_kernel.store.tables import events

AuditDetails = Callable[[str, dict[str, Any]], dict[str, Any]]
"""(event type, payload) → the payload fields the audit view shows."""


def whole_payload(_event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    return payload


def only_fields(fields: Iterable[str]) -> AuditDetails:
    """Show only these payload fields (of any event type), e.g. ids, kinds, dates and reasons."""
    shown = frozenset(fields)

    def details(_event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in payload.items() if k in shown}

    return details


class AuditEntry(BaseModel):
    event_id: str
    event_type: str = Field(examples=["ReportUnlocked"])
    stream_id: str = Field(examples=["report-org-sherbrooke-2026-2027-Q2"])
    stream_version: int
    actor: str = Field(examples=["adele"])
    organization: str | None
    occurred_at: datetime
    recorded_at: datetime
    correlation_id: str
    reason: str | None = Field(default=None, examples=["Correction d'audit"])
    details: dict[str, Any] = {}


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    stream_id: str | None = None
    object_id: str | None = None
    event_types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.actor:
            found.append(events.c.actor == self.actor)
        if self.stream_id:
            found.append(events.c.stream_id == self.stream_id)
        if self.object_id:  # the object's stream: "<kind>-<id>" (e.g. person-<uuid>)
            found.append(
                or_(
                    events.c.stream_id == self.object_id,
                    events.c.stream_id.endswith(f"-{self.object_id}", autoescape=True),
                )
            )
        if self.event_types:
            found.append(events.c.type.in_(self.event_types))
        if self.since:
            found.append(events.c.recorded_at >= self.since)
        if self.until:
            found.append(events.c.recorded_at < self.until)
        return found


def read_audit(
    db: Database, where: AuditFilter, details: AuditDetails, *, offset: int, limit: int
) -> tuple[list[AuditEntry], int]:
    """One page of the store's events matching ``where``, newest first."""
    query: Select[Any] = select(events).where(*where.conditions())
    rows, total = fetch_page(db, query, events.c.position.desc(), offset=offset, limit=limit)
    return [_entry(r, details) for r in rows], total


def _entry(row: dict[str, Any], details: AuditDetails) -> AuditEntry:
    payload: dict[str, Any] = row["payload"] or {}
    reason = payload.get("reason")
    shown = details(row["type"], payload)
    return AuditEntry(
        event_id=row["event_id"],
        event_type=row["type"],
        stream_id=row["stream_id"],
        stream_version=row["version"],
        actor=row["actor"],
        organization=row["organization"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        correlation_id=row["correlation_id"],
        reason=reason if isinstance(reason, str) else None,
        details={k: v for k, v in shown.items() if k != "reason"},
    )


def _instant(value: datetime | None) -> datetime | None:
    """A time given without an offset is Montréal time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=MONTREAL)


def audit_router(db: Database, details: AuditDetails) -> APIRouter:
    router = authenticated_router(tags=["audit"])

    @router.get("/audit", response_model=Page[AuditEntry])
    async def audit(
        _admin: Admin,
        page: Pagination,
        actor: Annotated[Line | None, Query(max_length=200, description="Auteur / Actor")] = None,
        stream_id: Annotated[Line | None, Query(max_length=200, description="Flux / Stream")] = None,
        object_id: Annotated[
            Line | None, Query(max_length=200, description="Id de l'objet / Object id")
        ] = None,
        event_type: Annotated[list[Line] | None, Query(description="Type d'événement / Event type")] = None,
        since: Annotated[datetime | None, Query(alias="from", description="Depuis / From")] = None,
        until: Annotated[datetime | None, Query(alias="to", description="Jusqu'à (exclu) / To")] = None,
    ) -> Page[AuditEntry]:
        """Qui a fait quoi, sur quel objet, quand et pourquoi / Who did what to which object, when
        and why (newest first)."""
        where = AuditFilter(
            actor=actor,
            stream_id=stream_id,
            object_id=object_id,
            event_types=tuple(event_type or ()),
            since=_instant(since),
            until=_instant(until),
        )
        if where.since and where.until and where.since >= where.until:
            raise InvalidInput(
                "audit.invalid_period",
                "La période est vide : « from » doit précéder « to ».",
                "The period is empty: 'from' must come before 'to'.",
                details={"from": where.since.isoformat(), "to": where.until.isoformat()},
            )
        entries, total = await run_short(
            lambda: read_audit(db, where, details, offset=page.offset, limit=page.limit)
        )
        return Page(items=entries, total=total, offset=page.offset, limit=page.limit)

    return router
