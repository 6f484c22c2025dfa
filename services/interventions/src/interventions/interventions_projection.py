"""Read models of this service's own store: interventions with their flags, group sessions,
lock exceptions and catalogue versions. Declarations are inserted in bulk (imports append tens
of thousands at once); corrections and cancellations update their row in event order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, update

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.backend import backend_of
from interventions.catalogue.domain import CataloguePublished
from interventions.declarations.domain import (
    Details,
    Flag,
    InterventionCancelled,
    InterventionCorrected,
    InterventionDeclared,
)
from interventions.event_registry import EVENTS
from interventions.lock_exceptions.domain import (
    LockExceptionGranted,
    LockExceptionRefused,
    LockExceptionRequested,
)
from interventions.sessions.domain import GroupSessionHeld
from interventions.tables import (
    catalogue_versions,
    group_sessions,
    intervention_flags,
    interventions,
    lock_exceptions,
)

_TABLES = (interventions, intervention_flags, group_sessions, lock_exceptions, catalogue_versions)


class InterventionsProjection:
    name = "interventions.interventions"

    def apply_batch(self, connection: Connection, batch: Sequence[EventEnvelope]) -> None:
        rows: list[dict[str, Any]] = []
        flags: list[dict[str, Any]] = []
        for envelope in batch:
            if not EVENTS.knows(envelope.type):
                continue
            event = EVENTS.decode(envelope.type, envelope.schema_version, envelope.payload)
            if isinstance(event, InterventionDeclared):
                rows.append(_declared_row(event, envelope))
                flags.extend(_flag_rows(event.intervention_id, event.organization_id, event.flags))
                continue
            # A later change may concern a row of this very batch: write what is pending first.
            _flush(connection, rows, flags)
            rows, flags = [], []
            self._apply_change(connection, event, envelope)
        _flush(connection, rows, flags)

    def _apply_change(self, connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
        if isinstance(event, InterventionCorrected):
            _correct(connection, event, envelope)
        elif isinstance(event, InterventionCancelled):
            _touch(connection, event.intervention_id, envelope, status="cancelled")
        elif isinstance(event, GroupSessionHeld):
            connection.execute(insert(group_sessions).values(**_session_row(event, envelope)))
        elif isinstance(event, LockExceptionRequested | LockExceptionGranted | LockExceptionRefused):
            _lock_exception(connection, event, envelope)
        elif isinstance(event, CataloguePublished):
            connection.execute(
                insert(catalogue_versions).values(
                    program=event.program,
                    version=event.version,
                    effective_from=event.effective_from,
                    document=event.document,
                )
            )

    def reset(self, connection: Connection) -> None:
        for table in _TABLES:
            connection.execute(delete(table))


def _flush(connection: Connection, rows: list[dict[str, Any]], flags: list[dict[str, Any]]) -> None:
    _insert_many(connection, interventions, rows)
    _insert_many(connection, intervention_flags, flags)


def _insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows at once: an import projects tens of thousands of declarations in one
    batch (COPY on PostgreSQL), a declaration its few in the command's transaction (ADR 16)."""
    if rows:
        backend_of(connection).copy_rows(connection, table, rows)


def _detail_columns(details: Details) -> dict[str, Any]:
    return {
        **details.model_dump(),
        "mode": details.mode.value,
        "volet": details.volet.value,
        "quarter": str(FiscalQuarter.of(details.service_date)),
    }


def _counts(flags: Sequence[Flag]) -> dict[str, int]:
    errors = sum(1 for f in flags if f.severity == "error")
    return {"errors": errors, "warnings": len(flags) - errors}


def _declared_row(event: InterventionDeclared, envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "intervention_id": event.intervention_id,
        "organization_id": event.organization_id,
        "person_id": event.person_id,
        **_detail_columns(event.details),
        "session_id": event.session_id,
        "import_id": event.import_id,
        "status": "active",
        "version": envelope.stream_version,
        **_counts(event.flags),
        "declared_at": envelope.occurred_at,
        "declared_by": envelope.actor,
        "updated_at": envelope.occurred_at,
        "updated_by": envelope.actor,
    }


def _flag_rows(intervention_id: str, organization_id: str, flags: Sequence[Flag]) -> list[dict[str, Any]]:
    return [
        {
            "intervention_id": intervention_id,
            "seq": seq,
            "organization_id": organization_id,
            **flag.model_dump(),
        }
        for seq, flag in enumerate(flags, start=1)
    ]


def _correct(connection: Connection, event: InterventionCorrected, envelope: EventEnvelope) -> None:
    row = connection.execute(
        update(interventions)
        .where(interventions.c.intervention_id == event.intervention_id)
        .values(
            **_detail_columns(event.details),
            **_counts(event.flags),
            version=envelope.stream_version,
            updated_at=envelope.occurred_at,
            updated_by=envelope.actor,
        )
        .returning(interventions.c.organization_id)
    ).one()
    connection.execute(
        delete(intervention_flags).where(intervention_flags.c.intervention_id == event.intervention_id)
    )
    _flush(connection, [], _flag_rows(event.intervention_id, row.organization_id, event.flags))


def _touch(connection: Connection, intervention_id: str, envelope: EventEnvelope, **values: Any) -> None:
    connection.execute(
        update(interventions)
        .where(interventions.c.intervention_id == intervention_id)
        .values(
            version=envelope.stream_version,
            updated_at=envelope.occurred_at,
            updated_by=envelope.actor,
            **values,
        )
    )


def _session_row(event: GroupSessionHeld, envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "session_id": event.session_id,
        "organization_id": event.organization_id,
        "code": event.code,
        "service_date": event.service_date,
        "title": event.title,
        "attendees": len(event.attendees),
        "held_at": envelope.occurred_at,
        "held_by": envelope.actor,
    }


def _lock_exception(
    connection: Connection,
    event: LockExceptionRequested | LockExceptionGranted | LockExceptionRefused,
    envelope: EventEnvelope,
) -> None:
    if isinstance(event, LockExceptionRequested):
        connection.execute(
            insert(lock_exceptions).values(
                exception_id=event.exception_id,
                organization_id=event.organization_id,
                quarter=event.quarter,
                reason=event.reason,
                intervention_ids=list(event.intervention_ids),
                status="requested",
                requested_at=envelope.occurred_at,
                requested_by=envelope.actor,
            )
        )
        return
    granted = isinstance(event, LockExceptionGranted)
    connection.execute(
        update(lock_exceptions)
        .where(lock_exceptions.c.exception_id == event.exception_id)
        .values(
            status="granted" if granted else "refused",
            valid_until=event.valid_until if isinstance(event, LockExceptionGranted) else None,
            decided_at=envelope.occurred_at,
            decided_by=envelope.actor,
            decision_reason=event.reason,
        )
    )
