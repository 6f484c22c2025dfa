"""Events the interventions service publishes on ``gsi.interventions``."""

from __future__ import annotations

from datetime import date

from gsi_contracts.base import ContractEvent
from gsi_kernel.events import DomainEvent

TOPIC = "gsi.interventions"


class InterventionDeclared(ContractEvent):
    event_type = "interventions.InterventionDeclared"
    schema_version = 1

    intervention_id: str
    person_id: str
    organization_id: str
    code: str
    service_date: date
    volet: str
    duration_minutes: int


CONTRACTS: tuple[type[DomainEvent], ...] = (InterventionDeclared,)
