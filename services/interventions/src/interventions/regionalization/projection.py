"""Read models of regionalization follow-ups, projected from the ``regionalization-`` streams.
A follow-up's checkpoints get a row each, so "checkpoints due before D with no outcome" is one
range scan of a partial index.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Index,
    Integer,
    String,
    Table,
    delete,
    insert,
    text,
    update,
)

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import EventByEvent
from gsi_kernel.store.types import UtcDateTime
from interventions.event_registry import EVENTS
from interventions.regionalization import domain as reg
from interventions.tables import metadata

REGIONALIZATION_STREAM = "regionalization-"

regionalization_follow_ups = Table(
    "regionalization_follow_ups",
    metadata,
    Column("follow_up_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("destination_region", String(2), nullable=False),
    Column("current_region", String(2), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("status", String(10), nullable=False),  # open | complete
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Index("ix_regionalization_follow_ups_org_person", "organization_id", "person_id"),
    Index("ix_regionalization_follow_ups_org_status", "organization_id", "status", "opened_on"),
)

_PENDING = text("outcome IS NULL")
regionalization_checkpoints = Table(
    "regionalization_checkpoints",
    metadata,
    Column("follow_up_id", String(36), primary_key=True),
    Column("months", Integer, primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("outcome", String(10)),  # stayed | moved | unknown; NULL until recorded
    Column("new_region", String(2)),
    Column("recorded_on", Date),
    Column("note", String(1000)),
    Column("recorded_at", UtcDateTime()),
    Column("recorded_by", String(200)),
    Index(
        "ix_regionalization_checkpoints_org_pending",
        "organization_id",
        "due_on",
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    ),
    Index(
        "ix_regionalization_checkpoints_pending", "due_on", postgresql_where=_PENDING, sqlite_where=_PENDING
    ),
)


class RegionalizationProjection(EventByEvent):
    name = "interventions.regionalization"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        if not event.stream_id.startswith(REGIONALIZATION_STREAM):
            return
        e = EVENTS.decode(event.type, event.schema_version, event.payload)
        if isinstance(e, reg.RegionalizationFollowUpOpened):
            _follow_up_opened(connection, e, event)
        elif isinstance(e, reg.RegionalizationCheckpointRecorded):
            _checkpoint_recorded(connection, e, event)
        elif isinstance(e, reg.RegionalizationFollowUpCompleted):
            connection.execute(
                update(regionalization_follow_ups)
                .where(regionalization_follow_ups.c.follow_up_id == e.follow_up_id)
                .values(status="complete")
            )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(regionalization_checkpoints))
        connection.execute(delete(regionalization_follow_ups))


def _follow_up_opened(
    connection: Connection, e: reg.RegionalizationFollowUpOpened, event: EventEnvelope
) -> None:
    connection.execute(
        insert(regionalization_follow_ups).values(
            follow_up_id=e.follow_up_id,
            organization_id=e.organization_id,
            person_id=e.person_id,
            destination_region=e.destination_region,
            current_region=e.destination_region,
            opened_on=e.opened_on,
            status="open",
            opened_at=event.occurred_at,
            opened_by=event.actor,
        )
    )
    rows = [
        {
            "follow_up_id": e.follow_up_id,
            "months": c.months,
            "organization_id": e.organization_id,
            "person_id": e.person_id,
            "due_on": c.due_on,
        }
        for c in e.checkpoints
    ]
    connection.execute(insert(regionalization_checkpoints), rows)


def _checkpoint_recorded(
    connection: Connection, e: reg.RegionalizationCheckpointRecorded, event: EventEnvelope
) -> None:
    cp = regionalization_checkpoints.c
    connection.execute(
        update(regionalization_checkpoints)
        .where(cp.follow_up_id == e.follow_up_id, cp.months == e.months)
        .values(
            outcome=e.outcome,
            new_region=e.new_region,
            recorded_on=e.recorded_on,
            note=e.note,
            recorded_at=event.occurred_at,
            recorded_by=event.actor,
        )
    )
    if e.new_region is not None:
        connection.execute(
            update(regionalization_follow_ups)
            .where(regionalization_follow_ups.c.follow_up_id == e.follow_up_id)
            .values(current_region=e.new_region)
        )
