"""What interventions publishes of action plans (reporting: C5 and the share of persons with a
plan) and regionalization follow-ups (notifications: checkpoints falling due)."""

from __future__ import annotations

from collections.abc import Sequence

from gsi_contracts import interventions as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.outbox import Publication
from gsi_kernel.writer import integration_event
from interventions.action_plans import domain as plan
from interventions.action_plans.projection import PLAN_STREAM
from interventions.event_registry import EVENTS
from interventions.regionalization import domain as reg
from interventions.regionalization.projection import REGIONALIZATION_STREAM


def publish_plans(event: EventEnvelope) -> Sequence[Publication]:
    if not event.stream_id.startswith((PLAN_STREAM, REGIONALIZATION_STREAM)):
        return []
    published = _contract_of(EVENTS.decode(event.type, event.schema_version, event.payload))
    return [] if published is None else [integration_event(event, contract.TOPIC, published)]


def _contract_of(e: DomainEvent) -> DomainEvent | None:
    if isinstance(e, plan.ActionPlanOpened):
        return contract.ActionPlanOpened(
            plan_id=e.plan_id, person_id=e.person_id, organization_id=e.organization_id, opened_on=e.opened_on
        )
    if isinstance(e, plan.ActionPlanClosed):
        return contract.ActionPlanClosed(
            plan_id=e.plan_id, person_id=e.person_id, organization_id=e.organization_id, closed_on=e.closed_on
        )
    if isinstance(e, reg.RegionalizationFollowUpOpened):
        return contract.RegionalizationFollowUpOpened(
            follow_up_id=e.follow_up_id,
            person_id=e.person_id,
            organization_id=e.organization_id,
            destination_region=e.destination_region,
            opened_on=e.opened_on,
            checkpoints=tuple(contract.Checkpoint(months=c.months, due_on=c.due_on) for c in e.checkpoints),
        )
    if isinstance(e, reg.RegionalizationCheckpointRecorded):
        return contract.RegionalizationCheckpointRecorded(
            follow_up_id=e.follow_up_id,
            person_id=e.person_id,
            organization_id=e.organization_id,
            months=e.months,
            outcome=e.outcome,
            recorded_on=e.recorded_on,
        )
    return None
