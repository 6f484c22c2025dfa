"""Interventions counted per organization and quarter, from the interventions contract."""

from __future__ import annotations

from sqlalchemy import Connection, insert

from gsi_contracts import interventions as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.fiscal import FiscalQuarter
from reporting.projections.tables import quarter_interventions

CONSUMER = "reporting.interventions"


def on_intervention_declared(connection: Connection, event: EventEnvelope) -> None:
    declared = contract.InterventionDeclared.model_validate(event.payload)
    connection.execute(
        insert(quarter_interventions).values(
            intervention_id=declared.intervention_id,
            organization_id=declared.organization_id,
            quarter=str(FiscalQuarter.of(declared.service_date)),
            person_id=declared.person_id,
            code=declared.code,
            service_date=declared.service_date,
        )
    )


HANDLERS = {contract.InterventionDeclared.event_type: on_intervention_declared}
