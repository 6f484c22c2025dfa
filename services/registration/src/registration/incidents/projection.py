"""The confidentiality-incident register as a table: one row per incident, its current facts,
the dates of its notices, its measures, and who recorded, last changed and closed it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import EventRegistry
from gsi_kernel.projections import EventByEvent
from gsi_kernel.store.types import UtcDateTime
from registration.incidents import domain as inc
from registration.incidents import events

metadata = MetaData()

incidents = Table(
    "incidents",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("personal_information", Text, nullable=False),
    Column("circumstances", Text, nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("occurred_until", Date),
    Column("occurred_estimated", Boolean, nullable=False),
    Column("detected_on", Date, nullable=False, index=True),
    Column("persons_concerned", Integer, nullable=False),
    Column("persons_estimated", Boolean, nullable=False),
    Column("risk_assessment", Text, nullable=False),
    Column("serious_injury_risk", Boolean, nullable=False),
    Column("commission_notified_on", Date),
    Column("persons_notified_on", Date),
    Column("public_notice_on", Date),
    Column("measures", JSON, nullable=False),  # [{description, taken_on, recorded_by, recorded_at}]
    Column("status", String(10), nullable=False),  # open | closed
    Column("closing_reason", Text),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("closed_at", UtcDateTime()),
    Column("closed_by", String(200)),
)

_EVENTS = EventRegistry(events.INCIDENT_EVENTS)
_NOTICE_COLUMNS = {
    events.NoticeRecipient.COMMISSION: "commission_notified_on",
    events.NoticeRecipient.PERSONS: "persons_notified_on",
    events.NoticeRecipient.PUBLIC: "public_notice_on",
}


class IncidentsProjection(EventByEvent):
    name = "registration.incidents"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        if not _EVENTS.knows(event.type):
            return
        decoded = _EVENTS.decode(event.type, event.schema_version, event.payload)
        incident_id = event.stream_id.removeprefix("incident-")
        touched = {"updated_at": event.occurred_at, "updated_by": event.actor}
        if isinstance(decoded, events.IncidentRecorded):
            connection.execute(insert(incidents).values(**_recorded(decoded, event)))
            return
        values: dict[str, Any] = {}
        if isinstance(decoded, events.IncidentCorrected):
            values = inc.typed_changes(decoded.changes)
        elif isinstance(decoded, events.IncidentNoticeSent):
            values = {_NOTICE_COLUMNS[decoded.recipient]: decoded.sent_on}
        elif isinstance(decoded, events.IncidentMeasureTaken):
            values = {"measures": [*_measures(connection, incident_id), _measure(decoded, event)]}
        elif isinstance(decoded, events.IncidentClosed):
            values = {
                "status": "closed",
                "closing_reason": decoded.reason,
                "closed_at": event.occurred_at,
                "closed_by": event.actor,
            }
        connection.execute(
            update(incidents).where(incidents.c.incident_id == incident_id).values(**values, **touched)
        )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(incidents))


def _recorded(event: events.IncidentRecorded, envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "incident_id": event.incident_id,
        **event.facts.model_dump(),
        "measures": [],
        "status": "open",
        "recorded_at": envelope.occurred_at,
        "recorded_by": envelope.actor,
        "updated_at": envelope.occurred_at,
        "updated_by": envelope.actor,
    }


def _measures(connection: Connection, incident_id: str) -> list[dict[str, Any]]:
    query = select(incidents.c.measures).where(incidents.c.incident_id == incident_id)
    return list(connection.execute(query).scalar_one())


def _measure(event: events.IncidentMeasureTaken, envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "description": event.description,
        "taken_on": event.taken_on.isoformat(),
        "recorded_by": envelope.actor,
        "recorded_at": envelope.occurred_at.isoformat(),
    }
