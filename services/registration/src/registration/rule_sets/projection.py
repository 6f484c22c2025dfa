"""The published eligibility rule sets' read model, projected from the rule-book streams."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import EventByEvent
from registration.rule_sets.events import EVENTS as RULE_EVENTS
from registration.rule_sets.events import RuleSetPublished
from registration.tables import rule_sets


class RuleSetsProjection(EventByEvent):
    """Published eligibility rule sets, for the rule book every evaluation uses."""

    name = "registration.rule_sets"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        if not RULE_EVENTS.knows(event.type):
            return
        published = RULE_EVENTS.decode(event.type, event.schema_version, event.payload)
        assert isinstance(published, RuleSetPublished)
        connection.execute(
            insert(rule_sets).values(
                # The reason stays in the event (read with the versions' history), not here.
                **published.model_dump(exclude={"reason"}),
                published_at=event.occurred_at,
                published_by=event.actor,
            )
        )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(rule_sets))
