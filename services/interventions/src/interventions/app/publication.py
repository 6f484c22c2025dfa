"""What interventions publishes for the other services."""

from __future__ import annotations

from collections.abc import Sequence

from gsi_contracts import interventions as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.outbox import Publication
from gsi_kernel.writer import integration_event
from interventions.domain.intervention import InterventionDeclared
from interventions.domain.registry import EVENTS


def publish(event: EventEnvelope) -> Sequence[Publication]:
    decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
    if isinstance(decoded, InterventionDeclared):
        published = contract.InterventionDeclared(
            intervention_id=decoded.intervention_id,
            person_id=decoded.person_id,
            organization_id=decoded.organization_id,
            code=decoded.code,
            service_date=decoded.service_date,
            volet=decoded.volet,
            duration_minutes=decoded.duration_minutes,
        )
        return [integration_event(event, contract.TOPIC, published)]
    return []
