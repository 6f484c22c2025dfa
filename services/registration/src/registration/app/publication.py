"""What registration publishes for the other services: pseudonymous facts only (no names)."""

from __future__ import annotations

from collections.abc import Sequence

from gsi_contracts import registration as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.outbox import Publication
from gsi_kernel.writer import integration_event
from registration.domain.person import EVENTS, PersonRegistered


def publish(event: EventEnvelope) -> Sequence[Publication]:
    decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
    if isinstance(decoded, PersonRegistered):
        return [
            integration_event(
                event,
                contract.TOPIC,
                contract.PersonRegistered(
                    person_id=decoded.person_id,
                    organization_id=decoded.organization_id,
                    birth_date=decoded.birth_date,
                    status=decoded.status,
                    status_since=decoded.status_since,
                    region=decoded.region,
                ),
            )
        ]
    return []
