"""The persons read model: one row per person, for lists and searches."""

from __future__ import annotations

from sqlalchemy import Column, Connection, Date, MetaData, String, Table, delete, insert

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.types import UtcDateTime
from registration.domain.person import EVENTS, PersonRegistered

metadata = MetaData()

persons = Table(
    "persons",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False, index=True),
    Column("family_name", String(200), nullable=False),
    Column("given_name", String(200), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("status", String(40), nullable=False),
    Column("status_since", Date, nullable=False),
    Column("region", String(2)),
    Column("registered_at", UtcDateTime(), nullable=False),
)


class PersonsProjection:
    name = "registration.persons"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
        if isinstance(decoded, PersonRegistered):
            connection.execute(
                insert(persons).values(**decoded.model_dump(), registered_at=event.occurred_at)
            )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(persons))
