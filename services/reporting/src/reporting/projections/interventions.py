"""Interventions as reporting knows them, from the interventions contract: the current version
of each (cancelled ones marked, out of every count) and every version's fields (what a snapshot
names), action plan periods (check C5) and catalogue versions (what verify checks against).

Applied by the idempotent consumer runner. A version older than the one already known changes
nothing, so a redelivered or late event never rolls an intervention back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, update

from gsi_contracts import interventions as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.backend import backend_of
from reporting.projections.tables import (
    catalogue_versions,
    intervention_versions,
    known_action_plans,
    quarter_interventions,
)

CONSUMER = "reporting.interventions"
_FIELDS = (
    "organization_id",
    "person_id",
    "code",
    "service_date",
    "volet",
    "mode",
    "duration_minutes",
    "staff_member",
    "target_organization",
    "referral_reason",
    "session_id",
)


def _fields(event: contract.InterventionDeclared | contract.InterventionCorrected) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in _FIELDS}
    return {**values, "quarter": str(FiscalQuarter.of(event.service_date))}


def on_intervention(connection: Connection, envelope: EventEnvelope) -> None:
    """A declaration or a correction: the intervention's whole state at ``version``."""
    model = (
        contract.InterventionCorrected
        if envelope.type == contract.InterventionCorrected.event_type
        else contract.InterventionDeclared
    )
    event = model.model_validate(envelope.payload)
    fields = _fields(event)
    versioned = {"intervention_id": event.intervention_id, "version": event.version, **fields}
    connection.execute(
        backend_of(connection).insert(intervention_versions).values(versioned).on_conflict_do_nothing()
    )
    row = {**versioned, "status": "active"}
    statement = (
        backend_of(connection)
        .insert(quarter_interventions)
        .values(row)
        .on_conflict_do_update(
            index_elements=["intervention_id"],
            set_={k: v for k, v in row.items() if k != "intervention_id"},
            where=quarter_interventions.c.version < event.version,
        )
    )
    connection.execute(statement)


def on_intervention_cancelled(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.InterventionCancelled.model_validate(envelope.payload)
    connection.execute(
        update(quarter_interventions)
        .where(
            quarter_interventions.c.intervention_id == event.intervention_id,
            quarter_interventions.c.version < event.version,
        )
        .values(status="cancelled", version=event.version)
    )


def on_action_plan_opened(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.ActionPlanOpened.model_validate(envelope.payload)
    values = {
        "plan_id": event.plan_id,
        "organization_id": event.organization_id,
        "person_id": event.person_id,
        "opened_on": event.opened_on,
    }
    connection.execute(
        backend_of(connection).insert(known_action_plans).values(values).on_conflict_do_nothing()
    )


def on_action_plan_closed(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.ActionPlanClosed.model_validate(envelope.payload)
    connection.execute(
        update(known_action_plans)
        .where(known_action_plans.c.plan_id == event.plan_id)
        .values(closed_on=event.closed_on)
    )


def on_catalogue_published(connection: Connection, envelope: EventEnvelope) -> None:
    event = contract.CataloguePublished.model_validate(envelope.payload)
    values = {
        "program": event.program,
        "version": event.version,
        "effective_from": event.effective_from,
        "document": event.document,
    }
    connection.execute(
        backend_of(connection).insert(catalogue_versions).values(values).on_conflict_do_nothing()
    )


HANDLERS = {
    contract.InterventionDeclared.event_type: on_intervention,
    contract.InterventionCorrected.event_type: on_intervention,
    contract.InterventionCancelled.event_type: on_intervention_cancelled,
    contract.ActionPlanOpened.event_type: on_action_plan_opened,
    contract.ActionPlanClosed.event_type: on_action_plan_closed,
    contract.CataloguePublished.event_type: on_catalogue_published,
}
