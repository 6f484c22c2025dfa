"""The interventions read model, projected from this service's own event store."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert

from gsi_kernel.envelope import EventEnvelope
from interventions.domain.intervention import InterventionDeclared
from interventions.domain.registry import EVENTS
from interventions.projections.tables import interventions


class InterventionsProjection:
    name = "interventions.interventions"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
        if isinstance(decoded, InterventionDeclared):
            connection.execute(
                insert(interventions).values(
                    **decoded.model_dump(), declared_at=event.occurred_at, declared_by=event.actor
                )
            )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(interventions))
