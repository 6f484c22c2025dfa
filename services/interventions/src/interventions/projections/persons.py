"""Persons as this service knows them: from registration's published events (the contract),
applied by the idempotent consumer runner."""

from __future__ import annotations

from sqlalchemy import Connection, insert

from gsi_contracts import registration as contract
from gsi_kernel.envelope import EventEnvelope
from interventions.projections.tables import known_persons

CONSUMER = "interventions.persons"


def on_person_registered(connection: Connection, event: EventEnvelope) -> None:
    person = contract.PersonRegistered.model_validate(event.payload)
    connection.execute(
        insert(known_persons).values(
            person_id=person.person_id,
            organization_id=person.organization_id,
            birth_date=person.birth_date,
            status=person.status,
            status_since=person.status_since,
            region=person.region,
        )
    )


HANDLERS = {contract.PersonRegistered.event_type: on_person_registered}
