"""The ``reporting.regionalization`` consumer of interventions' published events: each
regionalization follow-up (destination region, when its 12-month checkpoint falls due) and each
checkpoint's outcome — what the 12-month regional retention reads. A consumer of its own, so that
a new deployment reads the topic from its start and knows the follow-ups opened before it.

A checkpoint is recorded once (interventions refuses a second one), so a redelivered event, or a
checkpoint arriving before its follow-up, changes nothing it should not.
"""

from __future__ import annotations

from sqlalchemy import Connection

from gsi_contracts import interventions as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.runtime import ConsumerSpec
from gsi_kernel.store.backend import backend_of
from reporting.counting.domain import RETENTION_MONTHS, fiscal_year_of
from reporting.performance_tables import regionalization_checkpoints, regionalization_follow_ups


def on_follow_up_opened(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.RegionalizationFollowUpOpened.model_validate(envelope.payload)
    due = next((c.due_on for c in event.checkpoints if c.months == RETENTION_MONTHS), None)
    values = {
        "follow_up_id": event.follow_up_id,
        "person_id": event.person_id,
        "organization_id": event.organization_id,
        "destination_region": event.destination_region,
        "opened_on": event.opened_on,
        "retention_due": due,
        "retention_fiscal_year": None if due is None else fiscal_year_of(due),
    }
    connection.execute(
        backend_of(connection).insert(regionalization_follow_ups).values(values).on_conflict_do_nothing()
    )


def on_checkpoint_recorded(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.RegionalizationCheckpointRecorded.model_validate(envelope.payload)
    values = {
        "follow_up_id": event.follow_up_id,
        "months": event.months,
        "outcome": event.outcome,
        "recorded_on": event.recorded_on,
    }
    connection.execute(
        backend_of(connection).insert(regionalization_checkpoints).values(values).on_conflict_do_nothing()
    )


def consumer() -> ConsumerSpec:
    return ConsumerSpec(
        "reporting.regionalization",
        [contract.TOPIC],
        {
            contract.RegionalizationFollowUpOpened.event_type: on_follow_up_opened,
            contract.RegionalizationCheckpointRecorded.event_type: on_checkpoint_recorded,
        },
    )
